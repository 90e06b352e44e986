"""Mermaid `erDiagram` of the physical schema (renders inline on GitHub and GitLab).

Mermaid's grammar is narrow and has changed between versions, so this emits its most
conservative subset: ASCII entity ids (an alias `id["real name"]` carries any other name),
attribute words of letters, digits, `_`, `-`, `()` and `[]` only, and comments without
double quotes.  The real name of anything renamed here is kept in its comment.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection

from schemawright.documentation.links import Drawing, Link, drawing, indexes_by_table
from schemawright.model import Column, Design, Table

# Words the Mermaid ER lexer treats as keywords (case-insensitively) when they stand alone.
_KEYWORDS = frozenset({
    "erdiagram", "style", "classdef", "class", "subgraph", "end", "one", "many", "only", "zero",
    "to", "optionally", "u", "direction", "title", "acctitle", "accdescr", "pk", "fk", "uk", "more",
})
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_WORD_BAD = re.compile(r"[^A-Za-z0-9_\-()\[\]]")
_COMMENT_MAX = 60

# Crow's foot ends: the parent (left) side is always "one", the child (right) side varies.
_PARENT_END = {0: "|o", 1: "||"}
_CHILD_END = {(0, True): "o{", (1, True): "|{", (0, False): "o|", (1, False): "||"}


def to_mermaid(design: Design, tables: Collection[str] | None = None, *, stubs: bool | Collection[str] = False,
               focus: str | None = None, brief: Collection[str] = ()) -> str:
    """The ERD of the whole schema, or of a subset of its tables (see `links.drawing`):
    `stubs` draws referenced tables outside the subset as empty boxes, `focus` keeps only
    the links touching one table, `brief` tables show only their key and link columns."""
    return render_mermaid(design, drawing(design, tables, stubs=stubs, focus=focus, brief=brief))


def render_mermaid(design: Design, draw: Drawing) -> str:
    names = draw.names
    ids = _entity_ids(names)
    unique_indexes: dict[str, list[tuple[str, ...]]] = {}
    for index in _indexes_of(design, draw):
        if index.unique and index.where is None:
            unique_indexes.setdefault(index.table, []).append(tuple(c.expression for c in index.columns))
    lines = ["erDiagram"]
    for table in draw.tables:
        lines += _entity(table, ids[table.name], unique_indexes.get(table.name, []), draw.shown_columns(table))
    if draw.partial:
        # In a partial diagram a table it only names gets a box with its real name.
        for name in draw.bare:
            head = ids[name] if ids[name] == name else f'{ids[name]}["{_label(name)}"]'
            lines += [f"    {head} {{", "    }"]
    for link in draw.links:
        lines.append(_relationship(link, ids))
    return "\n".join(lines) + "\n"


def _indexes_of(design: Design, draw: Drawing):  # noqa: ANN202 - iterable of Index
    if not draw.partial:
        return design.indexes
    return [i for t in draw.tables for i in indexes_by_table(design).get(t.name, ())]


def _entity(table: Table, ident: str, unique_indexes: list[tuple[str, ...]],
            shown: tuple[int, ...] | None = None) -> list[str]:
    head = ident if ident == table.name else f'{ident}["{_label(table.name)}"]'
    if not table.columns:
        return [f"    {head} {{", "    }"]
    keys = _keys(table, unique_indexes)
    used: set[str] = set()
    body = []
    show = set(range(len(table.columns)) if shown is None else shown)
    for i, column in enumerate(table.columns):
        name = _unique(_word(column.name, "column"), used)
        if i not in show:
            continue
        marks = ",".join(keys.get(column.name, ()))
        comment = _comment(column, renamed=name != column.name)
        body.append("        " + " ".join(p for p in (_word(column.sql_type or column.semantic, "type"),
                                                       name, marks, comment) if p))
    return [f"    {head} {{", *body, "    }"]


def _keys(table: Table, unique_indexes: list[tuple[str, ...]]) -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {}
    for name in table.primary_key.columns if table.primary_key else ():
        keys.setdefault(name, []).append("PK")
    for fk in table.foreign_keys:
        for name in fk.columns:
            if "FK" not in keys.get(name, []):
                keys.setdefault(name, []).append("FK")
    # UK only for a column unique on its own: on each member of a composite key it would
    # claim more than the schema enforces.
    unique_sets = [u.columns for u in table.uniques] + unique_indexes
    names = {c.name for c in table.columns}
    for cols in unique_sets:
        if len(cols) == 1 and cols[0] in names and "UK" not in keys.get(cols[0], []):
            keys.setdefault(cols[0], []).append("UK")
    return keys


def _comment(column: Column, renamed: bool) -> str:
    parts = [column.name] if renamed else []
    if column.description:
        desc = " ".join(column.description.split())
        parts.append(desc if len(desc) <= _COMMENT_MAX else desc[: _COMMENT_MAX - 1].rstrip() + "…")
    if not parts:
        return ""
    return '"' + ": ".join(parts).replace('"', "'") + '"'


def _relationship(link: Link, ids: dict[str, str]) -> str:
    left = _PARENT_END[link.parent_min]
    right = _CHILD_END[(link.child_min, link.child_many)]
    # Solid line when the FK is part of the child's key (identifying), dashed otherwise.
    line = "--" if link.identifying else ".."
    label = link.relationship.role if link.relationship and link.relationship.role else ", ".join(link.fk.columns)
    return f'    {ids[link.parent]} {left}{line}{right} {ids[link.child.name]} : "{label.replace(chr(34), chr(39))}"'


def _entity_ids(names: list[str]) -> dict[str, str]:
    """A distinct, lexer-safe id per table name; ordinary names are kept as they are."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        if name in out:
            continue
        if _ID.match(name) and name.lower() not in _KEYWORDS and name.lower() not in used:
            ident = name
        else:
            base = re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_") or "table"
            base = base if base[0].isalpha() else f"t_{base}"
            base = base + "_" if base.lower() in _KEYWORDS else base
            ident, n = base, 2
            # Mermaid ids are case-insensitive in places, so compare lower-cased.
            while ident.lower() in used or (ident != name and ident in names):
                ident, n = f"{base}_{n}", n + 1
        used.add(ident.lower())
        out[name] = ident
    return out


@functools.lru_cache(maxsize=65536)
def _word(text: str, fallback: str) -> str:
    """An attribute word Mermaid accepts: `numeric(12,2)` -> `numeric(12_2)`."""
    word = _WORD_BAD.sub("_", " ".join(text.split()))
    if not word or not (word[0].isalpha() or word[0] == "_"):
        word = f"_{word}" if word else fallback
    return word + "_" if word.lower() in ("pk", "fk", "uk") else word


def _unique(word: str, used: set[str]) -> str:
    candidate, n = word, 2
    while candidate in used:
        candidate, n = f"{word}_{n}", n + 1
    used.add(candidate)
    return candidate


def _label(name: str) -> str:
    """An alias label: Mermaid forbids `"`, `%` and backslashes inside it."""
    label = " ".join(name.split()).replace('"', "'").replace("%", "\uff05").replace("\\", "\uff3c")
    return label or "\u2423" * max(len(name), 1)  # a blank name shows as open boxes (␣), never as nothing
