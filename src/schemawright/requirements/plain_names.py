"""Names are plain text: control characters in them are located errors.

A name becomes an SQL identifier, a file name and a heading in the documentation, and a node
of the ERD in Graphviz.  A newline at the end of a name was written into SQL unquoted and a
NUL reached `dot`; refusing them here says where they are while the file is still at hand.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from schemawright.errors import SpecIssue

if TYPE_CHECKING:
    from schemawright.requirements.loader import Locator

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Keys whose string value is a name (every mapping key in a spec is a name too).
NAME_FIELDS = frozenset({"project", "name", "table", "column", "role", "constraint", "primary_key_name", "enum_type",
                         "tenant_column", "key", "from", "to", "entity", "source", "of"})
# Keys whose value is a list of names; an item written `(expression)` is SQL, not a name.
NAME_LISTS = frozenset({"primary_key", "columns", "references", "include", "unique", "determinant", "dependent",
                        "read", "write", "extensions", "key"})


def name_problems(root: object, at: Locator) -> list[SpecIssue]:
    """Every mapping key and every name-valued field holding a control character."""
    out: list[SpecIssue] = []
    _walk(root, (), at, out)
    return out


def _walk(node: object, path: tuple, at: Locator, out: list[SpecIssue]) -> None:
    if isinstance(node, list):
        for i, item in enumerate(node):
            _walk(item, path + (i,), at, out)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        here = path + (key,)
        if isinstance(key, str) and _CONTROL.search(key):
            out.append(_issue(at, here, key, at_key=True))
        if key in NAME_FIELDS and isinstance(value, str) and _CONTROL.search(value):
            out.append(_issue(at, here, value))
        elif key in NAME_LISTS and isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, str) and not item.lstrip().startswith("(") and _CONTROL.search(item):
                    out.append(_issue(at, here + (i,), item))
        _walk(value, here, at, out)


def _issue(at: Locator, path: tuple, name: str, at_key: bool = False) -> SpecIssue:
    found = _CONTROL.search(name)
    assert found is not None
    code = f"U+{ord(found.group()):04X}"
    return at.issue(path, f"the name {name!r} holds a control character ({code})",
                    "names cannot hold newlines, tabs or other control characters; remove it", at_key=at_key)
