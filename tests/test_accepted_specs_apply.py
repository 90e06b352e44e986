"""Specs that `check` accepts give DDL that PostgreSQL accepts (issue 9, "wrong output for
accepted input").

Each case is a minimal spec that once passed `check` but produced DDL PostgreSQL refused,
or DDL that silently meant something else.  Each now either fails `check` with a located
error (line and column of the offending value, a fix, a "did you mean" where a name is
misspelt) or applies on a real server, with every constraint it names present afterwards.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator

import pytest

from schemawright import model as m
from schemawright.database import Database
from schemawright.database.scratch import scratch_database
from schemawright.errors import SpecErrors, SpecIssue
from schemawright.pipeline import design_from_spec
from schemawright.pipeline import parse_spec
from schemawright.sql.postgresql import render_up
from schemawright.validation.script import run_script


@pytest.fixture(scope="module")
def db(pg_url: str) -> Iterator[Database]:
    with scratch_database(pg_url) as url, Database(url) as database:
        yield database


def located(text: str, needle: str, fragment: str, nth: int = 1) -> SpecIssue:
    """`text` fails `check` with an error containing `fragment`, placed at the `nth`
    occurrence of `needle` in the file."""
    text = textwrap.dedent(text)
    with pytest.raises(SpecErrors) as info:
        parse_spec(text, "spec.yaml")
    start = -1
    for _ in range(nth):
        start = text.index(needle, start + 1)
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    found = [i for i in info.value.issues if fragment in i.message]
    assert found, f"no error mentions {fragment!r}: {[i.format() for i in info.value.issues]}"
    assert (found[0].line, found[0].column) == (line, column), found[0].format()
    assert found[0].hint or "; " in found[0].message, "every error says how to fix it"
    return found[0]


def applies(db: Database, text: str) -> tuple[m.Design, str]:
    """`text` passes `check`, and its schema.sql applies on PostgreSQL with every
    constraint it names present in the catalog (none silently dropped)."""
    design = design_from_spec(parse_spec(textwrap.dedent(text), "spec.yaml"))
    up = render_up(design)
    db.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
    failure = run_script(db, up)
    assert failure is None, f"{failure}\n{up}"
    named = set(re.findall(r"CONSTRAINT (\w+) (?:PRIMARY KEY|UNIQUE|CHECK|FOREIGN KEY)", up))
    present = {row[0] for row in db.query("SELECT conname FROM pg_constraint c JOIN pg_namespace n "
                                          "ON n.oid = c.connamespace WHERE n.nspname = 'public'")}
    assert named <= present, f"constraints rendered but missing on the server: {sorted(named - present)}"
    return design, up


# ------------------------------------------------------------------ keys and tables


def test_natural_primary_key_with_a_list_attribute_applies(db: Database) -> None:
    design, up = applies(db, """\
        project: p
        entities:
          Country:
            primary_key: [code]
            attributes:
              code: {type: string, max_length: 2, required: true}
              languages: {type: list, of: string}
        """)
    child = next(t for t in design.tables if t.kind == "list")
    assert child.foreign_keys[0].ref_columns == ("code",)
    assert child.column(child.foreign_keys[0].columns[0]).sql_type == "text"


def test_list_attribute_on_an_entity_without_a_key_is_located() -> None:
    located("""\
        project: p
        entities:
          Event:
            primary_key: []
            attributes:
              tags: {type: list, of: string}
        """, "tags", "has no primary key")


def test_junction_attributes_that_meet_after_snake_casing_are_located() -> None:
    issue = located("""\
        project: p
        entities:
          Playlist: {attributes: {title: text}}
          Song: {attributes: {title: text}}
        relationships:
          - from: Playlist
            to: Song
            type: many-to-many
            attributes:
              Position: integer
              position: integer
        """, "position:", "becomes column 'position'")
    assert "Position" in issue.message


def test_junction_attribute_meeting_a_key_column_is_located() -> None:
    located("""\
        project: p
        entities:
          Playlist: {attributes: {title: text}}
          Song: {attributes: {title: text}}
        relationships:
          - from: Playlist
            to: Song
            type: many-to-many
            attributes:
              song_id: integer
        """, "song_id", "becomes column 'song_id'")


def test_empty_unique_rule_is_located() -> None:
    located("""\
        project: p
        entities:
          Thing: {attributes: {name: text}}
        rules:
          - {entity: Thing, unique: []}
        """, "[]", "at least 1 column")


def test_unique_rule_equal_to_the_primary_key_is_a_recorded_decision(db: Database) -> None:
    design, up = applies(db, """\
        project: p
        entities:
          Country:
            primary_key: [code]
            attributes:
              code: {type: string, required: true, unique: true}
              name: {type: text, unique: true}
        rules:
          - {entity: Country, unique: [code]}
          - {entity: Country, unique: [name]}
        """)
    table = design.table_for_entity("Country")
    assert [u.columns for u in table.uniques] == [("name",)]
    said = [d for d in design.decisions if d.subject.startswith("countries.") and "not created" in d.choice]
    assert len(said) == 3, design.decisions  # two copies of the key, one copy of the name rule


# ------------------------------------------------------------------ checks and foreign keys


def test_rule_check_naming_a_missing_column_is_located() -> None:
    issue = located("""\
        project: p
        entities:
          Thing: {attributes: {qty: integer}}
        rules:
          - {entity: Thing, check: "qtty > 0"}
        """, '"qtty', "'qtty'")
    assert issue.hint == "did you mean 'qty'?"


def test_attribute_check_naming_a_missing_column_is_located() -> None:
    issue = located("""\
        project: p
        entities:
          Thing:
            attributes:
              qty: {type: integer, check: "qtty > 0"}
        """, '"qtty', "'qtty'")
    assert issue.hint == "did you mean 'qty'?"


def test_check_on_a_list_attribute_names_its_value(db: Database) -> None:
    located("""\
        project: p
        entities:
          Thing:
            attributes:
              scores: {type: list, of: integer, check: "scores > 0"}
        """, '"scores', "'scores'")
    applies(db, """\
        project: p
        entities:
          Thing:
            attributes:
              scores: {type: list, of: integer, check: "value > 0"}
        """)


def test_checks_naming_real_columns_apply(db: Database) -> None:
    applies(db, """\
        project: p
        audit: true
        entities:
          Customer: {attributes: {name: text}}
          Order:
            attributes:
              qty: {type: integer, check: "qty > 0 AND orders.qty < 1000"}
              "Unit Price": {type: decimal, check: "\\"unit_price\\" >= 0"}
        relationships:
          - {from: Customer, to: Order, type: one-to-many}
        rules:
          - {entity: Order, check: "customer_id IS NOT NULL OR created_at < now() OR lower('x') = 'x'"}
        """)


def test_foreign_key_column_of_another_type_is_located() -> None:
    located("""\
        project: p
        entities:
          Customer: {attributes: {name: text}}
          Order:
            attributes:
              buyer: text
        relationships:
          - {from: Customer, to: Order, type: one-to-many, columns: [buyer]}
        """, "[buyer]", "foreign key column 'buyer' is text")


def test_foreign_key_column_of_a_compatible_type_applies(db: Database) -> None:
    applies(db, """\
        project: p
        entities:
          Customer: {attributes: {name: text}}
          Order:
            attributes:
              buyer: integer
        relationships:
          - {from: Customer, to: Order, type: one-to-many, columns: [buyer]}
        """)


# ------------------------------------------------------------------ defaults and bounds

ONE = """\
project: p
entities:
  Thing:
    attributes:
      x: {type: %s, default: %s}
"""


@pytest.mark.parametrize(("declared", "default", "fragment"), [
    ("integer", "abc", "not an integer"),
    ("integer", ".inf", "not an integer"),
    ("integer", "1.5", "not an integer"),
    ("integer", "3000000000", "out of range for integer"),
    ("decimal, precision: 5, scale: 2", ".inf", "not a finite number"),
    ("decimal, precision: 5, scale: 2", "12345", "does not fit numeric(5,2)"),
    ("date", "2024-02-30", "not a date"),
    ("timestamp", "yesterday-ish", "not a timestamp"),
    ("time", "25:00", "not a time of day"),
    ("uuid", "not-a-uuid", "not a uuid"),
    ("boolean", "banana", "not a boolean"),
    ("json", "'{oops'", "not valid JSON"),
    ("email", "nobody", "not an e-mail address"),
    ("enum, values: [a, b]", "c", "not one of the enum's values"),
    ("string, max_length: 2", "abc", "longer than max_length 2"),
    ("integer, min: 5", "4", "below min 5"),
    ("list, of: string", "x", "a list attribute has no default"),
])
def test_default_of_the_wrong_type_is_located(declared: str, default: str, fragment: str) -> None:
    issue = located(ONE % (declared, default), default.split(",")[0] + "}", fragment)
    assert "default" in issue.message


def test_min_on_a_string_is_located() -> None:
    located("""\
        project: p
        entities:
          Thing: {attributes: {s: {type: string, min: 1}}}
        """, "1}", "`min` applies to numbers")


def test_identity_with_a_default_is_located() -> None:
    located("""\
        project: p
        entities:
          Thing:
            primary_key: [n]
            attributes:
              n: {type: bigint, identity: true, default: 5}
        """, "5}", "identity")


@pytest.mark.parametrize(("written", "rendered"), [
    ("'on'", "true"), ("off", "false"), ("'yes'", "true"), ("N", "false"), ("true", "true"), ("0", "false")])
def test_boolean_defaults_read_as_postgresql_reads_them(db: Database, written: str, rendered: str) -> None:
    design, up = applies(db, ONE % ("boolean", written))
    assert f"x boolean DEFAULT {rendered}" in up


@pytest.mark.parametrize(("declared", "written", "rendered"), [
    ("string", "'on'", "'on'"), ("string", "1.50", "'1.50'"), ("string", "007", "'007'"),
    ("text", "true", "'true'"), ("enum, values: ['1.0', '2']", "1.0", "'1.0'"),
    ("string", "1_000", "'1_000'")])
def test_text_defaults_keep_what_the_user_wrote(db: Database, declared: str, written: str, rendered: str) -> None:
    design, up = applies(db, ONE % (declared, written))
    assert f"DEFAULT {rendered}" in up


@pytest.mark.parametrize(("declared", "default"), [
    ("integer, min: 0, max: 10", "10"), ("bigint", "'-9223372036854775808'"), ("decimal, precision: 5, scale: 2", "-999.99"),
    ("money", "12.5"), ("date", "2024-02-29"), ("date", "today"), ("timestamp", "2024-01-02T03:04:05+00:00"),
    ("timestamp", "now"), ("time", "'23:59:59.5'"), ("uuid", "123e4567-e89b-12d3-a456-426614174000"),
    ("json", "'[1, \"a\"]'"), ("phone", "'+14155550123'"), ("url", "https://example.com/a"),
    ("enum, values: [a, b]", "b"), ("string, max_length: 3", "abc"), ("integer", "'sql: 1 + 1'"),
    ("decimal, precision: 1, scale: 1", "0"), ("decimal, precision: 2, scale: 2", "0.99")])
def test_defaults_of_the_right_type_apply(db: Database, declared: str, default: str) -> None:
    applies(db, ONE % (declared, default))


# ------------------------------------------------------------------ partitions


def test_too_many_initial_partitions_is_located() -> None:
    issue = located("""\
        project: p
        entities:
          Reading:
            partition: {by: range, key: at, interval: 1 day}
            attributes:
              at: {type: timestamp, required: true}
        volumes:
          Reading: {rows: 1000000000, growth_per_month: 10000000, retention_months: 1200}
        """, "{by: range", "initial 1 day partitions")  # 100 months of rows held now: about 3,050 days
    assert "`interval: 1 week` gives" in issue.hint


def test_automatic_range_partitions_are_coarsened_to_fit_one_transaction() -> None:
    design = design_from_spec(parse_spec(textwrap.dedent("""\
        project: p
        entities:
          Reading:
            partition: {by: range, key: at}
            attributes:
              at: {type: timestamp, required: true}
        volumes:
          Reading: {rows: 60000000000, growth_per_month: 2000000000, retention_months: 60}
        """), "spec.yaml"))
    table = design.table_for_entity("Reading")
    from schemawright.partitioning.rules import MAX_INITIAL_PARTITIONS

    assert table.partitioning is not None and len(table.partitioning.partitions) <= MAX_INITIAL_PARTITIONS + 1
    assert table.partitioning.interval == "1 week"
    decision = next(d for d in design.decisions if d.subject == table.name and d.step == "partitioning")
    assert "coarser" in decision.reason


def test_retention_too_long_for_any_interval_is_located() -> None:
    located("""\
        project: p
        entities:
          Reading:
            partition: {by: range, key: at}
            attributes:
              at: {type: timestamp, required: true}
        volumes:
          Reading: {rows: 1000, growth_per_month: 10, retention_months: 30000}
        """, "30000", "before the year 1")


def test_too_many_hash_partitions_is_located() -> None:
    located("""\
        project: p
        entities:
          Reading:
            partition: {by: hash, key: n, partitions: 1024}
            attributes:
              n: {type: integer, required: true}
        """, "{by: hash", "1,024")


# ------------------------------------------------------------------ found by test_property_accepted_apply.py


def test_array_column_as_a_foreign_key_is_located() -> None:
    located("""\
        project: p
        entities:
          Customer:
            attributes:
              qty: {type: array, of: integer}
        relationships:
          - {from: Customer, to: Customer, type: one-to-many, required: false, role: r, columns: [qty]}
        """, "[qty]", "foreign key column 'qty' is integer[]")


def test_many_to_many_with_a_keyless_entity_is_located() -> None:
    located("""\
        project: p
        entities:
          Customer:
            primary_key: []
            attributes:
              code: text
        relationships:
          - {from: Customer, to: Customer, type: many-to-many, role: r}
        """, "{from", "has no primary key")


def test_huge_decimal_default_is_located_not_a_crash() -> None:
    located(ONE % ("decimal, precision: 5, scale: 2", "1e400"), "1e400", "default")
    located(ONE % ("decimal, precision: 5, scale: 2", "'1e400'"), "'1e400'", "does not fit numeric(5,2)")
