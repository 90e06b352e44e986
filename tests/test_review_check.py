"""`schemawright check` as a reviewer met it (issue 11, section 4): every error in one run, in
plain words with a fix, located in the file."""

from __future__ import annotations

import textwrap

import pytest

from schemawright.errors import SpecErrors
from schemawright.pipeline import parse_spec


def errors(text: str) -> list[str]:
    with pytest.raises(SpecErrors) as caught:
        parse_spec(textwrap.dedent(text), "spec.yaml")
    return [issue.format() for issue in caught.value.issues]


def test_a_duplicate_access_pattern_name_does_not_stop_the_other_checks():
    found = errors("""\
        project: p
        entities:
          Customer:
            attributes:
              name: {type: string, required: true}
          Order:
            attributes:
              total: money
        relationships:
          - {from: Customer, to: Order, type: one-to-many}
        access_patterns:
          - {name: a, query: "SELECT * FROM customers WHERE nam = :n"}
          - {name: a, query: "SELECT * FROM customers WHERE id = :n"}
          - {name: b, query: "SELECT * FROM customerz WHERE id = :n"}
        rules:
          - {name: r, entity: Customer, unique: [nme]}
          - {name: r, entity: Order, check: "totl > 0"}
        security:
          roles:
            - {name: app, read: [Customer]}
            - {name: app, read: [Custmer]}
        """)
    text = "\n".join(found)
    assert text.count("duplicate access pattern name 'a'") == 2
    assert text.count("duplicate rule name 'r'") == 2 and text.count("duplicate role name 'app'") == 2
    # ... and every error after them, each once, where it is.
    assert "spec.yaml:12:22: error: access pattern 'a': column 'nam' does not exist" in text
    assert "spec.yaml:14:22: error: access pattern 'b': table 'customerz' does not exist" in text
    assert "spec.yaml:16:41: error: rule names column 'nme'" in text
    assert "check 'totl > 0' names column 'totl'" in text
    assert "names 'Custmer'" in text
    assert len(found) == 11, found


def test_two_tables_under_one_name_still_stop_before_tables_are_built():
    found = errors("""\
        project: p
        entities:
          Customer:
            table: persons
            attributes:
              name: {type: string, required: true, check: "nme <> ''"}
          Person:
            attributes:
              name: text
        """)
    assert [f for f in found if "duplicate table name 'persons'" in f] and len(found) == 2, found


# --------------------------------------------------------------------------- pydantic's words

RAW = ("should have", "after validation", "Input should", "Field required", "instance of", "Value error")

ENTITY = """\
entities:
  Shift:
    attributes:
      driver: {type: string}
      starts_at: timestamp
      ends_at: timestamp
      status: enum(open, closed)
"""

# Each key that needs at least some items, left empty (or short): (spec body, what the error
# says, what its hint says).
EMPTY = {
    ("Spec", "entities"): ("entities: {}\n", "`entities` is empty; it needs at least 1 item",
                           "declare at least one entity"),
    ("IndexSpec", "columns"): (ENTITY + "    indexes:\n      - {columns: []}\n", "`columns` is empty", "(expression)"),
    ("FunctionalDependency", "determinant"): (
        ENTITY + "rules:\n  - {entity: Shift, depends: {determinant: [], dependent: [status]}}\n",
        "`determinant` is empty", "determinant: [zip]"),
    ("FunctionalDependency", "dependent"): (
        ENTITY + "rules:\n  - {entity: Shift, depends: {determinant: [driver], dependent: []}}\n",
        "`dependent` is empty", "dependent: [city]"),
    ("OnePer", "per"): (ENTITY + "rules:\n  - {entity: Shift, at_most_one: {per: [], where: \"status = 'open'\"}}\n",
                        "`per` is empty", "e.g. [driver_id]"),
    ("NoOverlap", "period"): (ENTITY + "rules:\n  - {entity: Shift, no_overlap: {period: [starts_at]}}\n",
                              "`period` has 1 item; it needs at least 2 items", "[starts_at, ends_at]"),
    ("Aggregate", "per"): (ENTITY + "rules:\n  - {entity: Shift, aggregate: {per: [], check: \"count(*) >= 1\"}}\n",
                           "`per` is empty", "columns that form the group"),
    ("Transitions", "allowed"): (ENTITY + "rules:\n  - {entity: Shift, transitions: {column: status, allowed: {}}}\n",
                                 "`allowed` is empty", "allowed: {requested: [accepted, cancelled]}"),
    ("ParentCheck", "via"): (ENTITY + "rules:\n  - {entity: Shift, parent_check: {via: [], check: \"true\"}}\n",
                             "`via` is empty", "e.g. [period_id]"),
    ("Matches", "columns"): (ENTITY + "rules:\n  - {entity: Shift, matches: {columns: [], in: Shift}}\n",
                             "`columns` is empty", "e.g. [driver_id, vehicle_id]"),
    ("Denormalization", "reason"): (
        ENTITY + "denormalizations:\n  - {name: d, kind: materialized_view, query: \"SELECT 1 AS x\", reason: \"\"}\n",
        "`reason` is empty", "write why the copy is worth its cost"),
}


def _min_length_fields() -> set[tuple[str, str]]:
    """(model, key) of every field of the spec that needs at least one item or character."""
    import typing

    from pydantic import BaseModel

    from schemawright.requirements.spec import Spec

    found, seen = set(), set()

    def models(tp: object) -> list[type[BaseModel]]:
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            return [tp]
        return [m for arg in typing.get_args(tp) for m in models(arg)]

    def walk(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.add(model)
        for name, field in model.model_fields.items():
            if any(type(meta).__name__ == "MinLen" for meta in field.metadata):
                found.add((model.__name__, field.alias or name))
            for sub in models(field.annotation):
                walk(sub)

    walk(Spec)
    return found


def test_every_key_that_needs_items_is_covered_below():
    assert _min_length_fields() == set(EMPTY), "add the new key to EMPTY with the message it must give"


@pytest.mark.parametrize("field", sorted(EMPTY), ids=lambda f: ".".join(f))
def test_an_empty_list_or_mapping_is_said_in_plain_words_with_a_fix(field):
    body, message, hint = EMPTY[field]
    found = errors("project: p\n" + body)
    text = "\n".join(found)
    assert not any(raw in text for raw in RAW), text
    line = next(i for i, row in enumerate(body.splitlines(), start=2) if field[1] in row)
    assert any(f"spec.yaml:{line}:" in f and message in f and hint in f.split("hint:", 1)[-1] for f in found), found


@pytest.mark.parametrize(("value", "message"), [
    ("[]", "`project` must be text, not a list"),
    ("{a: 1}", "`project` must be text, not a mapping"),
])
def test_a_value_of_the_wrong_kind_names_the_key_and_what_it_holds(value, message):
    found = errors(f"project: {value}\n" + ENTITY)
    assert any(message in f and "hint: name the project" in f for f in found), found


def test_a_number_below_its_bound_says_the_bound():
    found = errors("project: p\n" + ENTITY.replace("driver: {type: string}", "driver: {type: string, max_length: 0}"))
    assert any("`max_length` must be greater than 0, not 0" in f and "hint: for string" in f for f in found), found


# --------------------------------------------------------------------------- commas in {...}

@pytest.mark.parametrize(("row", "key", "quoted"), [
    ("name: {type: string, check: name <> '', b}", "'b'", "check: \"name <> '', b\""),
    ("name: {type: string, check: a, b > 0}", "'b > 0'", 'check: "a, b > 0"'),
    ("name: {type: string, check: name <> '', unique}", "'unique'", "check: \"name <> '', unique\""),
])
def test_an_unquoted_comma_in_a_flow_mapping_says_to_quote_the_value(row, key, quoted):
    found = errors(f"project: p\nentities:\n  Customer:\n    attributes:\n      {row}\n")
    column = 7 + row.rindex(key.strip("'"))
    assert len(found) == 1, found  # not also "unknown key" with a list of keys
    assert found[0].startswith(f"spec.yaml:5:{column}: error: {key} is read as a key without a value: inside {{...}} "
                               "an unquoted comma ends the value of 'check'"), found
    assert f"hint: quote the whole value: `{quoted}`" in found[0], found


def test_a_key_of_its_own_without_a_value_is_reported_too():
    found = errors("project: p\nentities:\n  Customer:\n    attributes:\n      name: {type: string}\n"
                   "rules:\n  - {entity: Customer, check: name <> 'x', description}\n")
    assert any("'description' is read as a key without a value" in f for f in found), found
