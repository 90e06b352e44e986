"""Step 6: partitioning.  A pure stage: Design in, Design out, with a decision per large table.

For every entity table with a declared volume it records why the table is, or is not,
partitioned; a chosen scheme becomes `Table.partitioning` (rendered by sql/postgresql.py),
the partition key joins the primary key, and a range scheme gets its maintenance function.
The spec's `partition:` option overrides the choice (`none` forbids it).

Range partitions start at the spec's `go_live` (an entity's `anchor:` overrides it), else at
the design date (calendar.design_date), which is then recorded as a decision of its own.
"""

from __future__ import annotations

from datetime import date

from schemawright import model as m
from schemawright.naming import fit, snake
from schemawright.partitioning import rules
from schemawright.partitioning.calendar import (bound_literal, design_date, initial_ranges, range_count,
                                                range_partition_name)
from schemawright.partitioning.choose import Proposal, enum_values, propose, range_benefits
from schemawright.partitioning.keys import blockers, with_key_in_primary_key
from schemawright.partitioning.maintenance import function_name, maintenance_function, plan_text
from schemawright.partitioning.usage import names, searching, table_usage
from schemawright.sql import partition_bounds
from schemawright.sql.quoting import quote_literal

STEP = "partitioning"


def partition(design: m.Design) -> m.Design:
    volumes = {v.entity: v for v in design.volumes}
    entities = {e.name: e for e in design.entities}
    taken = {t.name for t in design.tables} | {v.name for v in design.views}
    tables, decisions, functions = [], [], []
    start = design.go_live or design_date().isoformat()
    for table in design.tables:
        entity = entities.get(table.entity or "") if table.kind == "entity" else None
        if entity is None or table.partitioning is not None:
            tables.append(table)
            continue
        new, made = _decide(design, table, entity.partition or m.PartitionRequest(), volumes.get(entity.name), taken,
                            start)
        tables.append(new)
        decisions += made
        if new.partitioning is not None and new.partitioning.maintenance_function:
            functions.append(maintenance_function(new, new.partitioning))
    if not decisions:
        return design
    if not design.go_live and any(t.partitioning and t.partitioning.method == "range" and t.partitioning.anchor == start
                                  and t.partitioning.maintenance_function for t in tables):
        decisions.append(m.Decision(
            step=STEP, subject="start of range partitions", choice=f"the design date, {start}",
            reason="the spec gives no `go_live:`, so range partitions start at the day `design` ran (or the date "
                   "SOURCE_DATE_EPOCH gives); schema.sql changes with that day: add `go_live: YYYY-MM-DD` to the "
                   "spec for a schema that does not"))
    return design.model_copy(update={"tables": tuple(tables), "decisions": design.decisions + tuple(decisions),
                                     "functions": design.functions + tuple(functions)})


def _not_partitioned(table: m.Table, reason: str) -> list[m.Decision]:
    return [m.Decision(step=STEP, subject=table.name, choice="not partitioned", reason=reason)]


def _size(volume: m.Volume) -> str:
    rows = rules.horizon_rows(volume)
    if volume.retention_months:
        how = f"{volume.growth_per_month:,} new rows a month kept {volume.retention_months} months"
    else:
        how = f"{volume.rows:,} now plus {rules.HORIZON_MONTHS} months of growth at {volume.growth_per_month:,}/month"
    return f"~{rows:,} rows at the horizon ({how})"


def _decide(design: m.Design, table: m.Table, request: m.PartitionRequest, volume: m.Volume | None,
            taken: set[str], start: str) -> tuple[m.Table, list[m.Decision]]:
    if request.by == "none":
        noted = volume is not None and (rules.horizon_rows(volume) >= rules.LARGE_ROWS or volume.retention_months)
        return table, _not_partitioned(table, "the spec says `partition: none`" + (
            f" ({_size(volume)})" if volume else "")) if noted else []
    if request.by == "auto":
        return _automatic(design, table, request, volume, taken, start)
    return _requested(design, table, request, volume, taken, start)


def _automatic(design: m.Design, table: m.Table, request: m.PartitionRequest, volume: m.Volume | None,
               taken: set[str], start: str) -> tuple[m.Table, list[m.Decision]]:
    if volume is None:
        return table, []
    horizon = rules.horizon_rows(volume)
    if horizon < rules.LARGE_ROWS:
        if not volume.retention_months and horizon < rules.LARGE_ROWS // 10:
            return table, []  # clearly small: a decision per such table would only be noise
        tail = (f"; expire rows older than {volume.retention_months} months with a daily batched DELETE"
                if volume.retention_months else "")
        return table, _not_partitioned(table, f"not worth it: {_size(volume)} is below the "
                                       f"{rules.LARGE_ROWS:,}-row threshold, where one table with the right "
                                       f"indexes is simpler and as fast{tail}")
    usage = table_usage(design, table.name)  # only for large tables: it reads every pattern
    proposal, why_not = propose(design, table, volume, usage)
    if proposal is None:
        return table, _not_partitioned(table, f"not worth it: {_size(volume)}, but " + "; ".join(why_not))
    proposal.reasons += [w for w in why_not if "ruled out" in w]
    return _apply(table, proposal, request, volume, usage, taken, start)


def _requested(design: m.Design, table: m.Table, request: m.PartitionRequest, volume: m.Volume | None,
               taken: set[str], start: str) -> tuple[m.Table, list[m.Decision]]:
    """The scheme the spec asks for (its conflicts were already reported as located errors)."""
    assert request.key is not None  # the spec model requires it
    usage = table_usage(design, table.name)
    values = request.values
    if request.by == "list" and not values and not request.bounds:
        column = table.column(request.key)
        values = tuple((v, (v,)) for v in (enum_values(design, table, column) if column else ()))
        if not values:
            return table, _not_partitioned(table, f"`partition: list({request.key})` needs `values:` because "
                                                  f"{request.key} has no known set of values")
    reasons = ["requested in the spec"]
    if request.by == "range":
        reasons += range_benefits(request.key, volume, usage)
    else:
        pinned = [u for u in usage if u.filters(request.key, by_range=False)]
        reasons += [f"{names(pinned)} pin {request.key} and read one partition"] if pinned else []
    blocked = blockers(design, table, request.key)
    if blocked:
        return table, _not_partitioned(table, f"{request.by} by {request.key} was requested but " + "; ".join(blocked))
    if request.bounds:
        return _as_declared(table, request)
    return _apply(table, Proposal(request.by, request.key, reasons, values), request, volume, usage, taken, start)


def apply_proposal(design: m.Design, table: m.Table, proposal: Proposal,
                   volume: m.Volume) -> tuple[m.Table | None, str]:
    """`proposal` made as the automatic choice would make it (for bench to measure against the
    one table, partitioning/candidate.py): the table and the scheme's summary, or None and why
    the scheme cannot be made."""
    taken = {t.name for t in design.tables} | {v.name for v in design.views}
    start = design.go_live or design_date().isoformat()
    new, made = _apply(table, proposal, m.PartitionRequest(), volume, table_usage(design, table.name), taken, start)
    return (new, made[0].choice) if new.partitioning is not None else (None, made[0].reason)


def _apply(table: m.Table, proposal: Proposal, request: m.PartitionRequest, volume: m.Volume | None,
           usage: list, taken: set[str], start: str) -> tuple[m.Table, list[m.Decision]]:
    key = table.column(proposal.key)
    assert key is not None
    interval = anchor = None
    ahead = 0
    detail = ""
    if proposal.method == "range":
        interval = request.interval or (rules.range_interval(volume) if volume else "1 month")
        anchor = request.anchor or start
        ahead = request.ahead if request.ahead is not None else rules.DEFAULT_AHEAD
        history = rules.history_months(volume)
        if not rules.retention_fits(date.fromisoformat(anchor), volume.retention_months if volume else None):
            return table, _not_partitioned(table, f"a retention of {volume.retention_months:,} months reaches before "
                                           "the year 1, so a maintenance function could not compute what to drop")
        if not request.interval:  # an interval the spec asks for was checked by `check`
            wanted, interval = interval, rules.fitting_interval(date.fromisoformat(anchor), interval, history, ahead)
            if interval is None:
                return table, _not_partitioned(table, f"range partitions over {history} months of existing rows "
                                               f"would need more than {rules.MAX_INITIAL_PARTITIONS} initial "
                                               "partitions even one a year, more than one migration can create in "
                                               "one transaction; expire old rows with a daily batched DELETE")
            if interval != wanted:
                detail = (f"; {interval} partitions, coarser than the {wanted} that keeps each under "
                          f"{rules.MAX_PARTITION_ROWS:,} rows: {wanted} partitions would number "
                          f"{range_count(date.fromisoformat(anchor), wanted, history, ahead) or 'too many'}, "
                          f"more than the {rules.MAX_INITIAL_PARTITIONS} one migration can create in one transaction "
                          "(each takes about ten locks of the 6,400 a default server has)")
        ranges = initial_ranges(date.fromisoformat(anchor), interval, history, ahead)
        parts = [m.Partition(name=_claim(range_partition_name(table.name, lo), taken),
                             bound=m.PartitionBound(kind="range", lower=(bound_literal(lo, key.sql_type),),
                                                    upper=(bound_literal(hi, key.sql_type),)))
                 for lo, hi in ranges]
        before = sum(hi <= date.fromisoformat(anchor) for _lo, hi in ranges)
        detail += (f"; {before} partition{'s' if before != 1 else ''} before {anchor} for the {volume.rows:,} rows "
                   "declared now" if before and volume else "") + \
            f"; {ahead} ahead of {anchor}'s, the maintenance function makes the next ones as time passes"
        if volume is not None:
            steady = rules.steady_partitions(volume, interval, ahead)
            detail += (f"; one partition ({interval}) holds ~{rules.rows_per_interval(volume, interval):,} rows "
                       f"(target: {rules.MIN_PARTITION_ROWS:,} to {rules.MAX_PARTITION_ROWS:,})"
                       + (f"; about {steady} partitions once the {volume.retention_months}-month retention is "
                          "reached" if steady else ""))
    elif proposal.method == "list":
        parts = [m.Partition(name=_claim(fit(f"{table.name}_{snake(suffix) or 'part'}"), taken),
                             bound=m.PartitionBound(kind="list", values=tuple(quote_literal(v) for v in values)))
                 for suffix, values in proposal.values]
    else:
        count = request.partitions or (rules.hash_partitions(volume) if volume else rules.MIN_HASH_PARTITIONS)
        parts = [m.Partition(name=_claim(fit(f"{table.name}_h{i}"), taken),
                             bound=m.PartitionBound(kind="hash", modulus=count, remainder=i)) for i in range(count)]
        detail = f"; {count} partitions (a power of two, so each can later be split in two)"
    default = _claim(fit(f"{table.name}_default"), taken) if proposal.method != "hash" else None
    if default:
        parts.append(m.Partition(name=default, bound=m.PartitionBound(kind="default")))
    scheme = m.Partitioning(
        method=proposal.method, columns=(proposal.key,), interval=interval, anchor=anchor,  # type: ignore[arg-type]
        retention_months=volume.retention_months if volume and proposal.method == "range" else None,
        ahead=ahead, partitions=tuple(parts), default_partition=default,
        maintenance_function=function_name(table.name) if proposal.method == "range" else None)
    scheme = scheme.model_copy(update={"maintenance": plan_text(table, scheme)})
    new, decisions = with_key_in_primary_key(table.model_copy(update={"partitioning": scheme}), proposal.key)
    missed = [u for u in searching(usage) if not u.filters(proposal.key, by_range=proposal.method == "range")]
    caveat = (f". Pattern{'s' if len(missed) > 1 else ''} {names(missed)} "
              f"{'do' if len(missed) > 1 else 'does'} not filter {proposal.key} and read"
              f"{'' if len(missed) > 1 else 's'} every partition (one index probe each)") if missed else ""
    size = _size(volume) + (" is above" if rules.horizon_rows(volume) >= rules.LARGE_ROWS else " is below") + \
        f" the {rules.LARGE_ROWS:,}-row threshold; " if volume else ""
    what = {"range": f"range by {proposal.key}, {interval} partitions from {anchor}",
            "list": f"list by {proposal.key}", "hash": f"hash by {proposal.key}"}[proposal.method]
    choice = f"{what} ({len(parts) - bool(default)} initial partitions" + (" + DEFAULT)" if default else ")")
    reason = size + "; ".join(proposal.reasons) + detail + caveat + ". Maintenance: " + scheme.maintenance + \
        " `schemawright bench` times this table's patterns and retention job against the same design without " \
        "partitioning and says whether the scheme pays."
    return new, [m.Decision(step=STEP, subject=table.name, choice=choice, reason=reason), *decisions]


def _as_declared(table: m.Table, request: m.PartitionRequest) -> tuple[m.Table, list[m.Decision]]:
    """Partitions listed in the spec (an imported schema): kept exactly, managed as before."""
    parts = tuple(m.Partition(name=name, bound=partition_bounds.parse(bound)) for name, bound in request.bounds)
    default = next((p.name for p in parts if p.bound.kind == "default"), None)
    scheme = m.Partitioning(method=request.by, columns=(request.key,), partitions=parts,  # type: ignore[arg-type]
                            default_partition=default,
                            maintenance="Partitions are kept as declared; create and drop them as the existing "
                                        "schema did (no maintenance function is generated).")
    new, decisions = with_key_in_primary_key(table.model_copy(update={"partitioning": scheme}), request.key)
    return new, [m.Decision(step=STEP, subject=table.name,
                            choice=f"{request.by} by {request.key} ({len(parts)} partitions as declared)",
                            reason="declared in the spec with its partitions (as `schemawright import` writes them)"),
                 *decisions]


def _claim(name: str, taken: set[str]) -> str:
    """Partitions share the relation namespace with tables: never reuse a name."""
    new, n = name, 1
    while new in taken:
        n += 1
        new = fit(f"{name}_{n}")
    taken.add(new)
    return new
