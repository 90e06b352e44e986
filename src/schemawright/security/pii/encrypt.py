"""`pii: encrypt`: every PII column holds pgcrypto ciphertext, with a blind index where needed.

- The column becomes `bytea` holding `pgp_sym_encrypt(value, key)`; the type it had is kept
  as `plaintext_type` (synthetic data and the trigger's variables use it).
- A keyed-hash column `<column>_hash` is added only where the spec needs equality on the
  value: a unique attribute or rule, an index over it, or an access pattern that looks a
  value up (`= :p`, `IN`, ON CONFLICT).  Unique constraints and indexes move to it, and the
  patterns are rewritten to use it (queries.py).
- CHECKs that read an encrypted column cannot hold on ciphertext; they move into the table's
  PII trigger, which tests them on the decrypted value (functions.guard).
- A default on an encrypted column is dropped: it would be plaintext.
"""

from __future__ import annotations

from schemawright import model as m
from schemawright.naming import fit
from schemawright.security.pii.functions import (
    BLIND_FUNCTION,
    DECRYPT_FUNCTION,
    ENCRYPT_FUNCTION,
    EXTENSION,
    blind_sql,
    check_columns,
    guard,
    guard_name,
    key_functions,
)
from schemawright.security.pii.queries import Key, encrypted_columns, read, rewrite

STEP = "security"


def encrypt_pii(design: m.Design) -> m.Design:
    encrypted = encrypted_columns(design)
    if not encrypted:
        return design
    decisions: list[m.Decision] = []
    needs = _blind_index_needs(design, encrypted)
    hashes = {key: _hash_name(design.table(key[0]), key[1]) for key in sorted(needs)}  # type: ignore[arg-type]
    patterns = _patterns(design, encrypted, hashes, decisions)
    tables, functions, triggers = [], [], []
    for table in design.tables:
        if table.name not in encrypted:
            tables.append(table)
            continue
        changed, moved = _table(table, encrypted[table.name], hashes, needs, decisions)
        function, trigger = guard(changed, moved)
        tables.append(changed)
        functions.append(function)
        triggers.append(trigger)
    indexes = tuple(_index(i, hashes, decisions) for i in design.indexes)
    entities = tuple(_entity(design, e, hashes) for e in design.entities)
    extensions = tuple(sorted({*design.extensions, EXTENSION}))
    decisions.insert(0, m.Decision(
        step=STEP, subject="PII (pii: encrypt)",
        choice=f"{sum(map(len, encrypted.values()))} column(s) encrypted with pgcrypto (pgp_sym_encrypt, AES-256); "
               f"{len(hashes)} blind index(es); functions {ENCRYPT_FUNCTION}, {DECRYPT_FUNCTION}, {BLIND_FUNCTION}",
        reason=f"the database, its files, WAL and backups hold only ciphertext; the key lives in the application and "
               f"reaches the server per transaction in the setting {design.security.key_setting}, so a stolen disk, "
               "backup or dump, or a role without the key, reads no PII"))
    return design.model_copy(update={
        "tables": tuple(tables), "indexes": indexes, "entities": entities, "access_patterns": patterns,
        "extensions": extensions, "functions": design.functions + key_functions(design) + tuple(functions),
        "triggers": design.triggers + tuple(triggers), "decisions": design.decisions + tuple(decisions)})


def _blind_index_needs(design: m.Design, encrypted: dict[str, tuple[str, ...]]) -> dict[Key, list[str]]:
    """Encrypted columns that need a blind index, each with why."""
    needs: dict[Key, list[str]] = {}

    def need(table: str, column: str, why: str) -> None:
        if column in encrypted.get(table, ()):
            needs.setdefault((table, column), []).append(why)

    for table in design.tables:
        for unique in table.uniques:
            for column in unique.columns:
                need(table.name, column, f"unique ({', '.join(unique.columns)})")
    for index in design.indexes:
        for column in index.columns:
            need(index.table, column.expression, f"index {index.name}")
    for entity in design.entities:
        table = design.table_for_entity(entity.name)
        for declared in entity.indexes if table else ():
            for column in declared.columns:
                need(table.name, column, "an index the spec declares")  # type: ignore[union-attr]
    for pattern in design.access_patterns:
        for table, column in read(pattern.sql, design, encrypted).lookups:
            need(table, column, f"access pattern {pattern.name} looks it up")
    return needs


def _hash_name(table: m.Table, column: str) -> str:
    for name in (f"{column}_hash", f"{column}_blind", *(f"{column}_hash{n}" for n in range(2, 100))):
        if table.column(fit(name)) is None:
            return fit(name)
    raise AssertionError(f"no free name for the blind index of {table.name}.{column}")


def _table(table: m.Table, names: tuple[str, ...], hashes: dict[Key, str], needs: dict[Key, list[str]],
           decisions: list[m.Decision]) -> tuple[m.Table, tuple[m.Check, ...]]:
    """The table with its PII columns encrypted and blind indexes added; the CHECKs moved out."""
    columns: list[m.Column] = []
    for column in table.columns:
        if column.name not in names:
            columns.append(column)
            continue
        if column.default is not None:
            decisions.append(m.Decision(step=STEP, subject=f"{table.name}.{column.name}", choice="default dropped",
                                        reason="the default would be stored as plaintext; the application writes the "
                                               "value through pii_encrypt()"))
        columns.append(column.model_copy(update={"sql_type": "bytea", "plaintext_type": column.sql_type,
                                                 "default": None, "description": _described(column)}))
        key = (table.name, column.name)
        if key in hashes:
            lookup = blind_sql(column.semantic, column.name)
            columns.append(m.Column(
                name=hashes[key], semantic="hash", sql_type="bytea", nullable=column.nullable,
                blind_index_of=column.name,
                description=f"Blind index of {column.name}: {lookup}, a keyed hash for equality lookups and "
                            f"uniqueness; filled by the trigger trg_{table.name}_pii."))
            decisions.append(m.Decision(
                step=STEP, subject=f"{table.name}.{hashes[key]}", choice=f"blind index of {column.name}: {lookup}",
                reason="; ".join(dict.fromkeys(needs[key])) + ": equality needs a value that is the same for equal "
                       "plaintexts, and ciphertext never is; keyed (HMAC), so nobody without the key can test a guess"))
    uniques = tuple(u.model_copy(update={"columns": tuple(hashes.get((table.name, c), c) for c in u.columns)})
                    for u in table.uniques)
    kept, moved = [], []
    for check in table.checks:
        (moved if set(check_columns(check.expression, table)) & set(names) else kept).append(check)
    for check in moved:
        decisions.append(m.Decision(
            step=STEP, subject=f"{table.name}: {check.name}", choice=f"tested by the trigger {guard_name(table.name)} "
                                                                     "on the decrypted value",
            reason="a CHECK constraint sees only ciphertext; the trigger decrypts the new value with the writer's key "
                   "and refuses the row with the same constraint name (SQLSTATE 23514)"))
    changed = table.model_copy(update={"columns": tuple(columns), "uniques": uniques, "checks": tuple(kept),
                                       "plaintext_checks": tuple(moved)})
    return changed, tuple(moved)


def _described(column: m.Column) -> str:
    """The column's description with what it holds; said once (a spec exported from a design
    carries it already, and designing that spec again must not say it twice)."""
    holds = (f"Encrypted: pgp_sym_encrypt of the {column.sql_type} value (AES-256); write {ENCRYPT_FUNCTION}(value), "
             f"read {DECRYPT_FUNCTION}({column.name}) with the key set.")
    said = (column.description or "").strip()
    if holds in said:
        return said
    return f"{said.rstrip('.')}. {holds}" if said else holds


def _index(index: m.Index, hashes: dict[Key, str], decisions: list[m.Decision]) -> m.Index:
    columns = tuple(c.model_copy(update={"expression": hashes[(index.table, c.expression)]})
                    if (index.table, c.expression) in hashes else c for c in index.columns)
    if columns == index.columns:
        return index
    decisions.append(m.Decision(step=STEP, subject=index.name, choice="keyed on the blind index",
                                reason="an index over ciphertext orders random bytes and finds nothing"))
    return index.model_copy(update={"columns": columns})


def _entity(design: m.Design, entity: m.Entity, hashes: dict[Key, str]) -> m.Entity:
    table = design.table_for_entity(entity.name)
    if table is None or not entity.indexes:
        return entity
    indexes = tuple(i.model_copy(update={"columns": tuple(hashes.get((table.name, c), c) for c in i.columns)})
                    for i in entity.indexes)
    return entity.model_copy(update={"indexes": indexes})


def _patterns(design: m.Design, encrypted: dict[str, tuple[str, ...]], hashes: dict[Key, str],
              decisions: list[m.Decision]) -> tuple[m.AccessPattern, ...]:
    out = []
    for pattern in design.access_patterns:
        problems = read(pattern.sql, design, encrypted).problems
        if problems:  # the spec check refuses these; a design built in code records why it cannot serve them
            decisions.append(m.Decision(step=STEP, subject=f"access pattern {pattern.name}", choice="not served",
                                        reason=f"it {'; '.join(problems)}, which holds ciphertext (pii: encrypt)"))
        sql = rewrite(pattern.sql, design, encrypted, hashes)
        if sql is None:
            out.append(pattern)
            continue
        out.append(pattern.model_copy(update={"sql": sql}))
        decisions.append(m.Decision(step=STEP, subject=f"access pattern {pattern.name}",
                                    choice="rewritten for the encrypted columns",
                                    reason="lookups compare the blind index with pii_blind() of the value, written "
                                           "values go through pii_encrypt(); the application passes plaintext "
                                           "parameters as before"))
    return tuple(out)
