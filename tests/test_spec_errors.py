"""Bad specs: every problem reported, located (file, line, column), with a fix, never a traceback."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from schemawright.errors import SpecErrors
from schemawright.pipeline import load_spec, parse_spec


def errors_of(text: str) -> list:
    with pytest.raises(SpecErrors) as info:
        parse_spec(textwrap.dedent(text), "spec.yaml")
    return info.value.issues


BAD = """\
project: demo
entities:
  Customer:
    attributes:
      email: {type: emial, requird: true}
      name: string(100)
      status: enum
  Order:
    attributes:
      total: money
      placed_at: timestamp
relationships:
  - {from: Custmer, to: Order, type: one-to-many}
  - {from: Customer, to: Order, type: many-to-manyy}
access_patterns:
  - name: by_customer
    query: "SELECT * FROM orders"
  - name: by_customer
    query: "SELECT * FROM orders"
"""


def test_every_error_is_reported_with_line_column_and_hint():
    issues = errors_of(BAD)
    found = {(i.line, i.column, i.message.split(" (")[0], i.hint) for i in issues}
    assert (5, 21, "'emial' is not allowed", "did you mean 'email'?") in found
    assert (5, 28, "unknown key 'requird' in entities.Customer.attributes.email", "did you mean 'required'?") in found
    assert any(i.line == 7 and "enum attribute needs `values" in i.message for i in issues)
    assert (13, 12, "relationship names entity 'Custmer', which is not defined", "did you mean 'Customer'?") in found
    assert any(i.line == 14 and i.hint == "did you mean 'many-to-many'?" for i in issues)
    assert [i.line for i in issues if "duplicate access pattern name" in i.message] == [16, 18]
    assert all(i.file == "spec.yaml" for i in issues)


def test_pattern_naming_a_missing_column_suggests_the_closest():
    issues = errors_of("""\
        project: p
        entities:
          Order:
            attributes:
              placed_at: timestamp
        access_patterns:
          - name: recent
            query: SELECT id FROM orders WHERE placd_at > :since
          - name: wrong_table
            query: SELECT id FROM order WHERE id = :id
        """)
    messages = {(i.line, i.message, i.hint) for i in issues}
    assert (8, "access pattern 'recent': column 'placd_at' does not exist in table 'orders'",
            "did you mean 'placed_at'?") in messages
    assert (10, "access pattern 'wrong_table': table 'order' does not exist", "did you mean 'orders'?") in messages


def test_relationship_to_missing_entity_and_duplicate_table():
    issues = errors_of("""\
        project: p
        entities:
          Item: {attributes: {name: text}}
          Items: {table: items}
        relationships:
          - {from: Item, to: Itme, type: one-to-many}
        """)
    assert any("'Itme'" in i.message and i.hint == "did you mean 'Item'?" and i.line == 6 for i in issues)
    assert sum("duplicate table name 'items'" in i.message for i in issues) == 2


def test_attribute_colliding_with_foreign_key_column():
    issues = errors_of("""\
        project: p
        entities:
          Customer: {attributes: {name: text}}
          Order: {attributes: {customer_id: integer}}
        relationships:
          - {from: Customer, to: Order, type: one-to-many}
        """)
    assert len(issues) == 1
    assert "becomes column 'customer_id', which is already the foreign key" in issues[0].message
    assert (issues[0].line, issues[0].column) == (4, 24)


def test_sql_syntax_error_is_located_inside_the_query():
    issues = errors_of("""\
        project: p
        entities:
          Order: {attributes: {placed_at: timestamp}}
        access_patterns:
          - {name: broken, query: "SELECT id FROM orders WHERE"}
        """)
    assert len(issues) == 1 and issues[0].line == 5
    assert "SQL does not parse" in issues[0].message


@pytest.mark.parametrize("text, line, fragment", [
    ("project: x\nentities:\n  A: {}\n  A: {}\n", 4, "duplicate key"),
    ("project: x\nentities:\n  A:\n   attributes:\n     a: [text\n", 6, "invalid YAML"),
    ("- just\n- a list\n", 1, "must be a YAML mapping"),
    ("project: x\n", 1, "missing required key 'entities'"),
    ("project: x\ndatabase: oracle\nentities: {A: {}}\n", 2, "'oracle' is not allowed"),
])
def test_malformed_files(text, line, fragment):
    issues = errors_of(text)
    assert issues[0].line == line and fragment in issues[0].message


def test_missing_file_is_a_located_error(tmp_path):
    with pytest.raises(SpecErrors) as info:
        load_spec(tmp_path / "nope.yaml")
    assert "file not found" in info.value.issues[0].message


def test_cli_prints_errors_without_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD)
    run = subprocess.run([sys.executable, "-m", "schemawright.cli", "check", str(bad)], capture_output=True, text=True)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr + run.stdout
    assert f"{bad}:5:21: error: 'emial' is not allowed" in run.stderr
    assert "7 error(s)" in run.stderr


def test_duplicate_keys_are_reported_with_the_other_errors():
    issues = errors_of("""\
        project: p
        entities:
          A:
            attributes:
              x: text
              x: integer
          B: {attributes: {y: txt}}
        """)
    assert [(i.line, i.message.split(" (")[0]) for i in issues] == [
        (6, "duplicate key 'x'"), (7, "'txt' is not allowed")]
    assert "first defined at line 5" in issues[0].message


def test_yaml_1_2_booleans_keep_yes_no_and_country_codes_as_strings():
    from schemawright.requirements.yaml_marks import load_with_marks

    data, marks = load_with_marks("a: [yes, no, NO, on, off]\nb: true\nc: 2024-01-01\nd: 12\ne: 1.5\nf: ~\ng: '7'\n")
    assert data == {"a": ["yes", "no", "NO", "on", "off"], "b": True, "c": "2024-01-01", "d": 12, "e": 1.5,
                    "f": None, "g": "7"}
    assert marks.keys[("b",)] == (2, 1) and marks.values[("a", 2)] == (1, 14)


def test_type_reference_and_column_errors_all_come_out_together():
    issues = errors_of("""\
        project: shop
        entities:
          Customer:
            attributes:
              email: {type: emial, required: true}
          Order:
            attributes:
              placed_at: timestamp
        relationships:
          - {from: Custmer, to: Order, type: one-to-many}
        access_patterns:
          - name: recent
            query: SELECT id FROM orders WHERE placd_at > :since
          - name: by_email
            query: SELECT id FROM customers WHERE email = :email
        """)
    assert [(i.line, i.column) for i in issues] == [(5, 21), (10, 12), (13, 12)]
    assert "column 'placd_at' does not exist in table 'orders'" in issues[2].message
    # `email` was dropped with its bad type: no echo about it in by_email
