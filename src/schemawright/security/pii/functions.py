"""The functions `pii: encrypt` creates, and the per-table trigger that guards encrypted columns.

The key never appears in the DDL: every function reads it from the session setting the spec
names (`security.key_setting`, default `app.pii_key`), which the application sets inside each
transaction with `SELECT set_config('app.pii_key', $1, true)`.  A missing key is an error,
never a silent NULL or an encryption under an empty key.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from schemawright import model as m
from schemawright.naming import fit
from schemawright.sql.quoting import quote_ident as q
from schemawright.sql.quoting import quote_literal

KEY_FUNCTION = "pii_key"
ENCRYPT_FUNCTION = "pii_encrypt"
DECRYPT_FUNCTION = "pii_decrypt"
BLIND_FUNCTION = "pii_blind"
EXTENSION = "pgcrypto"
MIN_KEY_LENGTH = 16
# AES-256; s2k-mode=1 (salted, one hash pass): the key is a random secret from the application,
# not a password, so the iterated key stretching of the default mode (tens of thousands of hash
# rounds on every call) would slow each read and write without making the key harder to guess.
PGP_OPTIONS = "cipher-algo=aes256, s2k-mode=1"
# What an equality lookup on the plaintext compared, per semantic type: e-mail was citext
# (case-insensitive), so its blind index hashes the lower-cased address; everything else is
# compared exactly as stored, as the plain column was.
_NORMALISE = {"email": "lower({})"}


def normalised(semantic: str, value_sql: str) -> str:
    """`value_sql` as the blind index hashes it (the same on writes and on lookups)."""
    return _NORMALISE.get(semantic, "{}").format(value_sql)


def blind_sql(semantic: str, value_sql: str) -> str:
    """The keyed hash a lookup compares with the blind-index column."""
    return f"{BLIND_FUNCTION}({normalised(semantic, value_sql)})"


def key_functions(design: m.Design) -> tuple[m.Function, ...]:
    setting = quote_literal(design.security.key_setting)
    hint = quote_literal(f"run SELECT set_config({quote_literal(design.security.key_setting)}, $1, true) in the "
                         "transaction first, with the key as the bind parameter")
    key = m.Function(name=KEY_FUNCTION, returns="text", volatility="stable", body=(
        "DECLARE\n"
        f"    key text := current_setting({setting}, true);\n"
        "BEGIN\n"
        # '' as well as NULL: once set with set_config(..., true), the setting reads '' after the transaction
        "    IF key IS NULL OR key = '' THEN\n"
        f"        RAISE EXCEPTION 'the PII key is not set ({design.security.key_setting})'\n"
        f"            USING ERRCODE = 'insufficient_privilege', HINT = {hint};\n"
        "    END IF;\n"
        f"    IF char_length(key) < {MIN_KEY_LENGTH} THEN\n"
        f"        RAISE EXCEPTION 'the PII key is shorter than {MIN_KEY_LENGTH} characters'\n"
        "            USING ERRCODE = 'insufficient_privilege';\n"
        "    END IF;\n"
        "    RETURN key;\n"
        "END"))
    argument = (m.FunctionArgument(name="value", type="text"),)
    encrypted = (m.FunctionArgument(name="value", type="bytea"),)
    # SQL functions (inlined by the planner); CASE keeps a NULL a NULL without asking for the key.
    encrypt = m.Function(name=ENCRYPT_FUNCTION, arguments=argument, returns="bytea", language="sql", body=(
        f"SELECT CASE WHEN value IS NULL THEN NULL\n"
        f"            ELSE pgp_sym_encrypt(value, {KEY_FUNCTION}(), {quote_literal(PGP_OPTIONS)}) END"))
    decrypt = m.Function(name=DECRYPT_FUNCTION, arguments=encrypted, returns="text", language="sql",
                         volatility="stable", body=(
                             "SELECT CASE WHEN value IS NULL THEN NULL\n"
                             f"            ELSE pgp_sym_decrypt(value, {KEY_FUNCTION}()) END"))
    # HMAC under a key derived for this purpose only, so the hash and the ciphertext never share a key.
    blind = m.Function(name=BLIND_FUNCTION, arguments=argument, returns="bytea", language="sql",
                       volatility="stable", body=(
                           "SELECT CASE WHEN value IS NULL THEN NULL\n"
                           f"            ELSE hmac(convert_to(value, 'UTF8'), hmac('pii_blind', {KEY_FUNCTION}(), "
                           "'sha256'), 'sha256') END"))
    return key, encrypt, decrypt, blind


def guard_name(table: str) -> str:
    """The trigger function (and, prefixed, the trigger) that guards a table's encrypted columns."""
    return fit(f"{table}_pii")


def plain_variable(column: str) -> str:
    return fit(f"_plain_{column}")


def guard(table: m.Table, checks: tuple[m.Check, ...]) -> tuple[m.Function, m.Trigger]:
    """BEFORE INSERT OR UPDATE of an encrypted column: decrypt each one (a value that is not
    ciphertext under the session's key is refused, so no plaintext lands on disk by mistake),
    test the CHECKs that read them on the plaintext, and fill the blind-index columns from
    the plaintext, so a hash can never disagree with its value."""
    encrypted = [c for c in table.columns if c.plaintext_type]
    hashes = [c for c in table.columns if c.blind_index_of]
    lines = ["DECLARE"]
    lines += [f"    {q(plain_variable(c.name))} {c.plaintext_type};" for c in encrypted]
    lines += ["BEGIN"]
    lines += [f"    {q(plain_variable(c.name))} := {DECRYPT_FUNCTION}(NEW.{q(c.name)});" for c in encrypted]
    for check in checks:
        lines += _check_lines(table, check)
    for column in hashes:
        source = table.column(column.blind_index_of or "")
        assert source is not None
        lines.append(f"    NEW.{q(column.name)} := {blind_sql(source.semantic, q(plain_variable(source.name)))};")
    lines += ["    RETURN NEW;", "END"]
    name = guard_name(table.name)
    function = m.Function(name=name, body="\n".join(lines))
    columns = tuple(c.name for c in encrypted + hashes)
    trigger = m.Trigger(
        name=fit(f"trg_{table.name}_pii"), table=table.name, function=name, timing="before",
        events=(m.TriggerEvent(kind="insert"), m.TriggerEvent(kind="update", columns=columns)),
        reason="decrypts each encrypted column with the session's key (refusing a value that is not its ciphertext), "
               "tests the CHECKs a constraint cannot see through ciphertext, and fills the blind-index columns")
    return function, trigger


def _check_lines(table: m.Table, check: m.Check) -> list[str]:
    """The CHECK's own expression, evaluated over a one-row subquery whose columns carry the
    row's values (plaintext for the encrypted ones), so it reads exactly as written."""
    names = check_columns(check.expression, table)
    values = ", ".join(f"{q(plain_variable(n))} AS {q(n)}" if table.column(n).plaintext_type  # type: ignore[union-attr]
                       else f"NEW.{q(n)} AS {q(n)}" for n in names)
    message = quote_literal(f'new row for relation "{table.name}" violates check constraint "{check.name}"')
    return [f"    IF (SELECT ({check.expression}) FROM (SELECT {values}) AS new_row) IS FALSE THEN",
            f"        RAISE EXCEPTION {message}",
            f"            USING ERRCODE = 'check_violation', CONSTRAINT = {quote_literal(check.name)}, "
            f"TABLE = {quote_literal(table.name)};",
            "    END IF;"]


def check_columns(expression: str, table: m.Table) -> list[str]:
    """The table's columns an expression names, in table order (all of them when it does not parse)."""
    try:
        tree = sqlglot.parse_one(expression, read="postgres")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return [c.name for c in table.columns]
    named = {c.name for c in tree.find_all(exp.Column)} | {c.name.lower() for c in tree.find_all(exp.Column)
                                                           if not c.this.quoted}
    return [c.name for c in table.columns if c.name in named]
