"""The semantic type (the spec's vocabulary) of an imported column, read from its SQL type.

Designed schemas go semantic -> SQL (physical/types.py); imported ones come back the other
way so the data dictionary, lint and the spec exporter can talk about `string(120)` or
`decimal(12,2)` instead of raw types.  Types the spec has no word for keep their SQL name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from schemawright.sql import types

_SHAPE = re.compile(r"^(?P<base>.*?)\s*(?:\((?P<args>[^()]*)\))?(?P<array>\[\])?$", re.DOTALL)

_SIMPLE = {
    "smallint": "integer", "integer": "integer", "int": "integer", "bigint": "bigint",
    "smallserial": "integer", "serial": "integer", "bigserial": "bigint",
    "text": "text", "boolean": "boolean", "date": "date", "time": "time", "timetz": "time",
    "timestamp": "timestamp", "timestamptz": "timestamp", "uuid": "uuid", "json": "json", "jsonb": "json",
    "money": "money",
}


@dataclass(frozen=True)
class Semantic:
    """A semantic type and the arguments the spec writes with it: string(120), decimal(12,2)."""

    type: str
    max_length: int | None = None
    precision: int | None = None
    scale: int | None = None
    values: tuple[str, ...] = ()
    of: str | None = None


def infer(
    sql_type: str,
    *,
    enums: Mapping[str, tuple[str, ...]] | None = None,
    domains: Mapping[str, str] | None = None,
    column: str | None = None,
) -> Semantic:
    """Semantic type of a column of `sql_type` (canonical, as the importers write it).

    `enums` maps enum type names to their values, `domains` maps domain names to their base
    SQL type (a domain means what its base type means); `column` is the column name, used
    only to tell an e-mail address stored as citext from other case-insensitive text.
    """
    enums = enums or {}
    domains = domains or {}
    seen: set[str] = set()
    while sql_type in domains and sql_type not in seen:  # domains over domains
        seen.add(sql_type)
        sql_type = domains[sql_type]
    shape = _SHAPE.match(sql_type.strip())
    assert shape is not None  # the pattern matches any text
    base, args, array = shape.group("base"), shape.group("args"), shape.group("array")
    if array:
        element = infer(sql_type[: -2], enums=enums, domains=domains)
        return Semantic("array", of=element.type, max_length=element.max_length)
    if base in enums:
        return Semantic("enum", values=tuple(enums[base]))
    numbers = [int(a) for a in (args or "").split(",") if a.strip().lstrip("-").isdigit()]
    if types.ALIASES.get(base) in types.STRINGS:
        return Semantic("string", max_length=numbers[0] if numbers else None)
    if base in ("numeric", "decimal"):
        return Semantic("decimal", precision=numbers[0] if numbers else None,
                        scale=numbers[1] if len(numbers) > 1 else (0 if numbers else None))
    if base == "citext":
        return Semantic("email" if column and "email" in column.lower() else "text")
    if base in _SIMPLE:
        return Semantic(_SIMPLE[base])
    return Semantic(sql_type)


def semantic_type(sql_type: str, **kwargs: object) -> str:
    """Just the type word of `infer` (what `Column.semantic` holds)."""
    return infer(sql_type, **kwargs).type  # type: ignore[arg-type]
