"""Column types inferred from the data: each distinct value is looked at once.

The first kind that every non-NULL value fits wins, from the narrowest: boolean, integer,
decimal (precision and scale from the widest value), date, timestamp, email, enum (short
text with few distinct values, each seen several times), text.  Integers written with a
leading zero (`02134`) stay text, since a number type would drop the zero.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from schemawright.profiling.table import Column

ENUM_MAX_VALUES = 20
ENUM_MIN_ROWS_PER_VALUE = 5
ENUM_MAX_LENGTH = 40
_BOOLEANS = {"true", "false", "t", "f", "yes", "no", "y", "n"}
_INTEGER = re.compile(r"[+-]?(0|[1-9][0-9]*)")
_DECIMAL = re.compile(r"[+-]?([0-9]*)\.([0-9]+)|[+-]?([0-9]+)\.")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_INT32 = 2**31 - 1
_INT64 = 2**63 - 1


@dataclass(frozen=True)
class InferredType:
    kind: str  # boolean, integer, bigint, decimal, date, timestamp, email, enum, text
    reason: str
    precision: int | None = None
    scale: int | None = None
    values: tuple[str, ...] = ()  # enum values, sorted


def infer_type(column: Column, rows: int) -> InferredType:
    values = [v for v in column.values if v is not None]
    if not values:
        return InferredType("text", "every value is NULL, so nothing narrower can be told")
    for check in (_boolean, _integer, _decimal, _date, _timestamp, _email):
        found = check(values)
        if found is not None:
            return found
    return _enum(values, rows) or InferredType("text", f"free text, {len(values):,} distinct values")


def _boolean(values: list[str]) -> InferredType | None:
    lowered = {v.lower() for v in values}
    if lowered <= _BOOLEANS and len(lowered) <= 2 and _pairs(lowered):
        return InferredType("boolean", f"only the values {', '.join(sorted(values))}")
    return None


def _pairs(lowered: set[str]) -> bool:
    # "y"/"n" and "t"/"f" must not mix with "yes"/"true": one spelling pair per column
    truthy = {"true", "t", "yes", "y"}
    return len(lowered & truthy) <= 1 and len(lowered - truthy) <= 1


def _integer(values: list[str]) -> InferredType | None:
    if not all(_INTEGER.fullmatch(v) for v in values):
        return None
    low, high = min(int(v) for v in values), max(int(v) for v in values)
    span = f"from {low} to {high}"
    if -_INT32 <= low and high <= _INT32:
        return InferredType("integer", f"whole numbers {span}")
    if -_INT64 <= low and high <= _INT64:
        return InferredType("bigint", f"whole numbers {span}, beyond 32 bits")
    digits = max(len(v.lstrip("+-")) for v in values)
    return InferredType("decimal", f"whole numbers {span}, beyond 64 bits", precision=digits, scale=0)


def _decimal(values: list[str]) -> InferredType | None:
    whole = scale = 0
    for v in values:
        if _INTEGER.fullmatch(v):
            whole = max(whole, len(v.lstrip("+-")))
            continue
        m = _DECIMAL.fullmatch(v)
        if not m:
            return None
        head = m.group(1) if m.group(1) is not None else (m.group(3) or "")
        whole = max(whole, len(head.lstrip("0")) or 1)
        scale = max(scale, len(m.group(2) or ""))
    return InferredType("decimal", f"numbers with up to {scale} digit(s) after the point",
                        precision=max(whole + scale, 1), scale=scale)


def _date(values: list[str]) -> InferredType | None:
    if all(_DATE.fullmatch(v) and _parses(date.fromisoformat, v) for v in values):
        return InferredType("date", "ISO dates (YYYY-MM-DD)")
    return None


def _timestamp(values: list[str]) -> InferredType | None:
    if all(_TIMESTAMP.fullmatch(v) and _parses(datetime.fromisoformat, v) for v in values):
        return InferredType("timestamp", "ISO date and time")
    return None


def _email(values: list[str]) -> InferredType | None:
    if all(_EMAIL.fullmatch(v) for v in values):
        return InferredType("email", "every value looks like an e-mail address")
    return None


def _enum(values: list[str], rows: int) -> InferredType | None:
    few = len(values) <= ENUM_MAX_VALUES and rows >= ENUM_MIN_ROWS_PER_VALUE * len(values)
    if few and max(len(v) for v in values) <= ENUM_MAX_LENGTH:
        return InferredType("enum", f"{len(values)} distinct short values over {rows:,} rows",
                            values=tuple(sorted(values)))
    return None


def _parses(parse: object, text: str) -> bool:
    try:
        parse(text.replace("Z", "+00:00"))  # type: ignore[operator]
        return True
    except ValueError:
        return False
