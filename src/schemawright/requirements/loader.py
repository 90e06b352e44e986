"""Read a requirements file into a validated `Spec`, or raise `SpecErrors` listing every
problem with its file, line and column.

The YAML reader keeps the line and column of every key and value, so a pydantic error
path such as ('entities', 'Customer', 'attributes', 'email', 'type') can be turned back
into the place in the file where the user must look.
"""

from __future__ import annotations

import re
import types
import typing
from pathlib import Path

from pydantic import BaseModel, ValidationError

from schemawright.errors import SpecErrors, SpecIssue, did_you_mean
from schemawright.files import read_text
from schemawright.gcpause import paused_gc
from schemawright.naming import pluralise, snake
from schemawright.requirements.plain_errors import plain_errors
from schemawright.requirements.plain_names import name_problems
from schemawright.requirements.pydantic_text import plain_text
from schemawright.requirements.references import DesignChecks, check_references
from schemawright.requirements.spec import Spec
from schemawright.requirements.sql_fragments import check_sql_fragments
from schemawright.requirements.values import keep_written_text
from schemawright.requirements.yaml_marks import MAX_DOCUMENT_BYTES, Marks, YamlError, load_with_marks, too_large

Loc = tuple[int | str, ...]

# Entities, attributes, relationships, rules, patterns and other items one spec may declare.
# The design holds several objects per item (a table or column, its type, decisions, marks):
# about 8 KB each, so this is about 1 GB; larger designs are split into several specs.
MAX_ITEMS = 100_000


class Locator:
    """Maps a path inside the YAML document to a 1-based (line, column)."""

    def __init__(self, file: str, marks: Marks):
        self.file = file
        self.marks = marks

    def position(self, path: Loc, at_key: bool = False) -> tuple[int, int]:
        path = tuple(path)
        if at_key and path in self.marks.keys:
            return self.marks.keys[path]
        while path and path not in self.marks.values:
            path = path[:-1]  # the deepest part of the path the file actually has
        return self.marks.values.get(path, (1, 1))

    def issue(self, path: Loc, message: str, hint: str | None = None, at_key: bool = False) -> SpecIssue:
        line, col = self.position(path, at_key)
        return SpecIssue(self.file, line, col, message, hint)


def load_spec(path: str | Path, *, design_checks: DesignChecks) -> Spec:
    """Load and validate a spec file; raises SpecErrors with every problem found.  The checks
    that need the designed tables come from the caller: pipeline.load_spec gives them all."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        size = 0  # read_text says what is wrong
    if size > MAX_DOCUMENT_BYTES:  # refused before it is read
        exc = too_large(size)
        raise SpecErrors([SpecIssue(str(path), exc.line, exc.column, str(exc), exc.hint)])
    text = read_text(path, "file", "check the path, or run `schemawright init` to write an example")
    return parse_spec(text, str(path), design_checks=design_checks)


def parse_spec(text: str, file: str = "<spec>", *, design_checks: DesignChecks) -> Spec:
    with paused_gc():
        return _parse_spec(text, file, design_checks)


def _parse_spec(text: str, file: str, design_checks: DesignChecks) -> Spec:
    try:
        root, marks = load_with_marks(text)
    except YamlError as exc:
        raise SpecErrors([SpecIssue(file, exc.line, exc.column, str(exc), exc.hint)]) from None
    locator = Locator(file, marks)
    yaml_issues = [SpecIssue(file, d.line, d.column, str(d), d.hint)
                   for d in marks.duplicates + list(marks.bare.values())]
    if not isinstance(root, dict):
        raise SpecErrors([SpecIssue(file, 1, 1, "the spec must be a YAML mapping with `project:` and `entities:`",
                                    "run `schemawright init` to see an example")])
    fatal = name_problems(root, locator) + _too_many_items(root, locator)
    if fatal:  # the checks below would build a design from these
        raise SpecErrors(yaml_issues + fatal)
    keep_written_text(root, marks)
    try:
        spec = Spec.model_validate(root)
    except ValidationError as exc:
        issues = yaml_issues + [_issue_from_pydantic(err, locator) for err in plain_errors(exc.errors())]
        issues = yaml_issues + _not_at_bare_keys(issues[len(yaml_issues):], marks)
        salvaged = _salvage(root, exc, locator)
        if salvaged is not None:  # report broken references too, not only the first kind of error
            spec, salvaged_locator, gone = salvaged
            issues += _checked(spec, salvaged_locator, design_checks, gone)
        raise SpecErrors(issues) from None
    problems = yaml_issues + _checked(spec, locator, design_checks)
    if problems:
        raise SpecErrors(problems)
    return spec


def _not_at_bare_keys(issues: list[SpecIssue], marks: Marks) -> list[SpecIssue]:
    """A key cut off by an unquoted comma (`{check: a, b}`) is reported once, with the quoting
    that fixes it; pydantic's error about the same key ("unknown key 'b'") would only mislead."""
    spots = {marks.keys.get(p) for p in marks.bare} | {marks.values.get(p) for p in marks.bare}
    return [i for i in issues if (i.line, i.column) not in spots]


def _checked(spec: Spec, locator: Locator, design_checks: DesignChecks, gone: set[str] | None = None) -> list[SpecIssue]:
    # Items whose SQL is not the one expression or statement it claims are left out of the
    # checks that build the design from them.
    sql_issues, spec, locator = check_sql_fragments(spec, locator)
    return sql_issues + check_references(spec, locator, design_checks, ignore=gone)


def _too_many_items(root: dict, at: Locator) -> list[SpecIssue]:
    def count(value: object) -> int:
        return len(value) if isinstance(value, (dict, list)) else 0

    entities = root.get("entities")
    entities = entities if isinstance(entities, dict) else {}
    relationships = root.get("relationships") if isinstance(root.get("relationships"), list) else []
    items = len(entities) + sum(count(e.get("attributes")) for e in entities.values() if isinstance(e, dict))
    items += sum(1 + count(r.get("attributes")) if isinstance(r, dict) else 1 for r in relationships)
    items += sum(count(root.get(k)) for k in ("rules", "access_patterns", "views", "objects", "denormalizations"))
    if items <= MAX_ITEMS:
        return []
    return [at.issue(("entities",), f"the spec declares {items:,} entities, attributes, relationships, rules and other "
                     f"items; one spec may declare at most {MAX_ITEMS:,}",
                     "split the design into several specs (one per domain or service) and check each", at_key=True)]


def _plain(node: object) -> object:
    """A deep copy, so salvaging never changes the parsed document."""
    if isinstance(node, dict):
        return {k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


_LISTS = ("relationships", "rules", "access_patterns")


def _salvage(root: object, exc: ValidationError, locator: Locator) -> tuple[Spec, Locator, set[str]] | None:
    """The spec with every invalid item removed, so cross-references can still be checked;
    a locator that maps the surviving list items back to their original positions; and the
    names that went away with them (errors about those would only be echoes)."""
    data = _plain(root)
    if not isinstance(data, dict):
        return None
    kept = {key: list(range(len(data[key]))) for key in _LISTS if isinstance(data.get(key), list)}
    gone: set[str] = set()
    for _ in range(5):
        doomed: dict[str, set[int]] = {}
        for err in exc.errors():
            path = _item_path(tuple(err["loc"]))
            if path[:1] in tuple((k,) for k in kept) and len(path) == 2 and isinstance(path[1], int):
                doomed.setdefault(str(path[0]), set()).add(path[1])
            else:
                gone |= _names_at(path)
                _remove(data, path)
        for key, indexes in doomed.items():
            for i in indexes:
                gone |= _relationship_columns(data[key][i]) if key == "relationships" else set()
            data[key] = [item for i, item in enumerate(data[key]) if i not in indexes]
            kept[key] = [orig for i, orig in enumerate(kept[key]) if i not in indexes]
        try:
            return Spec.model_validate(data), _RemappedLocator(locator, kept), gone
        except ValidationError as again:
            exc = again
    return None


def _names_at(path: Loc) -> set[str]:
    """An entity or attribute about to be dropped, under every name SQL may use for it."""
    if path[:1] != ("entities",) or len(path) not in (2, 4):
        return set()
    base = snake(str(path[-1]))
    return {str(path[-1]), base, pluralise(base)}


def _relationship_columns(item: object) -> set[str]:
    if not isinstance(item, dict):
        return set()
    return {f"{snake(str(item[k]))}_id" for k in ("from", "role") if isinstance(item.get(k), str)}


class _RemappedLocator(Locator):
    def __init__(self, inner: Locator, kept: dict[str, list[int]]):
        super().__init__(inner.file, inner.marks)
        self.kept = kept

    def position(self, path: Loc, at_key: bool = False) -> tuple[int, int]:
        if len(path) > 1 and path[0] in self.kept and isinstance(path[1], int):
            path = (path[0], self.kept[str(path[0])][path[1]]) + tuple(path[2:])
        return super().position(path, at_key)


def _item_path(loc: Loc) -> Loc:
    if loc[:1] == ("entities",) and "attributes" in loc:
        return loc[: loc.index("attributes") + 2]
    if loc[:1] == ("entities",) and loc[2:3] == ("partition",):
        return loc[:3]  # a bad partition option drops only itself, not its entity
    if loc[:1] in (("entities",), ("volumes",)) + tuple((k,) for k in _LISTS):
        return loc[:2]
    if loc[:2] == ("security", "roles"):
        return loc[:2]  # roles are few; drop them all rather than shift indexes
    return loc[:1]


def _remove(data: object, path: Loc) -> None:
    for part in path[:-1]:
        try:
            data = data[part]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            return
    if isinstance(data, dict):
        data.pop(path[-1], None)


def _issue_from_pydantic(err: dict, locator: Locator) -> SpecIssue:
    loc: Loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    kind = err["type"]
    where = _describe(loc)
    if kind == "extra_forbidden":
        key = str(loc[-1])
        allowed = _allowed_keys(loc[:-1])
        hint = did_you_mean(key, allowed) or (f"allowed keys here: {', '.join(sorted(allowed))}" if allowed else None)
        return locator.issue(loc, f"unknown key {key!r} {_describe(loc[:-1])}".rstrip(), hint, at_key=True)
    if kind == "missing":
        return locator.issue(loc[:-1], f"missing required key {str(loc[-1])!r} {_describe(loc[:-1])}".rstrip(),
                             f"add `{loc[-1]}:`")
    plain = plain_text(err, loc)
    if plain is not None:
        message, hint = plain
        return locator.issue(loc, f"{message} ({where})" if where else message, hint)
    message = re.sub(r"^(Value|Assertion) error, ", "", err["msg"])
    hint = None
    if kind == "literal_error":
        expected = re.findall(r"'([^']*)'", err.get("ctx", {}).get("expected", ""))
        hint = did_you_mean(str(err.get("input")), expected) or f"use one of: {', '.join(expected)}"
        message = f"{err.get('input')!r} is not allowed"
    return locator.issue(loc, f"{message} ({where})" if where else message, hint)


def _describe(loc: Loc) -> str:
    """('entities','Customer','attributes','email') -> 'in entities.Customer.attributes.email'."""
    if not loc:
        return "at the top level"
    return "in " + ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[")


def _allowed_keys(loc: Loc) -> list[str]:
    """The keys a mapping at `loc` accepts, found by walking the Spec's type annotations."""
    current: object = Spec
    for part in loc:
        current = _step(current, part)
        if current is None:
            return []
    current = _unwrap_model(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or n for n, f in current.model_fields.items()]
    return []


def _unwrap_model(tp: object) -> object:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        models = [a for a in typing.get_args(tp) if isinstance(a, type) and issubclass(a, BaseModel)]
        return models[0] if models else None
    return tp


def _step(tp: object, part: int | str) -> object:
    tp = _unwrap_model(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        for name, field in tp.model_fields.items():
            if part in (name, field.alias):
                return field.annotation
        return None
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is dict and len(args) == 2:
        return args[1]
    if origin is list and args:
        return args[0]
    return None
