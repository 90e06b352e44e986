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
from schemawright.requirements.loader import parse_spec
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
