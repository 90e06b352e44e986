"""One synthetic value for one column, as PostgreSQL input text.

Values are text on purpose: they are sent untyped, so PostgreSQL converts them with the
column's own input function (enums, citext, numeric(p,s), arrays, ...) and the driver
never has to know the type.  `serial` is unique per generated row, which keeps text,
email and integer values distinct for unique columns; `rng` (seeded) adds variety.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_DOWN, Decimal
from random import Random

from schemawright.sql import types
from schemawright.validation.regex import example, matches
from schemawright.validation.rules import ColumnRules

# Dates cluster around today (from 30 days ago), so patterns such as `expires_at > now()`
# or `created_at > now() - interval '7 days'` find rows; the data is the same all day.
def base_date() -> date:
    return datetime.now(timezone.utc).date() - timedelta(days=30)


@dataclass(frozen=True)
class ColumnProfile:
    """Everything value generation needs to know about a column."""

    name: str
    base: str  # canonical type name (sql/types.py), e.g. "numeric", "timestamptz", or an enum's name
    args: tuple[int, ...] = ()  # type modifiers: (precision, scale), (length,)
    array: bool = False
    semantic: str = ""
    position: int = 0  # column position; later date/time columns get later values
    rules: ColumnRules = ColumnRules()
    enum_values: tuple[str, ...] = ()


def parse_type(sql_type: str) -> tuple[str, tuple[int, ...], bool]:
    """`numeric(12, 2)` -> ("numeric", (12, 2), False); `text[]` -> ("text", (), True)."""
    read = types.parse(sql_type)
    args = tuple(int(a) for a in re.findall(r"\d+", ",".join(read.args)))
    return read.base, args, read.array


def profile(name: str, sql_type: str, *, semantic: str = "", position: int = 0, rules: ColumnRules | None = None,
            enums: dict[str, tuple[str, ...]] | None = None) -> ColumnProfile:
    base, args, array = parse_type(sql_type)
    enum_values = (enums or {}).get(base) or (enums or {}).get(base.strip('"')) or ()
    return ColumnProfile(name, base, args, array, semantic.lower(), position, rules or ColumnRules(), tuple(enum_values))


def generate(col: ColumnProfile, serial: int, rng: Random, row_days: int = 0, distinct: bool = False) -> str | None:
    """A value for `col`; `row_days` shifts every date/time in the row together."""
    if col.rules.allowed:
        return col.rules.allowed[serial % len(col.rules.allowed)] if distinct else rng.choice(col.rules.allowed)
    if col.array:
        elements = [_scalar(col, serial * 2 + k, rng, row_days, distinct) for k in range(2)]
        return "{" + ",".join("NULL" if e is None else _array_element(e) for e in elements) + "}"
    value = _scalar(col, serial, rng, row_days, distinct)
    if value is not None and col.rules.patterns:
        value = _matching(col, value, rng)
    return value


def _matching(col: ColumnProfile, value: str, rng: Random) -> str:
    """`value` if it meets the column's regular-expression CHECKs, else one built from them."""
    def fits(text: str) -> bool:
        limit = col.rules.max_length
        return (limit is None or len(text) <= limit) and all(matches(p, text, i) for p, i in col.rules.patterns)

    if fits(value):
        return value
    for _ in range(8):
        pattern, ignore_case = col.rules.patterns[0]
        candidate = example(pattern, rng, ignore_case)
        if candidate is not None and fits(candidate):
            return candidate
    return value  # let the database refuse it; the row is retried and the reason reported


def _array_element(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _scalar(col: ColumnProfile, serial: int, rng: Random, row_days: int, distinct: bool) -> str | None:
    base = col.base
    if col.enum_values:
        return col.enum_values[serial % len(col.enum_values)] if distinct else rng.choice(col.enum_values)
    kind = types.family_of(base)
    if kind == "integer":
        return _integer(col, serial, rng, distinct)
    if kind in ("numeric", "float") or base == "money":
        return _decimal(col, serial, rng, distinct)
    if kind == "text":
        return _text(col, serial)
    if kind == "boolean":
        return "true" if (serial % 2 == 0 if distinct else rng.random() < 0.5) else "false"
    if kind in ("datetime", "time"):
        return _temporal(base, col.position, serial, row_days)
    if base == "interval":
        return f"{rng.randint(1, 600)} minutes"
    if base == "uuid":
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    if base in ("json", "jsonb"):
        return json.dumps({"n": serial, "tag": f"t{serial % 7}"})
    if base == "bytea":
        return "\\x" + serial.to_bytes(4, "big").hex()
    if base in ("inet", "cidr"):
        a, b = (serial >> 8) & 255, serial & 255
        return f"10.0.{a}.0/24" if base == "cidr" else f"10.0.{a}.{b}"
    if base in ("macaddr", "macaddr8"):
        return "08:00:2b:" + ":".join(f"{(serial >> s) & 255:02x}" for s in (16, 8, 0))
    if base == "tsvector":
        return f"word{serial} sample"
    if base == "point":
        return f"({rng.randint(-90, 90)},{rng.randint(-180, 180)})"
    if base in ("bit", "bit varying"):
        return format(serial % (1 << (col.args[0] if col.args else 8)), f"0{col.args[0] if col.args else 8}b")
    if base == "xml":
        return f"<v>{serial}</v>"
    if base in ("int4range", "int8range", "numrange"):
        return f"[{serial},{serial + rng.randint(1, 10)})"
    if base in ("daterange", "tstzrange", "tsrange"):
        start = base_date() + timedelta(days=row_days)
        return f"[{start},{start + timedelta(days=rng.randint(1, 30))})"
    if base == "hstore":
        return f'"k"=>"{serial}"'
    if base == "ltree":
        return f"root.n{serial}"
    if base == "vector":
        return "[" + ",".join(f"{rng.random():.3f}" for _ in range(col.args[0] if col.args else 3)) + "]"
    return None  # unknown type: NULL, or the row is refused and reported


def _bounds(col: ColumnProfile, step: Decimal, default_high: Decimal, type_high: Decimal) -> tuple[Decimal, Decimal]:
    rules = col.rules
    low = Decimal(1) if rules.low is None else rules.low + (step if rules.low_strict else 0)
    high = default_high if rules.high is None else rules.high - (step if rules.high_strict else 0)
    if rules.high is None and rules.low is not None and high < low:
        high = low + default_high
    if rules.low is None and rules.high is not None and low > high:
        low = high - default_high
    return max(low, -type_high), min(high, type_high)


def _integer(col: ColumnProfile, serial: int, rng: Random, distinct: bool) -> str:
    low, high = _bounds(col, Decimal(1), Decimal(1000), Decimal(types.integer_high(col.base)))
    lo, hi = int(low.to_integral_value(rounding="ROUND_CEILING")), int(high.to_integral_value(rounding="ROUND_FLOOR"))
    if hi < lo:
        return str(lo)
    if distinct:
        return str(lo + serial % (hi - lo + 1))
    return str(rng.randint(lo, hi))


def _decimal(col: ColumnProfile, serial: int, rng: Random, distinct: bool) -> str:
    if col.base == "numeric" and len(col.args) >= 1:
        scale = col.args[1] if len(col.args) > 1 else 0
        step = Decimal(1).scaleb(-scale)
        type_high = Decimal(10) ** (col.args[0] - scale) - step
    else:
        scale, step, type_high = 2, Decimal("0.01"), Decimal("1e15")
    low, high = _bounds(col, step, min(Decimal(1000), type_high), type_high)
    if high < low:
        return str(low.quantize(step))
    if distinct:
        value = low + (step * serial) % (high - low + step)
    else:
        value = low + (high - low) * Decimal(rng.random())
    return str(value.quantize(step, rounding=ROUND_DOWN).max(low.quantize(step)))


def _text(col: ColumnProfile, serial: int) -> str:
    kind = col.semantic
    lowered = col.name.lower()
    if kind not in ("email", "phone", "url"):
        kind = next((k for k in ("email", "phone", "url") if lowered.endswith(k)), kind)
    if kind == "email":
        value = f"user{serial}@example.com"
    elif kind == "phone":
        value = f"+1555{serial:07d}"
    elif kind == "url":
        value = f"https://example.com/{serial}"
    elif col.base == "char" and col.args:  # fixed width: codes such as country or currency
        return _letters(serial, col.args[0])
    else:
        stem = re.sub(r"[^a-z0-9]+", "", lowered)[:16] or "value"
        value = f"{stem}-{serial}"
    limit = col.rules.max_length or (col.args[0] if col.base == "varchar" and col.args else None)
    if limit is not None and len(value) > limit:
        value = value[-limit:] if limit > 0 else ""
    if col.rules.min_length and len(value) < col.rules.min_length:
        value = value + "x" * (col.rules.min_length - len(value))
    return value


def _letters(serial: int, width: int) -> str:
    out = []
    for _ in range(width):
        serial, digit = divmod(serial, 26)
        out.append(chr(ord("A") + digit))
    return "".join(reversed(out))


def _temporal(base: str, position: int, serial: int, row_days: int) -> str:
    if base == "date":
        return (base_date() + timedelta(days=row_days + position)).isoformat()
    if types.family_of(base) == "time":
        return f"{(6 + position) % 24:02d}:{serial % 60:02d}:00"
    start = base_date()
    moment = datetime(start.year, start.month, start.day, tzinfo=timezone.utc)
    moment += timedelta(days=row_days, hours=position, seconds=serial)
    if base == "timestamp":
        return moment.replace(tzinfo=None).isoformat(sep=" ")
    return moment.isoformat(sep=" ")
