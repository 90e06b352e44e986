"""PII protection (`security.pii`): what `encrypt` and `mask` design, and on the local
PostgreSQL 15 (the embedded server has no pgcrypto) that the encrypted columns hold no
plaintext, that the blind index keeps uniqueness and lookups, and that validate, generate
and the bench draws still find rows through it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import LOCAL_PG15_URL, design_of, local_pg15_reachable
from schemawright import model as m
from schemawright.database import Database, DatabaseError, sandboxed_database
from schemawright.database.urls import with_database
from schemawright.errors import SpecErrors
from schemawright.generation.run import generate
from schemawright.performance.draws import draw_bindings
from schemawright.pipeline import deliverables, design_file, design_from_spec, load_spec, parse_spec, validate
from schemawright.security.names import scoped
from schemawright.security.pii import masked_view, protect_pii
from schemawright.sql.postgresql import render_up
from schemawright.sql.quoting import quote_literal
from schemawright.validation.params import positional
from schemawright.validation.plaintext import plaintext_design, plaintext_sql, run_key, use_test_key
from schemawright.validation.script import run_script

ROOT = Path(__file__).resolve().parents[1]
SAAS = ROOT / "examples" / "saas_tracker.yaml"
SHOP = ROOT / "examples" / "shop.yaml"
needs_pg15 = pytest.mark.skipif(not local_pg15_reachable(), reason="no PostgreSQL 15 on 127.0.0.1:5432 (has pgcrypto)")

ENCRYPTED_SPEC = """\
project: pii_demo
entities:
  Customer:
    attributes:
      email: {type: email, required: true, unique: true, pii: true}
      name: {type: string, max_length: 80, pii: true}
      tier: {type: enum, values: [basic, gold], required: true, default: basic}
access_patterns:
  - name: by_email
    query: SELECT id, name FROM customers WHERE email = :email
security:
  pii: encrypt
"""


@pytest.fixture(scope="module")
def saas() -> m.Design:
    return design_file(SAAS)


def _encrypted(design: m.Design) -> dict[str, set[str]]:
    return {t.name: {c.name for c in t.columns if c.plaintext_type} for t in design.tables if
            any(c.plaintext_type for c in t.columns)}


# ---------------------------------------------------------------- pii: encrypt, the design


def test_encrypt_stores_every_pii_column_as_ciphertext(saas: m.Design) -> None:
    assert _encrypted(saas) == {"users": {"email", "display_name", "phone"},
                                "billing_accounts": {"billing_email", "billing_address"}}
    users = saas.table("users")
    email = users.column("email")
    assert (email.sql_type, email.plaintext_type, email.default) == ("bytea", "citext", None)
    assert "pii_decrypt(email)" in email.description
    assert users.column("display_name").plaintext_type == "text"
    assert saas.table("billing_accounts").column("billing_address").plaintext_type == "jsonb"
    assert "pgcrypto" in saas.extensions and list(saas.extensions) == sorted(saas.extensions)


def test_a_blind_index_only_where_equality_is_needed(saas: m.Design) -> None:
    users = saas.table("users")
    hashes = {c.name: c.blind_index_of for t in saas.tables for c in t.columns if c.blind_index_of}
    # email: unique and looked up (user_by_email); display_name, phone, billing_email: neither.
    assert hashes == {"email_hash": "email"}
    assert users.column("email_hash").sql_type == "bytea" and not users.column("email_hash").nullable
    assert [u.columns for u in users.uniques if u.name == "uq_users_email"] == [("email_hash",)]


def test_lookups_are_rewritten_to_the_blind_index(saas: m.Design) -> None:
    pattern = next(p for p in saas.access_patterns if p.name == "user_by_email")
    assert "email_hash = pii_blind(lower(:email))" in pattern.sql
    assert "WHERE email =" not in pattern.sql and positional(pattern.sql).names == ("email",)
    assert "uq_users_email" in pattern.served_by
    # read back as written, for drawing parameter values from the decrypted rows
    assert "WHERE email = LOWER(:email)" in plaintext_sql(pattern.sql, saas)


def test_no_index_keys_on_an_encrypted_column(saas: m.Design) -> None:
    encrypted = _encrypted(saas)
    for index in saas.indexes:
        keys = {c.expression for c in index.columns}
        assert not keys & encrypted.get(index.table, set()), index
    for table in saas.tables:
        for unique in table.uniques:
            assert not set(unique.columns) & encrypted.get(table.name, set()), unique


def test_checks_on_encrypted_columns_move_to_the_pii_trigger(saas: m.Design) -> None:
    users = saas.table("users")
    moved = {c.name for c in users.plaintext_checks}
    assert moved == {"ck_users_email_format", "ck_users_display_name_length", "ck_users_phone_format"}
    assert not moved & {c.name for c in users.checks}
    guard = next(f for f in saas.functions if f.name == "users_pii")
    for name in moved:
        assert f"CONSTRAINT = '{name}'" in guard.body
    assert "NEW.email_hash := pii_blind(lower(_plain_email));" in guard.body
    trigger = next(t for t in saas.triggers if t.function == "users_pii")
    assert trigger.timing == "before" and {e.kind for e in trigger.events} == {"insert", "update"}
    decided = {d.subject for d in saas.decisions if d.step == "security"}
    assert {"users: ck_users_email_format", "users.email_hash", "access pattern user_by_email"} <= decided


def test_the_key_comes_from_the_session_setting_never_the_ddl() -> None:
    design = design_of(ENCRYPTED_SPEC.replace("  pii: encrypt", "  pii: encrypt\n  key_setting: acme.secret"))
    schema = deliverables(design)["schema.sql"]
    key = next(f for f in design.functions if f.name == "pii_key")
    assert "current_setting('acme.secret', true)" in key.body and "RAISE EXCEPTION" in key.body
    for name in ("pii_encrypt", "pii_decrypt", "pii_blind"):
        assert f"CREATE FUNCTION {name}(" in schema
        assert "pii_key()" in next(f for f in design.functions if f.name == name).body
    assert "app.pii_key" not in schema


def test_patterns_an_encrypted_column_cannot_serve_are_located_errors() -> None:
    for query, said in (("SELECT id FROM customers ORDER BY email", "sorts by customers.email"),
                        ("SELECT id FROM customers WHERE name LIKE :p", "matches a pattern against customers.name"),
                        ("SELECT id FROM customers WHERE email > :e", "compares a range of customers.email")):
        text = ENCRYPTED_SPEC.replace("SELECT id, name FROM customers WHERE email = :email", query)
        with pytest.raises(SpecErrors) as caught:
            parse_spec(text, "pii.yaml")
        issue = next(i for i in caught.value.issues if "ciphertext" in i.message)
        assert said in issue.message and issue.line == 10, issue.format()
        assert "pii: mask" in (issue.hint or "")
    # the same query with pii: mask is fine
    parse_spec(ENCRYPTED_SPEC.replace("email = :email", "email = :email ORDER BY email").replace(
        "pii: encrypt", "pii: mask"), "pii.yaml")


def test_writes_go_through_pii_encrypt() -> None:
    design = design_of(ENCRYPTED_SPEC.replace("""    query: SELECT id, name FROM customers WHERE email = :email""",
                                              """    query: SELECT id, name FROM customers WHERE email = :email
  - name: sign_up
    kind: write
    query: INSERT INTO customers (email, name) VALUES (:email, :name) RETURNING id
  - name: rename
    kind: write
    query: UPDATE customers SET name = :name WHERE email = :email"""))
    sql = {p.name: " ".join(p.sql.split()) for p in design.access_patterns}
    assert "VALUES (pii_encrypt(:email), pii_encrypt(:name))" in sql["sign_up"]
    assert "SET name = pii_encrypt(:name) WHERE email_hash = pii_blind(lower(:email))" in sql["rename"]


# ---------------------------------------------------------------- pii: mask


def test_mask_adds_a_security_barrier_view_per_table_with_pii() -> None:
    design = design_file(SHOP)
    views = {v.name: v for v in design.views}
    assert masked_view("customers") == "customers_masked"
    pii_tables = {t.name for t in design.tables if any(c.pii for c in t.columns)}
    assert {masked_view(t) for t in pii_tables} <= set(views)
    customers = views["customers_masked"]
    assert customers.security_barrier
    assert "'***@' || split_part(email::text, '@', 2) AS email" in customers.sql
    assert "'***' || right(phone::text, 2) AS phone" in customers.sql
    assert "NULL::date AS birth_date" in customers.sql
    assert "loyalty_points," in customers.sql  # other columns as they are
    assert "CREATE VIEW customers_masked WITH (security_barrier) AS" in deliverables(design)["schema.sql"]
    assert not _encrypted(design) and "pgcrypto" not in design.extensions


def test_pii_none_and_undeclared_change_nothing() -> None:
    none = design_of(ENCRYPTED_SPEC.replace("pii: encrypt", "pii: none"))
    assert not none.views and not _encrypted(none)
    imported = none.model_copy(update={"security": m.Security(), "views": ()})  # as an importer makes it
    assert protect_pii(imported) == imported


# ---------------------------------------------------------------- on PostgreSQL 15


@pytest.fixture(scope="module")
def applied(saas: m.Design) -> Iterator[tuple[m.Design, str]]:
    """saas_tracker applied to a scratch database of the local PostgreSQL 15 (its roles made
    for that database only); yields (design, url of the scratch database as the superuser)."""
    if not local_pg15_reachable():
        pytest.skip("no PostgreSQL 15 on 127.0.0.1:5432")
    roles = lambda scratch: [(r.name, r.bypass_rls) for r in scoped(saas, scratch).roles]  # noqa: E731
    with sandboxed_database(LOCAL_PG15_URL, saas.extensions, roles) as box:
        design = scoped(saas, box.database)
        with Database(box.url) as db:
            assert run_script(db, render_up(design)) is None
        yield design, with_database(LOCAL_PG15_URL, box.database)


KEY = "a-key-made-for-this-test-only"  # never a real key: the test data is made up


def _keyed(db: Database, key: str = KEY) -> None:
    db.execute("SELECT set_config('app.pii_key', %s, false)", [key])


def _page_bytes(db: Database, table: str) -> bytes:
    db.execute("CHECKPOINT")
    return bytes(db.query_value("SELECT pg_read_binary_file(pg_relation_filepath(%s))", [table]))


@needs_pg15
def test_encrypted_columns_hold_no_plaintext_on_disk(applied: tuple[m.Design, str]) -> None:
    _design, url = applied
    secret = "marguerite.vandenbroucke@example.org"
    with Database(url) as db:
        _keyed(db)
        db.execute("INSERT INTO users (email, display_name, phone) VALUES (pii_encrypt(%s), pii_encrypt(%s), "
                   "pii_encrypt('+15550104477'))", [secret, "Marguerite Vandenbroucke"])
        # the control: the same value in a plain text column is found in its table's pages
        db.execute("CREATE TABLE plain_control (email text)")
        db.execute("INSERT INTO plain_control VALUES (%s)", [secret])
        assert secret.encode() in _page_bytes(db, "plain_control")
        pages = _page_bytes(db, "users")
        assert pages.strip(b"\0"), "the users table has rows on disk"
        for plain in (secret, "Marguerite Vandenbroucke", "+15550104477", "vandenbroucke"):
            assert plain.encode() not in pages
        assert db.query_value("SELECT pii_decrypt(email) FROM users WHERE email_hash = pii_blind(lower(%s))",
                              [secret.upper()]) == secret
        db.execute("DROP TABLE plain_control")


@needs_pg15
def test_the_blind_index_keeps_email_unique_and_the_trigger_guards_writes(applied: tuple[m.Design, str]) -> None:
    _design, url = applied
    with Database(url) as db:
        _keyed(db)
        db.execute("INSERT INTO users (email, display_name) "
                   "VALUES (pii_encrypt('ana@example.com'), pii_encrypt('Ana'))")
        refusals = {
            # differently cased: the same address for citext, so the same blind index
            "INSERT INTO users (email, display_name) VALUES (pii_encrypt('ANA@example.com'), pii_encrypt('Ana B'))":
                ("23505", "uq_users_email"),
            # a CHECK the table cannot hold on ciphertext, tested by the trigger on the plaintext
            "INSERT INTO users (email, display_name) VALUES (pii_encrypt('not an address'), pii_encrypt('X'))":
                ("23514", "ck_users_email_format"),
            # plaintext smuggled into the bytea column: not ciphertext under the key, refused
            "INSERT INTO users (email, display_name) VALUES (convert_to('eve@example.com', 'UTF8'), pii_encrypt('E'))":
                ("39000", None),
        }
        for statement, (state, constraint) in refusals.items():
            with pytest.raises(DatabaseError) as caught, db.transaction(rollback=True):
                db.execute(statement)
            assert caught.value.sqlstate == state, (statement, caught.value)
            assert constraint is None or caught.value.constraint == constraint
        # a hash written by hand is recomputed from the value, so it cannot point at another row
        with db.transaction(rollback=True):
            db.execute("UPDATE users SET email_hash = pii_blind('someone@else.com') "
                       "WHERE email_hash = pii_blind('ana@example.com')")
            assert db.query_value("SELECT count(*) FROM users WHERE email_hash = pii_blind('ana@example.com')") == 1
    with Database(url) as fresh:  # no key: a clear refusal, never a NULL or an empty-key encryption
        with pytest.raises(DatabaseError) as caught:
            fresh.query_value("SELECT pii_encrypt('x')")
        assert caught.value.sqlstate == "42501" and "key is not set" in str(caught.value)
        _keyed(fresh, "another-key-of-enough-length")
        with pytest.raises(DatabaseError):  # the wrong key decrypts nothing
            fresh.query_value("SELECT pii_decrypt(email) FROM users LIMIT 1")


@needs_pg15
def test_validate_on_pg15_finds_rows_through_the_blind_index(saas: m.Design) -> None:
    files = deliverables(saas)
    report = validate(saas, files["schema.sql"], files["migrations/0001_initial.down.sql"], LOCAL_PG15_URL, rows=12,
                      runs=3)
    # The attack suite (roles and tenants) has its own tests; here: applied, loaded, patterns, proofs.
    theirs = ("attacks", "tenants", "security attacks")
    failed = [(c.name, c.detail) for c in report.checks if c.status != "PASS" and not c.name.startswith(theirs)]
    assert not failed, failed
    assert any(c.name == "proof: unique uq_users_email" and c.status == "PASS" for c in report.checks)
    lookup = next(p for p in report.patterns if p.name == "user_by_email")
    assert lookup.rows == 1 and lookup.params["email"].endswith("@example.com")


def test_validate_without_pgcrypto_says_so_before_anything_runs(saas: m.Design) -> None:
    report = validate(saas, "", "", None)  # the embedded server: it has no pgcrypto
    assert [c.name for c in report.checks] == ["extensions available"]
    detail = report.checks[0].detail
    assert "no pgcrypto" in detail and "--database-url" in detail and "postgresql-15" in detail


@needs_pg15
def test_generated_rows_are_ciphertext_of_known_plaintext_with_consistent_hashes() -> None:
    # Without the tenant column: `generate` does not yet give the tenant-keyed composite foreign
    # keys matching parents (issues -> projects), which has nothing to do with encryption.
    spec = load_spec(SAAS)
    saas = design_from_spec(spec.model_copy(update={"security": spec.security.model_copy(
        update={"tenant_column": None})}))
    roles = lambda scratch: [(r.name, r.bypass_rls) for r in scoped(saas, scratch).roles]  # noqa: E731
    with sandboxed_database(LOCAL_PG15_URL, saas.extensions, roles) as box:
        design = scoped(saas, box.database)
        result = generate(design, box.url, scale=0.0002, seed=3)
        users = next(t for t in result.tables if t.table == "users")
        assert users.rows > 50, result.tables
        with Database(box.url) as db:
            use_test_key(db, design)
            rows = db.query("SELECT pii_decrypt(email), email_hash = pii_blind(lower(pii_decrypt(email))), "
                            "pii_decrypt(display_name) FROM users")
            assert len(rows) == users.rows
            assert all(email and "@" in email and same and name for email, same, name in rows)
            # bench's parameter draws take plaintext values that the blind index finds
            pattern = next(p for p in design.access_patterns if p.name == "user_by_email")
            bound = positional(pattern.sql)
            bindings = draw_bindings(db, design, pattern, bound.names, ["text"], 5, enums={}, seed=1)
            assert len({b[0] for b in bindings}) > 1
            db.execute(f"PREPARE by_email AS {bound.sql}")
            for (email,) in bindings:
                assert db.query(f"EXECUTE by_email({quote_literal(email)})"), email
        with Database(box.url) as other:  # another key reads nothing
            _keyed(other, "another-key-of-enough-length")
            assert run_key() != "another-key-of-enough-length"
            with pytest.raises(DatabaseError):
                other.query("SELECT pii_decrypt(email) FROM users LIMIT 1")


def test_the_plaintext_view_has_the_types_checks_and_keys_of_the_plain_table(saas: m.Design) -> None:
    plain = plaintext_design(saas).table("users")
    assert plain.column("email").sql_type == "citext" and plain.column("email_hash") is None
    assert [u.columns for u in plain.uniques if u.name == "uq_users_email"] == [("email",)]
    assert "ck_users_email_format" in {c.name for c in plain.checks}



def test_the_run_key_is_random_unless_the_user_gives_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCHEMAWRIGHT_PII_KEY", raising=False)
    made = run_key()
    assert len(made) >= 32 and run_key() == made  # one per process: generate, then bench, read the same rows
    monkeypatch.setenv("SCHEMAWRIGHT_PII_KEY", "the-key-my-qa-run-knows")
    assert run_key() == "the-key-my-qa-run-knows"


def test_the_qa_readme_says_the_suite_needs_the_key(saas: m.Design) -> None:
    readme = deliverables(saas)["tests/README.md"]
    assert "PGOPTIONS=\"-c app.pii_key=$PII_KEY\"" in readme and "billing_accounts, users" in readme
    assert "pii_key" not in deliverables(design_file(SHOP))["tests/README.md"]


def test_an_encrypted_column_in_a_key_is_a_located_error() -> None:
    text = ENCRYPTED_SPEC.replace("access_patterns:", """  Visit:
    attributes:
      at: {type: timestamp, required: true}
relationships:
  - {from: Customer, to: Visit, type: one-to-many, columns: [customer_email], references: [email]}
access_patterns:""")
    with pytest.raises(SpecErrors) as caught:
        parse_spec(text, "pii.yaml")
    issue = next(i for i in caught.value.issues if "part of a key" in i.message)
    assert "customers.email" in issue.message and issue.line == 5, issue.format()  # at `email:`
    parse_spec(text.replace("pii: encrypt", "pii: mask"), "pii.yaml")  # a masked key is fine
