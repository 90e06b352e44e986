"""Specs the fuzzers (tests/test_fuzz.py, benchmarks/fuzz.py) found slipping past `check`.

Each is the smallest spec that showed the defect: `check` accepted it and PostgreSQL refused
the DDL, or a later stage crashed. Each must now be a located error at `check` time (file,
line, column, a hint), or give DDL that a real PostgreSQL applies.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator

import pytest

from schemawright.database import Database, scratch_database
from schemawright.errors import SpecErrors
from schemawright.pipeline import design_from_spec
from schemawright.pipeline import parse_spec
from schemawright.sql.postgresql import render_up


def refused(text: str) -> list[str]:
    """The located errors `check` gives for `text` (a spec), formatted; [] when it is accepted."""
    try:
        parse_spec(textwrap.dedent(text), "spec.yaml")
    except SpecErrors as errors:
        assert all(i.line > 0 and i.column > 0 and i.hint for i in errors.issues), errors
        return [i.format() for i in errors.issues]
    return []


@pytest.fixture(scope="module")
def db(pg_url: str) -> Iterator[Database]:
    with scratch_database(pg_url) as url, Database(url) as database:
        yield database


def applies(text: str, db: Database) -> None:
    """`text` is accepted and its DDL applies on PostgreSQL (rolled back)."""
    sql = render_up(design_from_spec(parse_spec(textwrap.dedent(text), "spec.yaml")))
    with db.transaction(rollback=True):
        db.execute(sql)


RULE_CHECK = """\
project: p
entities:
  Item:
    attributes:
      qty: integer
      label: string
      flag: boolean
rules:
  - {{name: r, entity: Item, check: {check}}}
"""


@pytest.mark.parametrize("check", ["'0'", "'1.5'", "\"'abc'\"", "qty + 1", "-qty", "'qty::text'", "qty", "label",
                                   "current_date", "\"label || 'x'\""])
def test_a_check_that_is_not_boolean_is_a_located_error(check: str) -> None:
    """spec:791: `check: '0'` passed, and PostgreSQL refuses `CHECK (0)` (argument of CHECK
    must be type boolean); so do arithmetic, a string, a cast to a non-boolean type and a
    column that is not boolean."""
    errors = refused(RULE_CHECK.format(check=check))
    assert len(errors) == 1 and "spec.yaml:9:" in errors[0] and "boolean" in errors[0], errors


@pytest.mark.parametrize("check", ["'true'", "'null'", "\"'yes'\"", "flag", "NOT flag", "qty > 0 AND flag",
                                   "\"(qty + 1) > 0\"", "'flag::boolean'", "'(qty)::bool'", "\"label ~ '^a'\"",
                                   "qty IS NULL", "'coalesce(flag, true)'"])
def test_boolean_checks_are_still_accepted(check: str, db: Database) -> None:
    """The same checks written as conditions: accepted, and PostgreSQL applies them."""
    applies(RULE_CHECK.format(check=check), db)


def test_a_many_to_many_attribute_check_is_read_as_one_expression() -> None:
    """The `check:` of a many-to-many relationship's attribute was not read by sql_fragments.py:
    the injection passed `check` and only the render-time verifier stopped it, as an internal
    error."""
    errors = refused("""\
        project: p
        entities:
          Order: {attributes: {n: integer}}
          Product: {attributes: {sku: string}}
        relationships:
          - name: lines
            from: Order
            to: Product
            type: many-to-many
            attributes:
              q:
                type: integer
                check: "q > 0)); DROP ROLE IF EXISTS x; CREATE TEMP TABLE p (c int CHECK (true"
        """)
    assert len(errors) == 1 and errors[0].startswith("spec.yaml:13:") and "not one SQL expression" in errors[0], errors


# Each found by benchmarks/fuzz.py once its mutations kept specs valid (tests/mutations.py,
# nudge_tree): `check` accepted the spec and PostgreSQL refused its DDL with the error quoted.
TYPED = """\
project: p
extensions: []
entities:
  Item:
    attributes:
      qty: integer
      note: text
      label: string
      due_on: date
      at: {{type: timestamp, required: true}}
      ip: {{type: string, sql_type: inet}}
      {attribute}
"""


@pytest.mark.parametrize(("attribute", "key", "words"), [
    # identity column type must be smallint, integer, or bigint
    ("issue_no: {type: phone, identity: true, required: true}", "identity", "identity column"),
    # relation "s" does not exist
    ("n: {type: integer, default: 'sql: nextval(''s'')'}", "default", "sequence 's'"),
    # generation expression is not immutable
    ("total: {type: decimal, precision: 12, scale: 2, generated: 'qty * now()::date'}", "generated", "now()"),
    # type "geometry" does not exist
    ("shape: {type: string, sql_type: geometry}", "sql_type", "'geometry'"),
    # function char_length(time without time zone) does not exist
    ("t: {type: time, check: char_length(t) < 500}", "check", "char_length() on a time"),
    # operator does not exist: timestamp with time zone >= uuid
    ("u: {type: uuid, check: at >= u}", "check", "compares a datetime value with a uuid"),
    # operator does not exist: inet >= date
    ("d2: {type: date, check: ip >= due_on}", "check", "compares an inet value"),
    # column "barcode" is of type integer but default expression is of type text
    ("barcode: {type: integer, generated: '''LIB-'' || label'}", "generated", "gives a text value"),
    # invalid input syntax for type integer: "pending"
    ("status: {type: enum, values: [pending], default: pending, sql_type: int}", "default", "not an integer"),
    # column "launched_on" is of type date but default expression is of type uuid
    ("launched_on: {type: date, default: 'sql: gen_random_uuid()'}", "default", "gives a uuid value"),
    # division by zero
    ("z: {type: integer, generated: 1 / 0}", "generated", "divides a constant by zero"),
    # function hash(bigint, integer) does not exist
    ("h: {type: integer, check: 'hash(h, 0) > 1'}", "check", "hash()"),
    # invalid input syntax for type timestamp: "2024-02-30"
    ("e: {type: timestamp, check: e > '2024-02-30'}", "check", "'2024-02-30' is not a timestamp"),
    # operator does not exist: text = integer
    ("c: {type: integer, check: label = c}", "check", "compares a text value with an integer"),
    # cannot use column reference in DEFAULT expression
    ("n: {type: integer, default: 'sql: qty + 1'}", "default", "reads a column"),
    # cannot use subquery in DEFAULT expression
    ("n: {type: integer, default: 'sql: (SELECT 1)'}", "default", "reads a column or a subquery"),
])
def test_spec_sql_of_the_wrong_type_is_a_located_error(attribute: str, key: str, words: str) -> None:
    errors = refused(TYPED.format(attribute=attribute))
    assert len(errors) == 1 and errors[0].startswith("spec.yaml:12:") and words in errors[0], errors


@pytest.mark.parametrize("attribute", [
    "issue_no: {type: bigint, identity: true, required: true}",
    "total: {type: decimal, precision: 12, scale: 2, generated: 'qty * 2.5'}",
    "shape: {type: string, sql_type: varchar(40)}",
    "t: {type: time, check: 't < ''12:00'''}",
    "u: {type: timestamp, check: 'u >= at AND u > ''2024-02-29'' AND u < ''today'''}",
    "d2: {type: date, default: today, check: d2 >= due_on}",
    "barcode: {type: string, generated: '''LIB-'' || qty'}",
    "status: {type: enum, values: ['1'], default: '1', sql_type: int}",
    "launched_on: {type: date, default: 'sql: now()'}",
    "z: {type: integer, generated: 'qty / 2'}",
    "h: {type: string, check: 'char_length(h) < 5 AND lower(h) = h AND h ~ ''^a'''}",
    "c: {type: decimal, check: 'c > qty AND coalesce(c, 0) >= 0 AND c IN (1, 2.5)'}",
])
def test_the_same_attributes_of_the_right_type_apply(attribute: str, db: Database) -> None:
    """The counterparts of the cases above: accepted, and PostgreSQL applies them."""
    applies(TYPED.format(attribute=attribute), db)


def test_an_empty_project_name_is_drawn(tmp_path) -> None:  # noqa: ANN001 - a Path
    """`project: ''` passed check, and design crashed: Graphviz refused the ERD's empty
    <B></B> title ("syntax error in line 1 ... in label of graph erd")."""
    from fuzz_runner import run_cli

    spec = tmp_path / "spec.yaml"
    spec.write_text("project: ''\nentities:\n  Item: {attributes: {qty: integer}}\n", encoding="utf-8")
    outcome = run_cli(["design", str(spec), "-o", str(tmp_path / "out"), "--offline"])
    assert outcome.exit_code == 0 and not outcome.defect, outcome.output
    assert (tmp_path / "out" / "schema.sql").exists()


def test_an_index_predicate_names_columns_of_its_table() -> None:
    """column "total" does not exist: a partial index's `where:` named a column its table lacks."""
    errors = refused("""\
        project: p
        entities:
          Item:
            attributes: {qty: integer}
            indexes:
              - {columns: [qty], where: total > 0}
        """)
    assert len(errors) == 1 and errors[0].startswith("spec.yaml:6:") and "'total'" in errors[0], errors


@pytest.mark.parametrize("sql_type", ["text", "date", "uuid", "boolean"])
def test_min_on_a_written_type_that_is_not_a_number_is_a_located_error(sql_type: str) -> None:
    """min/max become `CHECK (col >= n)`: PostgreSQL has no `text >= integer`."""
    found = refused(f"project: p\nentities:\n  Item:\n    attributes:\n"
                    f"      code: {{type: integer, sql_type: {sql_type}, min: 0}}\n")
    assert any(f"not to sql_type {sql_type}" in f for f in found), found


@pytest.mark.parametrize("sql_type", ["smallint", "'numeric(6,2)'", "double precision"])
def test_min_on_a_written_number_type_is_accepted(sql_type: str, db: Database) -> None:
    spec = f"project: p\nentities:\n  Item:\n    attributes:\n      code: {{type: integer, sql_type: {sql_type}, min: 0}}\n"
    assert refused(spec) == []
    applies(spec, db)


# The volume fuzz of 10,000 specs (benchmarks/fuzz.py) found 13 more classes of spec that
# `check` accepted and PostgreSQL refused; the error PostgreSQL gave is quoted on each case.
@pytest.mark.parametrize(("attribute", "words"), [
    # spec:2911 column "catalogue_id" is of type bit but default expression is of type uuid
    ("catalogue_id: {type: uuid, sql_type: bit(3), default: 'sql: gen_random_uuid()'}", "gives a uuid value"),
    # spec:6140 invalid input syntax for type date: "x"
    ("joined_on: {type: date, default: \"sql: 'x'\"}", "'x' is not a date"),
    # spec:8681 operator does not exist: money >= integer
    ("tax: {type: money, sql_type: money, min: 0}", "not to sql_type money"),
    # spec:4234 "n" is not a valid binary digit
    ("flags: {type: string, sql_type: bit(3), default: none}", "'n' is not a binary digit"),
    # (the same default of the wrong length: every insert refused with "bit string length 1 does not match")
    ("flags: {type: string, sql_type: bit(3), default: '1'}", "has 1 bit(s), and the type is bit(3)"),
    # spec:2003 operator does not exist: tsvector >= date
    ("d: {type: date, sql_type: tsvector, check: d >= due_on}", "compares a tsvector value with a datetime value"),
    # spec:3532 operator does not exist: tsvector >= integer
    ("year: {type: integer, sql_type: tsvector, min: 1450}", "not to sql_type tsvector"),
    # spec:3467 invalid input syntax for type interval: "organization"
    ("wait: {type: string, sql_type: interval, default: organization}", "'organization' is not an interval"),
    ("wait: {type: string, sql_type: interval, default: '2021-11-01'}", "is not an interval"),
    ("addr: {type: string, sql_type: inet, default: 'sql: ''2021-11-01 00:00:00+00'''}", "not a network address"),
])
def test_values_of_types_without_a_family_before_are_checked(attribute: str, words: str) -> None:
    """bit, money, tsvector and interval had no family in sql/types.py, so defaults, ranges and
    comparisons of those types were left to PostgreSQL; date and time took any word."""
    errors = refused(TYPED.format(attribute=attribute))
    assert len(errors) == 1 and errors[0].startswith("spec.yaml:12:") and words in errors[0], errors


@pytest.mark.parametrize("attribute", [
    "catalogue_id: {type: string, sql_type: bit(3), default: '101'}",
    "flags: {type: string, sql_type: bit varying(8), default: x1F}",
    "flags: {type: string, sql_type: bit(3), default: 'sql: B''101'''}",
    "joined_on: {type: date, default: \"sql: 'today'\", check: \"joined_on > 'epoch'\"}",
    "t: {type: time, default: \"sql: 'allballs'\"}",
    "tax: {type: money, sql_type: money, default: 0, check: \"tax >= '0'\"}",
    "tax: {type: money, sql_type: money, default: '12.50'}",
    "d: {type: string, sql_type: tsvector, check: \"d @@ 'a'::tsquery\"}",
    "wait: {type: string, sql_type: interval, default: 1 day, check: \"wait < '2 hours 30 minutes'\"}",
    "wait: {type: string, sql_type: interval, default: P1DT2H}",
    "wait: {type: string, sql_type: interval, default: '@ 5 microseconds ago'}",
    "wait: {type: string, sql_type: interval, default: '01:30'}",
    "addr: {type: string, sql_type: inet, default: 10.0.0.0/8, check: \"addr <> '::1'\"}",
])
def test_values_of_those_types_written_right_apply(attribute: str, db: Database) -> None:
    applies(TYPED.format(attribute=attribute), db)


SMALL = """\
project: p
extensions: {extensions}
entities:
  Customer:
    attributes:
      email: {{type: string, required: true}}
      zip: string(10)
      code: {{type: integer, sql_type: {code_type}, unique: true}}
    exclusions:
      - {{name: one_email, definition: '{exclusion}'}}
  Order:
    attributes:
      placed_at: {{type: timestamp, required: true, sql_type: {placed_type}}}
      customer_code: integer
    partition: {{by: range, key: placed_at, interval: 1 month}}
relationships:
  - {{from: Customer, to: Order, type: one-to-many, columns: [{fk}], references: [code]}}
rules:
  - {{name: one_per_zip, entity: Customer, unique: {unique}}}
views:
  - {{name: {view}, sql: SELECT 1 AS x}}
"""
GOOD = {"extensions": "[pg_trgm, btree_gist]", "code_type": "integer", "exclusion": "USING btree (email WITH =)",
        "placed_type": "timestamptz", "fk": "customer_code", "unique": "[email, zip]", "view": "recent"}


@pytest.mark.parametrize(("change", "line", "words"), [
    # spec:7525 column "issue_no" named in key does not exist
    ({"exclusion": "USING btree (issue_no WITH =)"}, 10, "names column 'issue_no', which table 'customers'"),
    ({"exclusion": "USING btree (email WITH =) WHERE (total > 0)"}, 10, "names column 'total'"),
    # spec:7732 extension "9999-12-31" is not available
    ({"extensions": "['9999-12-31']"}, 2, "extension '9999-12-31' is not an extension schemawright knows"),
    ({"extensions": "[pg_trgm1]"}, 2, "did you mean 'pg_trgm'?"),
    # spec:6927 column "full_name" appears twice in unique constraint
    ({"unique": "[email, zip, email]"}, 19, "names column 'email' twice"),
    # spec:6198 invalid input syntax for type inet: "2021-11-01 00:00:00+00" (a range partition bound)
    ({"placed_type": "inet"}, 15, "range partitions are by time here, but 'placed_at' is sql_type inet"),
    # spec:9047 foreign key constraint ... cannot be implemented (... incompatible types: bit and integer)
    ({"code_type": "bit(3)"}, 17, "foreign key column 'customer_code' is integer but references customers.code, "
                                  "which is bit(3)"),
    # spec:3084 relation "customers" already exists
    ({"view": "customers"}, 21, "view 'customers' has the name of table customers"),
])
def test_names_postgresql_refuses_in_keys_and_relations_are_located_errors(change: dict, line: int,
                                                                           words: str) -> None:
    errors = refused(SMALL.format(**{**GOOD, **change}))
    assert len(errors) == 1 and errors[0].startswith(f"spec.yaml:{line}:") and words in errors[0], errors


@pytest.mark.parametrize("change", [
    {}, {"extensions": "[citext, hstore]"}, {"placed_type": "date"}, {"unique": "[zip]"},
    {"exclusion": "USING btree (email WITH =) INCLUDE (zip) WHERE (code > 0)"}, {"view": "orders_recent"},
])
def test_the_same_spec_with_good_names_applies(change: dict, db: Database) -> None:
    applies(SMALL.format(**{**GOOD, **change}), db)


def test_a_primary_key_naming_a_column_twice_is_a_located_error() -> None:
    """column "sku" appears twice in primary key constraint."""
    errors = refused("project: p\nentities:\n  Item:\n    primary_key: [sku, sku]\n"
                     "    attributes:\n      sku: {type: string, required: true}\n")
    assert len(errors) == 1 and errors[0].startswith("spec.yaml:4:") and "twice" in errors[0], errors
