"""The scheme a large table left as one table is measured against, so that "not partitioned"
is backed by numbers too (bench, performance/partition_compare.py).

`propose` (choose.py) rules a scheme out when it expects no benefit; that expectation is what
bench checks.  So the candidate is the best scheme PostgreSQL's key rules allow, benefit or
not, in choose.py's order: range by the time column the patterns filter (or, with a
retention, the insertion time); list or hash by the column every pattern pins; last, range by
the insertion time.  When none is allowed, the reasons are the backing instead.
"""

from __future__ import annotations

from schemawright import model as m
from schemawright.partitioning import rules
from schemawright.partitioning.choose import Proposal, enum_values, equality_key, range_benefits, range_key
from schemawright.partitioning.keys import blockers
from schemawright.partitioning.stage import apply_proposal
from schemawright.partitioning.usage import PatternUse, names, searching, table_usage


def large_unpartitioned(design: m.Design) -> list[m.Table]:
    """Entity tables at or over the large-table threshold that the design left as one table on
    its own judgement (a spec's `partition: none` is the user's decision, not measured)."""
    volumes = {v.entity: v for v in design.volumes}
    entities = {e.name: e for e in design.entities}
    out = []
    for table in design.tables:
        entity = entities.get(table.entity or "") if table.kind == "entity" else None
        volume = volumes.get(entity.name) if entity else None
        if entity is None or volume is None or table.partitioning is not None:
            continue
        if (entity.partition or m.PartitionRequest()).by == "auto" and rules.horizon_rows(volume) >= rules.LARGE_ROWS:
            out.append(table)
    return out


def _ranked(design: m.Design, table: m.Table, volume: m.Volume, usage: list[PatternUse]) -> list[Proposal]:
    filtered = range_key(table, usage, bool(volume.retention_months))
    pinned = equality_key(table, usage)
    inserted = range_key(table, [], True)  # the insertion time, or the first NOT NULL time column
    out = [Proposal("range", filtered, range_benefits(filtered, volume, usage))] if filtered else []
    if pinned:
        column = table.column(pinned)
        values = enum_values(design, table, column) if column else ()
        if values and len(values) <= rules.MAX_LIST_VALUES:
            out.append(Proposal("list", pinned, [f"{names(searching(usage))} pin {pinned}"],
                                tuple((v, (v,)) for v in values)))
        else:
            out.append(Proposal("hash", pinned, [f"{names(searching(usage))} pin {pinned}"]))
    if inserted and inserted != filtered:
        out.append(Proposal("range", inserted, ["the insertion time"]))
    return out


def best_candidate(design: m.Design, table: m.Table) -> tuple[m.Table | None, str]:
    """`table` with the best scheme PostgreSQL allows for it, and what the scheme is; or None
    and why no scheme is possible."""
    volume = next((v for v in design.volumes if v.entity == table.entity), None)
    if volume is None:
        return None, "no declared volume"
    ruled_out = []
    ranked = _ranked(design, table, volume, table_usage(design, table.name))
    for proposal in ranked:
        blocked = blockers(design, table, proposal.key)
        if blocked:
            ruled_out.append(f"{proposal.method} by {proposal.key}: " + "; ".join(blocked))
            continue
        new, why_not = apply_proposal(design, table, proposal, volume)
        if new is not None:
            return new, why_not
        ruled_out.append(f"{proposal.method} by {proposal.key}: {why_not}")
    if not ranked:
        ruled_out.append(f"{table.name} has no NOT NULL date or time column to range by and no column every "
                         "pattern pins to list or hash by")
    return None, "; ".join(ruled_out)
