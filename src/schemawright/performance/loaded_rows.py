"""Declared against loaded rows per table, for bench.md, report.md and the terminal.

A pattern timed on a table that holds a fraction of its declared rows proves nothing about
the declared volume, so a table loaded more than 1 % short fails the bench, and the reason
(generation.run.TableResult.cause: the rule that refused the rows, or the key that caps them)
is said next to the table's name.
"""

from __future__ import annotations

from schemawright.documentation.markdown import code, table, text
from schemawright.performance.results import BenchResult


def loaded_rows_table(result: BenchResult) -> list[str]:
    """One row per table: declared rows (volume × scale), loaded rows, OK or SHORT and why."""
    rows = [[code(t.table), f"{t.declared:,}" if t.declared is not None else f"{t.planned:,} (no volume)",
             f"{t.rows:,}", "**SHORT**" if t.short else "OK", text(t.cause) if t.short else ""]
            for t in result.tables]
    return table(["Table", "Declared rows", "Loaded rows", "Result", "Why short"], rows, align="lrrll")


def loaded_rows_section(result: BenchResult, heading: str = "##") -> list[str]:
    if not result.tables:
        return []
    short = result.short_tables
    lead = (f"**{len(short)} of {len(result.tables)} tables hold more than 1 % fewer rows than declared**, so the "
            "patterns that read them were timed on less data than the design must serve: the bench fails."
            if short else f"Every table holds its declared rows (volume × {result.scale:g}) within 1 %.")
    return [f"{heading} Rows loaded", "", lead, ""] + loaded_rows_table(result) + [""]


def short_message(result: BenchResult) -> str | None:
    """The terminal's reason for failing on rows, naming each short table and its cause."""
    short = result.short_tables
    if not short:
        return None
    return (f"{len(short)} table(s) loaded more than 1 % below their declared rows: "
            + "; ".join(t.shortfall() for t in short))
