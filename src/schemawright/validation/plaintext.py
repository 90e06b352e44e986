"""Encrypted columns (`pii: encrypt`) seen as the plaintext they hold, for synthetic rows,
parameter values and proofs.

The design stores such a column as bytea ciphertext, with a blind-index column filled by the
table's PII trigger.  Synthetic data must still be real data: values are drawn for the
plaintext (its type and its CHECKs, which the trigger tests), written through pii_encrypt(),
and the trigger computes the hashes, so a lookup through the blind index finds the rows.
To draw a parameter from the loaded rows, the tables are read through a relation that
decrypts, and a rewritten pattern is read back in its plaintext form
(`email_hash = pii_blind(lower(:email))` -> `email = lower(:email)`).

Every session that touches encrypted columns sets a test key made for this process
(`use_test_key`): random, passed as a bind parameter, never printed or written anywhere;
or the one in $SCHEMAWRIGHT_PII_KEY, so rows `generate` loads can be read (and the QA suite
run) afterwards with a key the user knows.
"""

from __future__ import annotations

import os
import secrets

import sqlglot
from sqlglot import exp

from schemawright import model as m
from schemawright.database import Database
from schemawright.security.pii.functions import BLIND_FUNCTION, DECRYPT_FUNCTION, ENCRYPT_FUNCTION
from schemawright.sql.quoting import quote_ident as q
from schemawright.validation.rules import identifier_name
from schemawright.validation.table_reads import WholeTables

KEY_VARIABLE = "SCHEMAWRIGHT_PII_KEY"
_test_key: list[str] = []  # made on first use, kept for the process (generate, then bench, in one run)
_plain: dict[int, tuple[m.Design, m.Design]] = {}  # id(design) -> (design, its plaintext view)


def encrypted(table: m.Table) -> bool:
    return any(c.plaintext_type for c in table.columns)


def has_encryption(design: m.Design) -> bool:
    return any(encrypted(t) for t in design.tables)


def plaintext_table(table: m.Table) -> m.Table:
    """The table as if it stored its plaintext: each encrypted column with its plaintext type
    (`plaintext_type` kept, marking the columns written through pii_encrypt), its CHECKs back,
    unique keys on the columns instead of their blind indexes, which are left out."""
    if not encrypted(table):
        return table
    sources = {c.name: c.blind_index_of for c in table.columns if c.blind_index_of}
    columns = tuple(c.model_copy(update={"sql_type": c.plaintext_type}) if c.plaintext_type else c
                    for c in table.columns if c.name not in sources)
    uniques = tuple(u.model_copy(update={"columns": tuple(sources.get(c, c) for c in u.columns)})
                    for u in table.uniques)
    return table.model_copy(update={"columns": columns, "uniques": uniques,
                                    "checks": table.checks + table.plaintext_checks, "plaintext_checks": ()})


def plaintext_design(design: m.Design) -> m.Design:
    """The design with every table as plaintext_table sees it (the same object when nothing is encrypted)."""
    cached = _plain.get(id(design))
    if cached is not None and cached[0] is design:
        return cached[1]
    plain = design
    if has_encryption(design):
        sources = {(t.name, c.name): c.blind_index_of for t in design.tables for c in t.columns if c.blind_index_of}
        indexes = tuple(i.model_copy(update={"columns": tuple(
            c.model_copy(update={"expression": sources.get((i.table, c.expression), c.expression)})
            for c in i.columns)}) for i in design.indexes)
        plain = design.model_copy(update={"tables": tuple(plaintext_table(t) for t in design.tables),
                                          "indexes": indexes})
    if len(_plain) > 64:
        _plain.clear()
    _plain[id(design)] = (design, plain)
    return plain


def written(column: m.Column, value_sql: str) -> str:
    """A value as an INSERT or UPDATE writes it: encrypted for an encrypted column."""
    return f"{ENCRYPT_FUNCTION}(({value_sql})::text)" if column.plaintext_type else value_sql


def written_back(column: m.Column, value_sql: str) -> str:
    """A stored value read as its plaintext: decrypted for an encrypted column."""
    return f"{DECRYPT_FUNCTION}({value_sql})::{column.plaintext_type}" if column.plaintext_type else value_sql


def plaintext_sql(sql: str, design: m.Design) -> str:
    """A pattern rewritten for encrypted columns, read back as it was written for the plaintext,
    so parameter values can be drawn from the decrypted rows; other SQL comes back unchanged."""
    if not has_encryption(design) or (BLIND_FUNCTION not in sql and ENCRYPT_FUNCTION not in sql):
        return sql
    try:
        tree = sqlglot.parse_one(sql, read="postgres")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return sql
    if tree is None:
        return sql
    hashes = {(t.name, c.name): c.blind_index_of for t in design.tables for c in t.columns if c.blind_index_of}
    aliases: dict[str | None, str] = {}
    for table in tree.find_all(exp.Table):
        name = identifier_name(table.args.get("this"))
        alias = table.args.get("alias")
        if name is not None:
            aliases[identifier_name(alias.args.get("this")) if alias is not None else name] = name
            aliases.setdefault(name, name)
    for column in list(tree.find_all(exp.Column)):
        name = identifier_name(column.args.get("this"))
        qualifier = column.args.get("table")
        owners = [aliases.get(identifier_name(qualifier))] if qualifier is not None else list(aliases.values())
        source = next((hashes[(t, name)] for t in owners if (t, name) in hashes), None)
        if source is not None:
            column.set("this", exp.to_identifier(source))
    for call in list(tree.find_all(exp.Anonymous)):
        if call.name.lower() in (BLIND_FUNCTION, ENCRYPT_FUNCTION) and len(call.expressions) == 1:
            call.replace(call.expressions[0])
    for placeholder in list(tree.find_all(exp.Placeholder)):  # sqlglot would print :name as %(name)s
        placeholder.replace(exp.var(f":{placeholder.name}"))
    return tree.sql(dialect="postgres")


def decrypting_relation(table: m.Table, inner: str) -> str:
    """What to read in place of `table` (read as `inner`) to see its plaintext."""
    items = [f"{written_back(c, q(c.name))} AS {q(c.name)}" if c.plaintext_type else q(c.name)
             for c in table.columns if not c.blind_index_of]
    return f"(SELECT {', '.join(items)} FROM {inner}) AS {q(table.name)}"


class Decrypted(WholeTables):
    """Table reads (table_reads) that see the plaintext of encrypted columns."""

    def __init__(self, inner: WholeTables, design: m.Design) -> None:
        super().__init__()
        self.inner, self.design = inner, design

    def relation(self, db: Database, table: str) -> str:
        found = self.design.table(table)
        text = self.inner.relation(db, table)
        return decrypting_relation(found, text) if found is not None and encrypted(found) else text

    def value(self, db: Database, table: str, column: str, role: str, element: bool) -> str | None:
        found = self.design.table(table)
        if found is not None and (c := found.column(column)) is not None and c.plaintext_type:
            return None  # the planner's statistics of the column hold ciphertext
        return self.inner.value(db, table, column, role, element)

    def summary(self) -> str:
        return self.inner.summary()


def readable(reads: WholeTables | None, design: m.Design) -> WholeTables:
    reads = reads or WholeTables()
    return Decrypted(reads, design) if has_encryption(design) and not isinstance(reads, Decrypted) else reads


def run_key() -> str:
    """The test key of this process (never printed, never written)."""
    given = os.environ.get(KEY_VARIABLE)
    if given:
        return given
    if not _test_key:
        _test_key.append(secrets.token_urlsafe(32))
    return _test_key[0]


def use_test_key(db: Database, design: m.Design) -> None:
    """Give the session the run's test key (session-wide), when the design encrypts PII."""
    if has_encryption(design):
        db.execute("SELECT set_config(%s, %s, false)", [design.security.key_setting, run_key()])
