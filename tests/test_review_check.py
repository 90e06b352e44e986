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
