"""Pydantic's validation errors in the words of the spec, each with a fix.

Pydantic says "Input should be a valid list" or "Dictionary should have at least 1 item after
validation": true, but about its own types.  A spec's reader needs the key they wrote, what it
must hold, what they wrote instead, and how to fix it; the field's own description (the one
docs/spec.md and the JSON Schema publish) says what belongs there.
"""

from __future__ import annotations

import types
import typing

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from schemawright.requirements.spec import Spec

Loc = tuple[int | str, ...]

# What a value of each pydantic type must be, in the spec's words.
_EXPECTED = {
    "string_type": "text", "int_type": "a whole number", "int_parsing": "a whole number",
    "int_from_float": "a whole number", "float_type": "a number", "float_parsing": "a number",
    "bool_type": "true or false", "bool_parsing": "true or false", "list_type": "a list, e.g. [a, b]",
    "tuple_type": "a list, e.g. [a, b]", "dict_type": "a mapping of `name: value` lines",
    "model_type": "a mapping of keys", "model_attributes_type": "a mapping of keys",
    "date_type": "a date, e.g. 2025-01-31", "date_parsing": "a date, e.g. 2025-01-31",
    "date_from_datetime_parsing": "a date, e.g. 2025-01-31",
}
_BOUNDS = {"greater_than": ("gt", "greater than"), "greater_than_equal": ("ge", "at least"),
           "less_than": ("lt", "less than"), "less_than_equal": ("le", "at most")}
# Where a field's description does not say what to write, or the key is the spec's frame.
_FIXES = {
    ("entities",): "declare at least one entity, e.g. `entities: {Customer: {attributes: {email: email}}}`",
    ("project",): "name the project, e.g. `project: shop`",
    ("volumes",): "map each entity to its size, e.g. `volumes: {Customer: {rows: 100000}}`",
    ("rules", "depends", "determinant"): "name the columns that determine the others, e.g. `determinant: [zip]`",
    ("rules", "depends", "dependent"): "name the columns they determine, e.g. `dependent: [city]`",
    ("rules", "transitions", "allowed"): "map each state to the states it may change to, e.g. "
                                         "`allowed: {requested: [accepted, cancelled]}`",
}


def plain_text(err: dict, loc: Loc) -> tuple[str, str | None] | None:
    """(message, hint) for the errors pydantic words in its own terms; None for the others
    (the spec's own validators already speak plainly)."""
    kind, ctx = err["type"], err.get("ctx") or {}
    key = _key(loc)
    field, value_type = _field(loc)
    about = _about(field)
    fix = _FIXES.get(tuple(p for p in loc if isinstance(p, str)))
    if kind in ("too_short", "too_long"):
        wanted = ctx.get("min_length" if kind == "too_short" else "max_length", 0)
        have = ctx.get("actual_length", 0)
        noun = "mapping" if isinstance(err.get("input"), dict) else "list"
        if kind == "too_short":
            said = f"{key} is empty" if not have else f"{key} has {_count(have)}"
            return (f"{said}; it needs at least {_count(wanted)}",
                    fix or f"give it at least {_count(wanted)}" + (f": {about}" if about else ""))
        return f"{key} has {_count(have)}; it takes at most {_count(wanted)}", \
            fix or f"keep {_count(wanted)} in the {noun}" + (f": {about}" if about else "")
    if kind == "string_too_short":
        return f"{key} is empty", fix or (f"write {about}" if about else f"write a value, or leave {key} out")
    if kind in _BOUNDS:
        name, words = _BOUNDS[kind]
        return (f"{key} must be {words} {ctx.get(name)}, not {err.get('input')!r}",
                fix or about or None)
    if kind in _EXPECTED:
        expected = _EXPECTED[kind]
        if kind in ("model_type", "model_attributes_type"):
            keys = _model_keys(value_type)
            expected = f"a mapping with {', '.join(keys[:6])}{' ...' if len(keys) > 6 else ''}" if keys else expected
        return f"{key} must be {expected}, not {_written(err.get('input'))}", fix or _hint(kind, err, about)
    return None


def _hint(kind: str, err: dict, about: str | None) -> str | None:
    value = err.get("input")
    if kind == "string_type" and isinstance(value, (int, float, bool)):
        return "put it in quotes to keep it as text" + (f" ({about})" if about else "")
    if kind in ("int_from_float",):
        return "drop the fraction" + (f" ({about})" if about else "")
    return about


def _key(loc: Loc) -> str:
    """`max_length`, or `item 2 of values` for a list item."""
    names = [p for p in loc if isinstance(p, str)]
    if loc and isinstance(loc[-1], int):
        return f"item {loc[-1] + 1} of `{names[-1]}`" if names else f"item {loc[-1] + 1}"
    return f"`{names[-1]}`" if names else "the spec"


def _count(n: int) -> str:
    return f"{n} item" + ("" if n == 1 else "s")


def _written(value: object) -> str:
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value[:40]!r}" if value else "an empty text"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _about(field: FieldInfo | None) -> str | None:
    """The field's description, to follow a colon: `Semantic type.` -> `semantic type`."""
    text = (field.description or "").strip().rstrip(". ") if field else ""
    if len(text) > 1 and text[0].isupper() and text[1].islower():  # not an acronym (SQL, EXCLUDE)
        text = text[0].lower() + text[1:]
    return text or None


def _model_keys(tp: object) -> list[str]:
    model = _model_in(tp)
    return [f"`{f.alias or n}`" for n, f in model.model_fields.items()] if model else []


def _field(loc: Loc) -> tuple[FieldInfo | None, object]:
    """The FieldInfo of the last key `loc` names, and the type the value at `loc` must have,
    walking Spec's annotations (list and mapping items included; a union's form name, when
    pydantic put one in the path, is skipped)."""
    current: object = Spec
    found: FieldInfo | None = None
    for part in loc:
        model = _model_in(current)
        if model is not None and isinstance(part, str):
            field = next((f for n, f in model.model_fields.items() if part in (n, f.alias)), None)
            if field is not None:
                found, current = field, field.annotation
                continue
        inner = _container_item(current)
        if inner is not None:
            current = inner
        elif model is None:
            return found, None
    return found, current


def _model_in(tp: object) -> type[BaseModel] | None:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return next((m for a in typing.get_args(tp) if (m := _model_in(a)) is not None), None)
    return None


def _container_item(tp: object) -> object:
    for form in (typing.get_args(tp) if typing.get_origin(tp) in (typing.Union, types.UnionType) else (tp,)):
        origin, args = typing.get_origin(form), typing.get_args(form)
        if origin is dict and len(args) == 2:
            return args[1]
        if origin in (list, tuple) and args:
            return args[0]
    return None
