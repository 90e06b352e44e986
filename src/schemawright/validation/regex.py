"""A string matching a CHECK's regular expression (`code ~ '^[A-Z]{2}$'`).

Retrying with random text never satisfies a pattern, so values are built from the
pattern itself.  Python's own regex parser (re._parser) reads it after PostgreSQL's POSIX
bracket classes are translated; the result is verified with `re` and discarded (None)
for constructs this does not cover (back-references to unknown groups, look-arounds).
"""

from __future__ import annotations

import re
import string
from random import Random

try:  # Python 3.11+: the parser moved; sre_parse still works but warns
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_parse  # type: ignore[no-redef]

_POSIX = {
    "[:alpha:]": "a-zA-Z", "[:digit:]": "0-9", "[:alnum:]": "a-zA-Z0-9", "[:upper:]": "A-Z", "[:lower:]": "a-z",
    "[:space:]": r"\s", "[:xdigit:]": "0-9a-fA-F", "[:punct:]": r"!-/:-@\[-`{-~", "[:word:]": r"\w",
    "[:blank:]": r" \t", "[:print:]": r" -~", "[:graph:]": r"!-~", "[:cntrl:]": r"\x00-\x1f",
}
_POOL = string.ascii_letters + string.digits + "-_.@#:+/ "
_CATEGORIES = {
    "CATEGORY_DIGIT": string.digits, "CATEGORY_NOT_DIGIT": string.ascii_letters,
    "CATEGORY_WORD": string.ascii_letters + string.digits + "_", "CATEGORY_NOT_WORD": "-.@#",
    "CATEGORY_SPACE": " ", "CATEGORY_NOT_SPACE": string.ascii_letters + string.digits,
}
MAX_EXTRA_REPEATS = 6  # `+` and `*` repeat at most this many times beyond their minimum


def to_python(pattern: str) -> str:
    """PostgreSQL (POSIX ARE) syntax to Python's, for the parts that differ in practice."""
    for posix, python in _POSIX.items():
        pattern = pattern.replace(posix, python)
    return pattern


def matches(pattern: str, value: str, ignore_case: bool = False) -> bool:
    try:
        return re.search(to_python(pattern), value, re.IGNORECASE if ignore_case else 0) is not None
    except re.error:
        return True  # a pattern Python cannot read: let the database judge


def example(pattern: str, rng: Random, ignore_case: bool = False) -> str | None:
    """A string the pattern matches, or None if one cannot be built."""
    python = to_python(pattern)
    try:
        tree = sre_parse.parse(python)
    except (re.error, RecursionError):
        return None
    groups: dict[int, str] = {}
    try:
        text = _emit(tree, rng, groups)
    except _Unsupported:
        return None
    return text if matches(pattern, text, ignore_case) else None


class _Unsupported(Exception):
    pass


def _emit(items, rng: Random, groups: dict[int, str]) -> str:  # type: ignore[no-untyped-def]
    out = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append(rng.choice([c for c in _POOL if ord(c) != arg]))
        elif name == "ANY":
            out.append(rng.choice(string.ascii_lowercase))
        elif name == "IN":
            out.append(_choose_in(arg, rng))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = arg
            top = min(high, low + MAX_EXTRA_REPEATS)  # MAXREPEAT (unbounded) is a huge int
            count = rng.randint(min(max(low, 1), top), top)  # at least one where allowed: more variety
            out.extend(_emit(sub, rng, groups) for _ in range(count))
        elif name == "SUBPATTERN":
            group, _add, _del, sub = arg
            text = _emit(sub, rng, groups)
            if group is not None:
                groups[group] = text
            out.append(text)
        elif name == "ATOMIC_GROUP":
            out.append(_emit(arg, rng, groups))
        elif name == "BRANCH":
            out.append(_emit(rng.choice(arg[1]), rng, groups))
        elif name == "GROUPREF":
            if arg not in groups:
                raise _Unsupported
            out.append(groups[arg])
        elif name == "CATEGORY":
            out.append(rng.choice(_CATEGORIES.get(str(arg), "x")))
        elif name == "AT":
            continue
        else:  # look-arounds, conditionals
            raise _Unsupported
    return "".join(out)


def _choose_in(items, rng: Random) -> str:  # type: ignore[no-untyped-def]
    negate = bool(items) and str(items[0][0]) == "NEGATE"
    chars: set[str] = set()
    for op, arg in items[1:] if negate else items:
        name = str(op)
        if name == "LITERAL":
            chars.add(chr(arg))
        elif name == "RANGE":
            low, high = arg
            chars.update(chr(c) for c in range(low, min(high, low + 200) + 1))
        elif name == "CATEGORY":
            chars.update(_CATEGORIES.get(str(arg), ""))
    pool = sorted(c for c in _POOL if c not in chars) if negate else sorted(chars)
    if not pool:
        raise _Unsupported
    return rng.choice(pool)
