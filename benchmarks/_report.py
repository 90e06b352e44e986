"""Printing shared by the benchmark scripts."""

from __future__ import annotations


def print_table(head: list[str], rows: list[list[str]]) -> None:
    """A right-aligned plain-text table, readable in a terminal and in an issue note."""
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(head)]
    print("  ".join(h.rjust(w) for h, w in zip(head, widths)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths)))
