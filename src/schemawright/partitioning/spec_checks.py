"""Located errors for a `partition:` option that cannot work, found while the spec is checked.

Asking for a scheme is a deliberate choice, so a conflict is an error with a fix rather than
a quiet "not partitioned" (which is what an automatic choice records instead).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from schemawright import model as m
from schemawright.errors import SpecIssue, did_you_mean
from schemawright.partitioning import rules
from schemawright.partitioning.calendar import design_date, range_count
from schemawright.partitioning.choose import enum_values, is_time
from schemawright.partitioning.keys import blockers
from schemawright.requirements.spec import Spec

if TYPE_CHECKING:
    from schemawright.requirements.loader import Locator


def partition_problems(spec: Spec, design: m.Design, at: Locator) -> list[SpecIssue]:
    out: list[SpecIssue] = partition_count_problems(spec, at)
    for name, entity in spec.entities.items():
        option = entity.partition
        if option is None or option.key is None:
            continue
        table = design.table_for_entity(name)
        if table is None:
            continue
        path = ("entities", name, "partition")
        column = table.column(option.key)
        if column is None:
            known = [c.name for c in table.columns]
            out.append(at.issue(path, f"partition key {option.key!r} is not a column of {table.name}",
                                did_you_mean(option.key, known) or f"columns: {', '.join(known)}"))
            continue
        written = _written_type(spec, column)
        if option.by == "range" and not is_time(column.model_copy(update={"sql_type": written or column.sql_type})) \
                and not option.bounds:
            out.append(at.issue(path, f"range partitions are by time here, but {option.key!r} is "
                                f"{f'sql_type {written}' if written else column.semantic}",
                                "use a timestamp or date column, or list/hash"))
        if option.by == "list" and not option.values and not option.bounds and not enum_values(design, table, column):
            out.append(at.issue(path, f"list partitions need the values of {option.key!r}, which is not an enum",
                                "add `values: {name: [value, ...]}`, one entry per partition"))
        for problem in blockers(design, table, option.key):
            out.append(at.issue(path, f"{table.name} cannot be partitioned by {option.key!r}: {problem}",
                                "use `partition: auto` to let schemawright decide, or change the key or the "
                                "constraint"))
    return out


def _written_type(spec: Spec, column: m.Column) -> str | None:
    """The `sql_type:` of the attribute a column comes from (the logical design has no SQL types yet)."""
    owner, _, name = (column.source or "").partition(".")
    entity = spec.entities.get(owner)
    attribute = entity.attributes.get(name) if entity is not None else None
    return attribute.sql_type if attribute is not None else None


def partition_count_problems(spec: Spec, at: Locator) -> list[SpecIssue]:
    """Initial partitions the spec asks for that one migration cannot create in one
    transaction (see rules.MAX_INITIAL_PARTITIONS), or that leave the calendar."""
    cap = rules.MAX_INITIAL_PARTITIONS
    out: list[SpecIssue] = []
    for name, entity in spec.entities.items():
        option, path = entity.partition, ("entities", name, "partition")
        if option is None or option.bounds:
            continue
        if option.by in ("hash", "list"):
            count = option.partitions if option.by == "hash" else len(option.values or {})
            if count and count > cap:
                out.append(at.issue(path, f"{count:,} {option.by} partitions are more than the {cap} one migration "
                                    "can create in one transaction", f"use at most {cap} partitions"))
            continue
        if option.by != "range":
            continue
        declared = spec.volumes.get(name)
        volume = m.Volume(entity=name, **declared.model_dump()) if declared else None
        history = rules.history_months(volume)
        anchor = option.anchor or spec.go_live or design_date()
        ahead = option.ahead if option.ahead is not None else rules.DEFAULT_AHEAD
        interval = option.interval or "1 day"
        retention = declared.retention_months if declared else None
        if not rules.retention_fits(anchor, retention):
            out.append(at.issue(("volumes", name, "retention_months"), f"a retention of {retention:,} months reaches "
                                f"before the year 1 from {anchor}, so the partition maintenance could not compute "
                                "what to drop", "give the retention in months, e.g. `retention_months: 84` for "
                                "7 years"))
            continue
        count = range_count(anchor, interval, history, ahead)
        fits = rules.fitting_interval(anchor, interval, history, ahead)
        if count is None or (fits is None and not option.interval):
            long_ago = history and (count is not None or anchor.year - history // 12 <= 1)
            where = ("volumes", name, "retention_months" if declared and declared.retention_months else "rows") \
                if long_ago else path
            out.append(at.issue(where, f"the initial partitions of {name} (from {anchor}, {history} months back "
                                f"for the rows declared now, {ahead} ahead) "
                                + ("reach outside the years 1 to 9999" if count is None else
                                   f"number more than {cap} even one a year, more than one migration can create "
                                   "in one transaction"),
                                "move `anchor:`/`go_live:`, or declare fewer existing rows or a shorter retention"))
        elif option.interval and count > cap:
            better = f"`interval: {fits}` gives {range_count(anchor, fits, history, ahead):,}, or " if fits else ""
            out.append(at.issue(path, f"{count:,} initial {option.interval} partitions of {name} are more than the "
                                f"{cap} one migration can create in one transaction",
                                f"{better}lower `ahead:` or declare fewer existing rows (`volumes:`)"))
    return out
