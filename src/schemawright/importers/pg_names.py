"""The names PostgreSQL gives constraints and indexes that DDL leaves unnamed.

An imported model must name `UNIQUE (email)` exactly as the server will (`customers_email_key`),
or a schema read from a file and the same schema read from the catalogs would disagree.
This follows makeObjectName/ChooseRelationName/ChooseConstraintName in PostgreSQL's
source: shorten the longer part until the name fits 63 bytes, then add 1, 2 ... on clashes.
"""

from __future__ import annotations

from collections.abc import Iterable

NAME_BYTES = 63


def _clip(text: str, size: int) -> str:
    """The first `size` bytes of text, never splitting a character."""
    return text.encode()[:size].decode(errors="ignore")


def object_name(name1: str, name2: str | None, label: str | None) -> str:
    """PostgreSQL's makeObjectName: name1_name2_label within 63 bytes."""
    n1, n2 = len(name1.encode()), len((name2 or "").encode())
    overhead = (len(label.encode()) + 1 if label else 0) + (1 if name2 else 0)
    available = NAME_BYTES - overhead
    while n1 + n2 > available:
        if n1 > n2:
            n1 -= 1
        else:
            n2 -= 1
    result = _clip(name1, n1)
    if name2:
        result += "_" + _clip(name2, n2)
    if label:
        result += "_" + label
    return result


def choose_name(name1: str, name2: str | None, label: str, *taken: set[str]) -> str:
    """A name free in every `taken` set (then added to all of them), with a counter on the
    label as PostgreSQL adds one (t_a_key, t_a_key1 ...)."""
    candidate, number = object_name(name1, name2, label), 0
    while any(candidate in names for names in taken):
        number += 1
        candidate = object_name(name1, name2, f"{label}{number}")
    for names in taken:
        names.add(candidate)
    return candidate


def column_part(columns: Iterable[str]) -> str:
    """Column names joined with `_`, stopping once past the name length (ChooseIndexNameAddition)."""
    text = ""
    for column in columns:
        if text:
            text += "_"
        text += _clip(column, NAME_BYTES)
        if len(text.encode()) >= NAME_BYTES:
            break
    return text
