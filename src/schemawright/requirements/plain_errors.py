"""One error per mistake in a key that takes several forms (a union), not one per form.

A key that takes several forms (`immutable: true` or `immutable: {when: ...}`, `skew: uniform`
or `skew: {zipf: 1.1}`) is a union: pydantic tries each form and reports every failure, each
under the form's name (`bool`, `Immutable`), so one typo read as three errors, two about a
form nobody wrote, and the did-you-mean was lost.  Here the form the value was written in (a
mapping that reached a model's keys) keeps its errors, without the form's name in the path;
when no form fits, one error names the forms.  (pydantic_text.py then words each error.)
"""

from __future__ import annotations

import types
import typing

from pydantic import BaseModel

from schemawright.requirements.spec import Spec


def plain_errors(errors: list[dict]) -> list[dict]:
    out: list[dict] = []
    unions: dict[tuple, tuple[tuple, list[dict]]] = {}  # path of the union -> (its forms, errors)
    for err in errors:
        found = _union_at(tuple(err["loc"]))
        if found is None:
            out.append(err)
        else:
            at, forms = found
            unions.setdefault(tuple(err["loc"])[:at], (forms, []))[1].append(err)
    for path, (forms, found) in unions.items():
        out += _one_form(path, forms, found)
    return out


def _one_form(path: tuple, forms: tuple, errors: list[dict]) -> list[dict]:
    """The errors of the form the value was written in, else one error naming every form."""
    at = len(path)
    by_form: dict[str, list[dict]] = {}
    for err in errors:
        by_form.setdefault(str(err["loc"][at]), []).append(err)
    written = [label for label, errs in by_form.items()
               if any(len(e["loc"]) > at + 1 or e["type"] in ("missing", "extra_forbidden") for e in errs)]
    if len(written) == 1:
        return [{**e, "loc": path + tuple(e["loc"][at + 1:])} for e in by_form[written[0]]]
    described = [_describe(form) for form in forms]
    return [{**errors[0], "loc": path, "type": "union_forms",
             "msg": f"{errors[0].get('input')!r} is none of the forms this key takes: {'; '.join(described)}"}]


def _describe(form: object) -> str:
    if isinstance(form, type) and issubclass(form, BaseModel):
        return "a mapping with " + ", ".join(f"`{f.alias or n}`" for n, f in form.model_fields.items())
    if typing.get_origin(form) is typing.Literal:
        return " or ".join(f"`{v}`" for v in typing.get_args(form))
    return {bool: "true or false", str: "text", int: "a whole number", float: "a number"}.get(
        form, getattr(form, "__name__", str(form)))  # type: ignore[call-overload]


def _union_at(loc: tuple) -> tuple[int, tuple] | None:
    """Where in `loc` pydantic named a form of a union (that part's index), and the forms."""
    current: object = Spec
    for i, part in enumerate(loc):
        forms = _forms(current)
        if len(forms) > 1:
            return (i, forms) if isinstance(part, str) else None
        current = _child(forms[0] if forms else current, part)
        if current is None:
            return None
    return None


def _forms(tp: object) -> tuple:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return tuple(a for a in typing.get_args(tp) if a is not type(None))
    return ()


def _child(tp: object, part: object) -> object:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return next((f.annotation for n, f in tp.model_fields.items() if part in (n, f.alias)), None)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is dict and len(args) == 2:
        return args[1]
    if origin in (list, tuple) and args:
        return args[part] if origin is tuple and isinstance(part, int) and part < len(args) else args[0]
    return None
