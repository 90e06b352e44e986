"""Located errors for attribute values PostgreSQL would refuse, or take to mean something else:
a default of the wrong type or outside the attribute's own limits, and `min`/`max` on a
type that has no order of numbers.

A default is turned into SQL by logical/defaults.py; every default that passes here renders
to a literal PostgreSQL reads as the user meant.  `sql: <expression>` defaults are SQL and
are not judged here.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import TYPE_CHECKING

from schemawright.errors import SpecIssue, did_you_mean
from schemawright.logical.defaults import BOOLEAN_WORDS, NOW_WORDS, TODAY_WORDS
from schemawright.requirements.expression_types import family
from schemawright.requirements.spec import Attribute, Spec

if TYPE_CHECKING:
    from schemawright.requirements.loader import Locator
    from schemawright.requirements.yaml_marks import Marks

NUMERIC = ("integer", "bigint", "id", "decimal", "money")
INTEGER_RANGES = {"integer": (-(2**31), 2**31 - 1), "bigint": (-(2**63), 2**63 - 1), "id": (-(2**63), 2**63 - 1)}
# Types whose default is text: what the user wrote is kept, never a number or boolean YAML read.
TEXTUAL = ("string", "text", "enum", "email", "phone", "url", "uuid", "date", "time", "timestamp")
# The checks physical/types.py adds, in Python's regular expression syntax.
_FORMATS = {
    "email": (re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), "an e-mail address", "someone@example.com"),
    "phone": (re.compile(r"^\+[1-9][0-9]{6,14}$"), "an E.164 phone number", "+14155550123"),
    "url": (re.compile(r"^https?://\S+$", re.IGNORECASE), "an http(s) URL", "https://example.com/"),
}

Problem = tuple[str, str]  # message, how to fix it


def keep_written_text(root: object, marks: Marks) -> None:
    """Give the default of a textual attribute back the text the user wrote: YAML reads
    `default: 1.50` as the number 1.5 and `007` as 7.0, which is not what a string means."""
    if not isinstance(root, dict):
        return
    places: list[tuple[tuple, object]] = []
    if isinstance(root.get("entities"), dict):
        places += [(("entities", e, "attributes"), ent.get("attributes"))
                   for e, ent in root["entities"].items() if isinstance(ent, dict)]
    if isinstance(root.get("relationships"), list):
        places += [(("relationships", i, "attributes"), rel.get("attributes"))
                   for i, rel in enumerate(root["relationships"]) if isinstance(rel, dict)]
    for path, attributes in places:
        for name, attr in attributes.items() if isinstance(attributes, dict) else ():
            written = marks.written.get(path + (name, "default"))
            if isinstance(attr, dict) and attr.get("type") in TEXTUAL and written is not None:
                attr["default"] = written


def value_problems(spec: Spec, at: Locator) -> list[SpecIssue]:
    out: list[SpecIssue] = []
    places = [(("entities", e, "attributes", a), attr)
              for e, ent in spec.entities.items() for a, attr in ent.attributes.items()]
    places += [(("relationships", i, "attributes", a), attr)
               for i, rel in enumerate(spec.relationships) for a, attr in rel.attributes.items()]
    for path, attr in places:
        for key, (message, hint) in _bounds(attr) + _default(attr):
            out.append(at.issue(path + (key,), f"{message} (in {'.'.join(map(str, path))})", hint))
    return out


def _bounds(attr: Attribute) -> list[tuple[str, Problem]]:
    kind = attr.of if attr.type in ("array", "list") else attr.type
    if attr.sql_type:  # the range CHECK compares the column with a number: the written type must take that
        written = family(attr.sql_type)
        if written is None or written in ("integer", "numeric", "float"):
            return []  # a number, or a type only PostgreSQL knows (a domain): it is the judge
        kind = f"sql_type {attr.sql_type}"
    elif kind in NUMERIC:
        return []
    return [(key, (f"`{key}` applies to numbers, not to {kind}",
                   "drop it; for a length limit on a string use `max_length`, for other rules a `check:`"))
            for key in ("min", "max") if getattr(attr, key) is not None]


def _default(attr: Attribute) -> list[tuple[str, Problem]]:
    value = attr.default
    if value is None or (isinstance(value, str) and value.strip().lower().startswith("sql:")):
        return []
    if attr.identity or attr.generated:
        what = "an identity column" if attr.identity else "a generated column"
        return [("default", (f"{what} cannot have a default", "drop `default:`; PostgreSQL computes the value"))]
    if attr.type == "list":
        return [("default", ("a list attribute has no default: its values are rows of a child table",
                             "drop `default:`, or use `type: array` to keep the values in one column"))]
    if attr.sql_type:
        return []  # a type written verbatim: PostgreSQL is the judge
    problem = _judge(attr, value)
    return [("default", problem)] if problem else []


def _judge(attr: Attribute, value: object) -> Problem | None:
    kind, shown = attr.type, repr(value)
    if isinstance(value, str) and "\x00" in value:
        return f"the default {shown} holds a NUL character, which PostgreSQL text cannot store", "remove it"
    if kind in INTEGER_RANGES:
        return _integer(attr, value, kind)
    if kind in ("decimal", "money"):
        return _decimal(attr, value)
    if kind == "boolean":
        ok = isinstance(value, bool) or value in (0, 1) or (isinstance(value, str) and value.strip().lower() in BOOLEAN_WORDS)
        return None if ok else (f"the default {shown} is not a boolean",
                                "write true or false (PostgreSQL also reads yes/no, on/off, 1/0)")
    if kind in ("date", "time", "timestamp", "uuid"):
        return _temporal_or_uuid(kind, value)
    if kind == "json":
        return _json(value)
    if kind == "enum":
        if str(value) in (attr.values or ()):
            return None
        return (f"the default {shown} is not one of the enum's values",
                did_you_mean(str(value), attr.values or ()) or f"use one of: {', '.join(attr.values or ())}")
    if kind == "array":
        text = str(value).strip()
        return None if text.startswith("{") and text.endswith("}") else (
            f"the default {shown} is not an array literal", "write it as PostgreSQL does, e.g. '{1,2}' or '{}'")
    if kind == "string" and attr.max_length is not None and len(str(value)) > attr.max_length:
        return (f"the default {shown} is longer than max_length {attr.max_length}",
                "shorten the default or raise `max_length`")
    if kind in _FORMATS:
        pattern, what, example = _FORMATS[kind]
        if not pattern.match(str(value)) or (kind == "url" and len(str(value)) > 2048):
            return f"the default {shown} is not {what}, so every row using it would break the column's check", \
                   f"write one such as {example!r}"
    return None


def _integer(attr: Attribute, value: object, kind: str) -> Problem | None:
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*[-+]?[0-9]+\s*", value):
        number = int(value)
    if number is None:
        return f"the default {value!r} is not an integer", "write a whole number such as 0, or `sql: <expression>`"
    low, high = INTEGER_RANGES[kind]
    sql = "bigint" if kind == "id" else kind
    if not low <= number <= high:
        return f"the default {number} is out of range for {sql} ({low} to {high})", \
               "use a smaller value" + (", or `type: bigint`" if kind == "integer" else "")
    return _within(attr, Decimal(number))


def _decimal(attr: Attribute, value: object) -> Problem | None:
    try:
        number = None if isinstance(value, bool) else Decimal(str(value).strip())
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        return f"the default {value!r} is not a finite number", "write a number such as 0 or 12.50"
    precision = attr.precision or (19 if attr.type == "money" else None)
    scale = attr.scale if attr.scale is not None else (4 if attr.type == "money" else 0)
    if precision is not None:
        digits = Context(prec=precision + 2)  # precision is at most 1000: the spec says so
        small = number.is_zero() or number.adjusted() < precision - scale  # 0 fits numeric(1,1): no digit before the point
        rounded = number.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP, context=digits) if small else number
        if not small or abs(rounded) >= Decimal(10) ** (precision - scale):
            return (f"the default {value!r} does not fit numeric({precision},{scale}): at most "
                    f"{precision - scale} digit(s) before the point", "use a smaller default or raise `precision`")
    return _within(attr, number)


def _within(attr: Attribute, number: Decimal) -> Problem | None:
    if attr.min is not None and number < Decimal(str(attr.min)):
        return f"the default {number} is below min {attr.min}", "every row using the default would break the range check"
    if attr.max is not None and number > Decimal(str(attr.max)):
        return f"the default {number} is above max {attr.max}", "every row using the default would break the range check"
    return None


def _temporal_or_uuid(kind: str, value: object) -> Problem | None:
    text = value.strip() if isinstance(value, str) else None
    words = {"date": TODAY_WORDS | NOW_WORDS, "timestamp": NOW_WORDS}.get(kind, set())
    if text is not None and (text.lower() in words or (kind != "uuid" and text.lower() in ("infinity", "-infinity"))):
        return None
    parse = {"date": date.fromisoformat, "time": time.fromisoformat, "timestamp": datetime.fromisoformat,
             "uuid": uuid.UUID}[kind]
    try:
        if text is not None:
            parse(text)
            return None
    except ValueError:
        pass
    what = {"date": "a date", "time": "a time of day", "timestamp": "a timestamp", "uuid": "a uuid"}[kind]
    example = {"date": "'2024-01-31' or today", "time": "'12:30:00'", "timestamp": "'2024-01-31 12:00:00+00' or now",
               "uuid": "'123e4567-e89b-12d3-a456-426614174000' or `sql: gen_random_uuid()`"}[kind]
    return f"the default {value!r} is not {what}", f"write it in ISO form, e.g. {example}"


def _json(value: object) -> Problem | None:
    if not isinstance(value, str):
        return None  # numbers and booleans are written with json.dumps

    def refuse(word: str) -> object:
        raise ValueError(word)

    try:
        json.loads(value, parse_constant=refuse)  # PostgreSQL has no NaN or Infinity in JSON
    except ValueError:
        return f"the default {value!r} is not valid JSON", 'write JSON text, e.g. \'{"a": 1}\', \'[]\' or \'"text"\''
    return None
