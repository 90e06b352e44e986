"""The two designs bench compares a partitioning scheme with: the design as it stands after
its maintenance function has run for a while, and the same design without partitioning.

A design's initial range partitions start at go-live; rows dated over the years before it
(what bench's generated data spans) would all land in DEFAULT, and a table with everything
in DEFAULT measures nothing about partitioning.  `over_span` adds the partitions the
maintenance function would have made over that span, on the same calendar, so the rows land
where they would in production.  `unpartitioned` is the same design with every scheme
removed: primary keys without the partition key the partitioning step added, no maintenance
functions.  `with_schemes` is the other way round: the design with a large table it left as
one table partitioned by a candidate scheme (partitioning/candidate.py).
"""

from __future__ import annotations

from datetime import date

from schemawright import model as m
from schemawright.partitioning.calendar import align, bound_literal, range_partition_name, step
from schemawright.partitioning.rules import MAX_INITIAL_PARTITIONS


def over_span(design: m.Design, spans: dict[str, tuple[date, date]]) -> m.Design:
    """`design` with each generated range scheme's partitions extended over its table's
    span [first, last] (table -> span), at most MAX_INITIAL_PARTITIONS in all, newest kept."""
    tables = []
    for table in design.tables:
        scheme = table.partitioning
        if scheme is None or scheme.method != "range" or not scheme.interval or not scheme.maintenance_function \
                or table.name not in spans:
            tables.append(table)
            continue
        tables.append(table.model_copy(update={"partitioning": _extended(table, scheme, *spans[table.name])}))
    return design.model_copy(update={"tables": tuple(tables)})


def _extended(table: m.Table, scheme: m.Partitioning, first: date, last: date) -> m.Partitioning:
    assert scheme.interval is not None
    key = table.column(scheme.columns[0])
    assert key is not None
    taken = {p.name for p in scheme.partitions}
    ranges, start = [], align(first, scheme.interval)
    while start <= last:
        end = step(start, scheme.interval)
        # Same calendar as the initial partitions: a range is either one of them (same name) or apart.
        if range_partition_name(table.name, start) not in taken:
            ranges.append((start, end))
        start = end
    room = max(MAX_INITIAL_PARTITIONS - len(scheme.partitions), 0)
    added = [m.Partition(name=range_partition_name(table.name, lo),
                         bound=m.PartitionBound(kind="range", lower=(bound_literal(lo, key.sql_type),),
                                                upper=(bound_literal(hi, key.sql_type),)))
             for lo, hi in ranges[max(len(ranges) - room, 0):] if room]
    ranged = sorted([p for p in scheme.partitions if p.bound.kind == "range"] + added, key=lambda p: p.bound.lower)
    others = [p for p in scheme.partitions if p.bound.kind != "range"]
    return scheme.model_copy(update={"partitions": tuple(ranged + others)})


def unpartitioned(design: m.Design) -> m.Design:
    """The design without partitioning, for the one-table side of the comparison.  Roles,
    grants and row-level security go too: bench times patterns as the loading role, which
    bypasses them, and the roles of a second scratch database would need names of their own."""
    added = {d.subject for d in design.decisions if d.step == "partitioning" and d.choice.startswith("primary key")}
    maintenance = {t.partitioning.maintenance_function for t in design.tables
                   if t.partitioning is not None and t.partitioning.maintenance_function}
    tables = []
    for table in design.tables:
        scheme, pk = table.partitioning, table.primary_key
        if scheme is None:
            tables.append(table)
            continue
        if pk is not None and f"{table.name}.{pk.name}" in added and pk.columns[-1:] == scheme.columns[:1]:
            pk = pk.model_copy(update={"columns": pk.columns[:-1]})
        tables.append(table.model_copy(update={"partitioning": None, "primary_key": pk}))
    return _second_database(design, tables, maintenance)


def with_schemes(design: m.Design, tables: list[m.Table]) -> m.Design:
    """The design with each of `tables` (a large table given a candidate scheme) in place of its
    namesake, for the partitioned side of a one-table design's comparison; roles go as above."""
    new = {t.name: t for t in tables}
    return _second_database(design, [new.get(t.name, t) for t in design.tables], set())


def _second_database(design: m.Design, tables: list[m.Table], dropped_functions: set[str | None]) -> m.Design:
    """`design` with `tables`, loadable into a second scratch database beside the first: without
    roles, grants and policies (their names belong to the first), functions owned by no role."""
    return design.model_copy(update={
        "tables": tuple(tables), "roles": (), "grants": (), "policies": (), "row_security": (),
        "functions": tuple(f.model_copy(update={"owner": None}) for f in design.functions
                           if f.name not in dropped_functions)})


def partitioned_tables(design: m.Design) -> list[m.Table]:
    return [t for t in design.tables if t.partitioning is not None]
