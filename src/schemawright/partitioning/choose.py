"""Which scheme, if any, suits one table: range by time, list by a few values, hash by key.

The order is the order of benefit: range by time serves retention (DROP a partition
instead of DELETE) and time-window queries; list serves queries that always name one of a
few values (a region, a tier).  Hash is never proposed: it only spreads a table evenly for
maintenance, which the spec must ask for (`partition: hash(key, N)`) with bench measuring it.
A scheme is proposed only if the patterns would prune with it, or retention needs it, and
only if PostgreSQL's key rules allow it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from schemawright import model as m
from schemawright.partitioning import rules
from schemawright.partitioning.keys import blockers
from schemawright.partitioning.usage import PatternUse, names, searching
from schemawright.sql import types

TIME_TYPES = ("timestamp", "date")


@dataclass
class Proposal:
    method: str  # range, list, hash
    key: str
    reasons: list[str] = field(default_factory=list)
    values: tuple[tuple[str, tuple[str, ...]], ...] = ()  # list: (suffix, values)


def is_time(column: m.Column) -> bool:
    """A date or timestamp column; its SQL type decides once it has one (a `timestamp` attribute
    written `sql_type: inet` cannot take time bounds)."""
    if column.sql_type:
        return types.family(column.sql_type) == "datetime"
    return column.semantic in TIME_TYPES


def enum_values(design: m.Design, table: m.Table, column: m.Column) -> tuple[str, ...]:
    """Known values of an enum column (from its attribute or its enum type); () if open-ended."""
    if column.source and "." in column.source:
        entity_name, attr_name = column.source.split(".", 1)
        entity = next((e for e in design.entities if e.name == entity_name), None)
        attr = next((a for a in entity.attributes if a.name == attr_name), None) if entity else None
        if attr is not None and attr.values:
            return attr.values
    enum = next((e for e in design.enums if e.name == column.sql_type), None)
    return enum.values if enum else ()


def _weight(usage: list[PatternUse], column: str, by_range: bool) -> float:
    return sum(u.pattern.frequency or 1e-9 for u in usage if u.filters(column, by_range=by_range))


def range_key(table: m.Table, usage: list[PatternUse], retention: bool) -> str | None:
    """The time column the patterns filter by range most often; with a retention and no such
    pattern, the insertion time (a NOT NULL time column defaulting to now(), else the first)."""
    times = [c for c in table.columns if is_time(c) and c.generated is None and not c.nullable]
    scored = [(c, _weight(usage, c.name, True)) for c in times]
    scored = [(c, w) for c, w in scored if w > 0]
    if scored:
        return max(scored, key=lambda cw: cw[1])[0].name  # max keeps the first of equal weights
    if retention and times:
        now = [c for c in times if c.default and "now()" in c.default.lower().replace(" ", "")]
        return (now or times)[0].name
    return None


def equality_key(table: m.Table, usage: list[PatternUse]) -> str | None:
    """A column every searching pattern pins by equality (the one listed first, if several)."""
    found = searching(usage)
    if not found:
        return None
    common = [c for c in found[0].use.equality if all(c in u.use.equality for u in found[1:])]
    return next((c for c in common if table.column(c) is not None), None)


def range_benefits(key: str, volume: m.Volume | None, usage: list[PatternUse]) -> list[str]:
    """What range partitions by `key` buy: cheap retention, and patterns that prune."""
    reasons = []
    if volume is not None and volume.retention_months:
        reasons.append(f"the {volume.retention_months}-month retention becomes dropping whole partitions "
                       "instead of DELETE (no bloat, no long vacuum)")
    pruning = [u for u in usage if u.filters(key, by_range=True)]
    if pruning:
        verbs = ("filters", "prunes", "it") if len(pruning) == 1 else ("filter", "prune", "they")
        reasons.append(f"{names(pruning)} {verbs[0]} {key} and {verbs[1]} to the partitions {verbs[2]} need"
                       + ("s" if len(pruning) == 1 else ""))
    return reasons


def by_unique_key(design: m.Design, table: m.Table, usage: list[PatternUse]) -> bool:
    """Every searching pattern names all columns of some unique key (a one-row lookup)."""
    keys = [set(k) for k in design.unique_keys(table)]
    return all(any(k <= set(u.use.equality) for k in keys) for u in searching(usage))


def _by_pinned_column(design: m.Design, table: m.Table, volume: m.Volume, usage: list[PatternUse],
                      key: str) -> tuple[Proposal | None, str | None]:
    """List (a few known values) or hash (huge table) by the column every pattern pins."""
    column = table.column(key)
    assert column is not None
    values = enum_values(design, table, column)
    pinned = names(searching(usage))
    huge = rules.horizon_rows(volume) >= rules.HUGE_ROWS
    if values and len(values) <= rules.MAX_LIST_VALUES:
        if by_unique_key(design, table, usage) and not huge:
            return None, (f"the patterns pin {key} only to look one row up by a unique key, which an index finds "
                          "in a few page reads however big the table is, so pruning would save nothing")
        return Proposal("list", key, [f"every searching pattern ({pinned}) pins {key}, which has {len(values)} "
                                      "known values: each query reads one partition"],
                        tuple((v, (v,)) for v in values)), None
    return None, (f"patterns always pin {key}, but it has no small set of known values (for list); hash partitions "
                  f"by {key} would prune nothing an index on {key} does not already skip (it finds the rows in a few "
                  "page reads at any size) and only split maintenance in pieces: ask for it with `partition: "
                  f"hash({key}, N)` if that matters, and bench measures it against one table")


def propose(design: m.Design, table: m.Table, volume: m.Volume,
            usage: list[PatternUse]) -> tuple[Proposal | None, list[str]]:
    """The best scheme for a large table, or None with the reasons nothing fits."""
    why_not: list[str] = []
    candidates: list[Proposal] = []
    time_key = range_key(table, usage, bool(volume.retention_months))
    if time_key:
        candidates.append(Proposal("range", time_key, range_benefits(time_key, volume, usage)))
    else:
        why_not.append("no pattern filters a NOT NULL time column by range and no retention is declared, so range "
                       "partitioning by time would not prune")
    eq_key = equality_key(table, usage)
    if eq_key:
        proposal, reason = _by_pinned_column(design, table, volume, usage, eq_key)
        candidates += [proposal] if proposal else []
        why_not += [reason] if reason else []
    elif not time_key:
        why_not.append("no column is pinned by every pattern, so list or hash partitions would not prune")
    for proposal in candidates:
        blocked = blockers(design, table, proposal.key)
        if not blocked:
            return proposal, why_not  # why the better-ranked schemes were ruled out, if any
        why_not.append(f"{proposal.method} by {proposal.key} is ruled out: " + "; ".join(blocked))
    return None, why_not
