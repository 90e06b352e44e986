"""Lint findings that were false on the tool's own designs (tpcc): address lines are not a
repeating group, a state code of fixed shape is constrained, and a plural whose singular is
a reserved word (orders) is the way out of SW503, not an inconsistency.  Each with its
counterpart that must still be reported."""

from __future__ import annotations

from schemawright.importers.postgresql_sql import import_postgresql_sql
from schemawright.lint import lint


def _codes(sql: str, code: str) -> list[str]:
    return [f.message for f in lint(import_postgresql_sql(sql)) if f.code == code]


def test_address_lines_are_not_a_repeating_group_but_numbered_phones_are() -> None:
    assert not _codes("CREATE TABLE w (id int PRIMARY KEY, w_street_1 text, w_street_2 text);", "SW101")
    assert _codes("CREATE TABLE w (id int PRIMARY KEY, phone_1 text, phone_2 text);", "SW101")


def test_a_state_code_checked_by_an_anchored_pattern_is_constrained() -> None:
    checked = "CREATE TABLE w (id int PRIMARY KEY, w_state char(2) CHECK (w_state ~ '^[A-Z]{2}$'));"
    assert not _codes(checked, "SW205")
    assert _codes("CREATE TABLE w (id int PRIMARY KEY, w_state char(2));", "SW205")
    # an unanchored pattern lets any text through
    assert _codes("CREATE TABLE w (id int PRIMARY KEY, w_state text CHECK (w_state ~ '[A-Z]'));", "SW205")


def test_a_plural_whose_singular_is_reserved_is_not_inconsistent() -> None:
    singular = "".join(f"CREATE TABLE {t} (id int PRIMARY KEY);" for t in ("customer", "district", "item"))
    assert not _codes(singular + "CREATE TABLE orders (id int PRIMARY KEY);", "SW502")
    assert _codes(singular + "CREATE TABLE payments (id int PRIMARY KEY);", "SW502")
