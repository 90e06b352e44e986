"""One type vocabulary (sql/types.py): every spelling maps to one canonical name, and the
importers, spec checks, lint and data generation read types through it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from schemawright.importers import pg_text
from schemawright.sql import types
from schemawright.validation import values

SRC = Path(__file__).resolve().parents[1] / "src" / "schemawright"
# Modules that read type names: none keeps a spelling of its own.
READERS = ("importers/pg_text.py", "validation/values.py", "generation/columns.py", "lint/context.py",
           "lint/rules/types.py", "lint/rules/normalisation.py", "lint/rules/integrity.py", "lint/rules/security.py",
           "requirements/expression_types.py", "requirements/table_checks.py")
SPELLINGS = sorted(types.ALIASES.items())


def test_each_spelling_names_one_type() -> None:
    seen: dict[str, str] = {}
    for t in types.TYPES:
        for spelling in (t.name, *t.aliases):
            assert seen.setdefault(spelling, t.name) == t.name, f"{spelling!r}: {seen[spelling]} and {t.name}"
    assert len(set(types.CATALOG_NAMES)) == len(types.TYPES)


@pytest.mark.parametrize(("spelling", "name"), SPELLINGS)
def test_every_reader_gives_the_canonical_name(spelling: str, name: str) -> None:
    for written in (spelling, spelling.upper() if spelling != '"char"' else spelling, f"  {spelling} "):
        assert types.parse(written).base == name
        assert values.parse_type(written)[0] == name, "validation/values.py"
        assert pg_text.type_base(pg_text.parse_type(written)) == name, "importers/pg_text.py"
    assert types.family(spelling + "[]") == (None if types.family(name) is None else types.family(name) + "[]")


@pytest.mark.parametrize(("written", "canonical"), [
    ("character varying( 20 )", "varchar(20)"), ("timestamp(3) with time zone", "timestamptz(3)"),
    ("numeric(12, 2)[]", "numeric(12,2)[]"), ("integer ARRAY", "integer[]"), ("pg_catalog.int4", "integer"),
    ('pg_catalog."char"', '"char"'), ('"varchar"(5)', "varchar(5)"), ('"Status"', '"Status"'), ("Shop.Status", "shop.status"),
])
def test_whole_types(written: str, canonical: str) -> None:
    assert types.canonical(written) == canonical


def test_integer_ranges() -> None:
    assert [types.integer_high(n) for n in ("smallint", "serial", "bigint", "numeric")] == \
        [32767, 2147483647, 9223372036854775807, None]


def test_no_reader_keeps_its_own_spellings() -> None:
    """A string that is a non-canonical spelling of a type (`character varying`, `float8`,
    `int4` ...) in a reader's code means a second vocabulary."""
    others = {s for s, name in types.ALIASES.items() if s != name} - {"int", "float", "bool"}  # also kinds of value
    found = []
    for module in READERS:
        tree = ast.parse((SRC / module).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in others:
                found.append(f"{module}:{node.lineno}: {node.value!r}")
    assert not found, "spell types through schemawright.sql.types:\n" + "\n".join(found)
