"""`generate` on a database it does not own (issue 9): it empties only what the user named,
creates the design's schema all or nothing, refuses to load into an incomplete schema, and
writes COPY text that brings every string back exactly.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import design_of, server_for

from schemawright.database import Database, scratch_database
from schemawright.generation import GenerationError, generate
from schemawright.generation.columns import ColumnGen
from schemawright.generation.existing import missing_objects
from schemawright.generation.loader import copy_text
from schemawright.pipeline import design_file
from schemawright.security.names import scoped
from schemawright.sql.postgresql import render_down, render_up
from schemawright.sql.quoting import quote_ident as q
from schemawright.validation.script import run_script

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml")) + [ROOT / "src/schemawright/requirements/example.yaml"]

SHOP = """
project: safety
audit: true
entities:
  Customer:
    attributes:
      name: {type: string, max_length: 40, required: true}
  Order:
    attributes:
      total: {type: integer, required: true, min: 0}
relationships:
  - {from: Customer, to: Order, type: one-to-many}
rules:
  - {entity: Order, name: total_small, check: "total < 1000000"}
access_patterns:  # customers are deleted, so their orders' foreign key gets its index (ix_orders_customer_id)
  - {name: forget_customer, kind: write, query: "DELETE FROM customers WHERE id = :id"}
volumes:
  Customer: {rows: 40}
  Order: {rows: 120}
"""

# Tables of the user's that TRUNCATE ... CASCADE of the design would empty: a plain one with a
# foreign key, one that references that one (CASCADE follows chains), a partitioned one (its
# partitions hold the rows) and one that inherits from a design table (TRUNCATE empties children).
USER_TABLES = """
CREATE TABLE my_notes (id int PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers (id), note text);
CREATE TABLE my_note_tags (note_id int NOT NULL REFERENCES my_notes (id), tag text);
CREATE TABLE my_events (at date NOT NULL, order_id bigint REFERENCES orders (id)) PARTITION BY RANGE (at);
CREATE TABLE my_events_2024 PARTITION OF my_events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
INSERT INTO my_notes SELECT 1, min(id), 'keep me' FROM customers;
INSERT INTO my_note_tags VALUES (1, 'important');
INSERT INTO my_events SELECT '2024-05-01', min(id) FROM orders;
CREATE TABLE my_archive (archived_on date) INHERITS (customers);
INSERT INTO my_archive (id, name, archived_on) OVERRIDING SYSTEM VALUE VALUES (-1, 'old', '2020-01-01');
"""
USER_TABLES_NAMED = ("my_notes", "my_note_tags", "my_events", "my_archive")
USER_COUNTS = "SELECT " + " + ".join(f"(SELECT count(*) FROM {t})" for t in USER_TABLES_NAMED)  # 4 rows


@pytest.fixture(scope="module")
def shop() -> object:
    return design_of(SHOP)


def _value(url: str, sql: str) -> object:
    with Database(url) as db:
        return db.query_value(sql)


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "300"}
    return subprocess.run([sys.executable, "-m", "schemawright.cli", *args], check=False, capture_output=True,
                          text=True, env=env, timeout=300)


# ------------------------------------------------------------------ --truncate


def test_truncate_refuses_to_reach_tables_outside_the_design(pg_url, shop) -> None:
    with scratch_database(pg_url) as url:
        generate(shop, url, scale=1.0, seed=1)
        with Database(url) as db:
            db.execute(USER_TABLES)
        orders = _value(url, "SELECT count(*) FROM orders")
        with pytest.raises(GenerationError) as refused:
            generate(shop, url, scale=1.0, seed=2, truncate=True)
        message = str(refused.value)
        for name in USER_TABLES_NAMED:
            assert f"--truncate-also {name}" in message
        assert "my_events_2024" not in message  # a partition goes with its parent
        assert _value(url, USER_COUNTS) == 4  # nothing of the user's was emptied ...
        assert _value(url, "SELECT count(*) FROM orders") == orders  # ... nor of the design


def test_truncate_empties_the_tables_the_user_names_and_nothing_else(pg_url, shop) -> None:
    with scratch_database(pg_url) as url:
        generate(shop, url, scale=1.0, seed=1)
        with Database(url) as db:
            db.execute(USER_TABLES)
            db.execute("CREATE TABLE bystander (id int PRIMARY KEY); INSERT INTO bystander VALUES (1)")
        with pytest.raises(GenerationError, match="my_events"):  # naming only some is not enough
            generate(shop, url, scale=1.0, seed=2, truncate=True, truncate_also=("my_notes", "my_note_tags"))
        assert _value(url, USER_COUNTS) == 4
        with pytest.raises(GenerationError, match="no_such_table"):
            generate(shop, url, scale=1.0, seed=2, truncate=True, truncate_also=("no_such_table",))
        result = generate(shop, url, scale=1.0, seed=2, truncate=True,
                          truncate_also=("my_notes", "my_note_tags", "public.my_events", "my_archive"))
        assert [t.rows for t in result.tables] == [40, 120]
        assert _value(url, USER_COUNTS) == 0
        assert _value(url, "SELECT count(*) FROM bystander") == 1  # references nothing: never named, never emptied


def test_cli_truncate_names_what_it_would_reach(pg_url, shop, tmp_path) -> None:
    spec = tmp_path / "safety.yaml"
    spec.write_text(SHOP)
    with scratch_database(pg_url) as url:
        assert _cli("generate", str(spec), "--scale", "1", "--database-url", url).returncode == 0
        with Database(url) as db:
            db.execute(USER_TABLES)
        done = _cli("generate", str(spec), "--scale", "1", "--database-url", url, "--truncate")
        assert done.returncode != 0
        assert "my_notes" in done.stderr and "--truncate-also" in done.stderr
        assert "Traceback" not in done.stderr + done.stdout
        assert _value(url, USER_COUNTS) == 4
        done = _cli("generate", str(spec), "--scale", "1", "--database-url", url, "--truncate",
                    *(arg for name in USER_TABLES_NAMED for arg in ("--truncate-also", name)))
        assert done.returncode == 0, done.stderr
        assert _value(url, USER_COUNTS) == 0


# ------------------------------------------------------------------ all or nothing


def _design_tables(url: str, design) -> list[str]:  # type: ignore[no-untyped-def]
    with Database(url) as db:
        return [t.name for t in design.tables if db.query_value("SELECT to_regclass(%s)", [q(t.name)])]


def test_schema_creation_is_all_or_nothing_and_a_second_run_refuses(pg_url, shop) -> None:
    assert shop.functions and shop.triggers  # audit: true gives set_audit_columns() and its triggers
    name = shop.functions[0].name
    with scratch_database(pg_url) as url:
        with Database(url) as db:
            db.execute(f"CREATE FUNCTION {q(name)}() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$")
        with pytest.raises(GenerationError, match="could not be created"):
            generate(shop, url, scale=1.0, seed=1)
        assert _design_tables(url, shop) == []  # nothing of the design is left behind
        with pytest.raises(GenerationError):
            generate(shop, url, scale=1.0, seed=1)  # and a second run does not load anything either
        assert _design_tables(url, shop) == []


def test_loading_refuses_an_incomplete_schema_and_names_what_is_missing(pg_url, shop, tmp_path) -> None:
    spec = tmp_path / "safety.yaml"
    spec.write_text(SHOP)
    trigger = shop.triggers[0]
    with scratch_database(pg_url) as url:
        with Database(url) as db:
            assert run_script(db, render_up(shop)) is None
            db.execute(f"DROP TRIGGER {q(trigger.name)} ON {q(trigger.table)}")
            db.execute("ALTER TABLE orders DROP CONSTRAINT ck_orders_total_small")
            db.execute("DROP INDEX ix_orders_customer_id")
        with pytest.raises(GenerationError) as refused:
            generate(shop, url, scale=1.0, seed=1)
        message = str(refused.value)
        assert trigger.name in message and "ck_orders_total_small" in message and "ix_orders_customer_id" in message
        done = _cli("generate", str(spec), "--scale", "1", "--database-url", url)
        assert done.returncode != 0 and trigger.name in done.stderr, done.stdout
        assert "Traceback" not in done.stderr + done.stdout
        assert _value(url, "SELECT count(*) FROM orders") == 0


@pytest.mark.parametrize("spec", EXAMPLES, ids=lambda p: p.stem)
def test_nothing_is_missing_right_after_the_up_script(pg_url, spec) -> None:
    design = design_file(spec)
    server = server_for(design, pg_url)  # pii: encrypt needs pgcrypto: the local PostgreSQL 15
    with scratch_database(server) as url, Database(url) as db:
        if server != pg_url:  # a shared server: the design's roles named for this scratch database only
            design = scoped(design, db.query_value("SELECT current_database()"))
        empty = missing_objects(db, design)
        assert empty[:len(design.tables)] == [f"table {t.name}" for t in design.tables]
        assert {f"function {f.name}" for f in design.functions} <= set(empty)
        assert run_script(db, render_up(design)) is None
        assert missing_objects(db, design) == []
        if server != pg_url:  # the run's roles belong to the shared cluster: the down script drops them
            assert run_script(db, render_down(design)) is None


def test_a_complete_schema_created_elsewhere_is_loaded(pg_url, shop) -> None:
    with scratch_database(pg_url) as url:
        with Database(url) as db:
            assert run_script(db, render_up(shop)) is None
        result = generate(shop, url, scale=1.0, seed=1)
        assert not result.schema_applied and [t.rows for t in result.tables] == [40, 120]


# ------------------------------------------------------------------ COPY text

AWKWARD = ["\\N", "a\tb", "a\nb", "\\.", "back\\slash", "cr\rx", "\\", "\\t", "\r\n", "plain"]


@pytest.mark.parametrize("enums", ["check", "type"])
def test_enum_values_with_copy_special_characters_round_trip(pg_url, enums) -> None:
    values = ", ".join('"' + v.encode("unicode_escape").decode().replace('"', '\\"') + '"' for v in AWKWARD)
    design = design_of(f"""
        project: esc
        naming: {{enums: {enums}}}
        entities:
          Note:
            attributes:
              kind: {{type: enum, values: [{values}], required: true}}
              other: {{type: enum, values: [{values}]}}
        volumes:
          Note: {{rows: 2000}}
    """)
    with scratch_database(pg_url) as url:
        result = generate(design, url, scale=1.0, seed=1)
        assert result.tables[0].rows == 2000
        with Database(url) as db:
            assert db.query_value("SELECT count(*) FROM notes") == 2000
            kinds = {r[0] for r in db.query("SELECT DISTINCT kind::text FROM notes")}
            others = {r[0] for r in db.query("SELECT DISTINCT other::text FROM notes")}
    assert kinds == set(AWKWARD)
    assert others == set(AWKWARD) | {None}


def test_copy_text_round_trips_any_string_and_null(pg_url) -> None:
    strings = AWKWARD + ["", "N", "\\\\N", "x\\", "\\.\n", "tab\tend\t", "\x0b\x0c\x08", "é ü \u2028"]
    raw = np.arange(len(strings) + 1, dtype=np.int64)
    gen = ColumnGen(column=None, profile=None, kind="text",  # type: ignore[arg-type]
                    render_text=lambda codes: [strings[c] if c < len(strings) else None for c in codes.tolist()])
    nulls = np.zeros(raw.size, dtype=bool)
    nulls[0] = True  # NULL by the mask as well as by the renderer
    rendered = gen.render(raw, nulls)
    numbers = [str(i) for i in range(raw.size)]
    with scratch_database(pg_url) as url, Database(url) as db:
        db.execute("CREATE TABLE t (n int, v text)")
        db.copy_in("COPY t (n, v) FROM STDIN", [copy_text([numbers, rendered])])
        assert dict(db.query("SELECT n, v FROM t")) == {0: None, **{i: s for i, s in enumerate(strings) if i},
                                                       len(strings): None}
        for text in strings:  # one value per batch: the batches without NULL take the quick path
            db.execute("TRUNCATE t")
            db.copy_in("COPY t (n, v) FROM STDIN", [copy_text([["1", "2"], [text, "z"]])])
            assert db.query("SELECT n, v FROM t ORDER BY n") == [(1, text), (2, "z")]
