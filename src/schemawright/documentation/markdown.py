"""Small Markdown helpers shared by the dictionary and the report.

Names can be anything a user writes (backticks, pipes, angle brackets, unicode), so every
name goes through `code` and every table cell through `cell`; otherwise one odd name
would break the rendering of a whole GitHub page.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable


_PLAIN_CODE = re.compile(r"[^`\s]+\Z")  # \Z: `$` would let a trailing newline through


def code(name: object) -> str:
    """`name` as an inline code span, whatever backticks it contains."""
    s = str(name)
    if _PLAIN_CODE.match(s):  # the common case, and hot in large schemas
        return f"`{s}`"
    s = " ".join(s.split()) or " "
    longest = max((len(run) for run in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def text(value: object) -> str:
    """Prose from the spec: kept as Markdown, but never raw HTML."""
    return str(value).strip().replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cell(value: object) -> str:
    """Content safe inside a GitHub table cell (pipes are cell breaks even in code spans)."""
    s = str(value).replace("|", "\\|")
    return "<br>".join(line.strip() for line in s.splitlines()) if "\n" in s else s


def table(header: Iterable[str], rows: Iterable[Iterable[object]], align: str = "") -> list[str]:
    """A Markdown table; `align` has one letter per column: l (default) or r."""
    header = list(header)
    marks = [("---:" if align[i:i + 1] == "r" else "---") for i in range(len(header))]
    out = ["| " + " | ".join(header) + " |", "| " + " | ".join(marks) + " |"]
    out += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return out


def slug(name: str) -> str:
    """ASCII anchor fragment: stable across renderers, unlike heading-derived anchors."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


def anchors(names: Iterable[str], prefix: str) -> dict[str, str]:
    """A unique anchor per name; collisions (e.g. `Order` and `order`) get a number."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        base = f"{prefix}-{slug(name)}".rstrip("-")
        candidate, n = base, 2
        while candidate in used:
            candidate, n = f"{base}-{n}", n + 1
        used.add(candidate)
        out[name] = candidate
    return out


def number(value: float | int | None) -> str:
    if value is None:
        return "—"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def plural(word: str) -> str:
    """English plural, good enough for entity names in prose."""
    lower = word.lower()
    if lower.endswith(("s", "sh", "ch", "x", "z")):
        return word + "es"
    if lower.endswith("y") and lower[-2:-1] not in ("a", "e", "i", "o", "u"):
        return word[:-1] + "ies"
    return word + "s"


def article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" and word[:1] else "a"
