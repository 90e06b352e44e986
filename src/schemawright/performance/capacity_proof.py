"""Proof of the capacity plan: its size arithmetic against what PostgreSQL really writes.

The design is loaded at the run's scale into a scratch database (on run.database_url's server or
the embedded PostgreSQL), vacuumed and analysed; each table's bytes (heap with its free space
and visibility maps, TOAST, indexes: pg_total_relation_size) are measured and compared with the
capacity estimate for the rows loaded (scaling.table_size.estimate_table), partition by
partition.  The estimate is given the loaded columns' average widths, NULL shares and distinct
counts (pg_stats), so what is proven is the layout arithmetic (tuple headers, alignment, line
pointers, fillfactor, B-tree leaves, deduplication, TOAST); the widths the plan assumes before
any data exists (the spec's max_length, the planner's defaults) are shown next to it, not
judged: synthetic values are not the application's.

PASS within TOLERANCE of the measurement per table; a table whose heap is under MIN_PAGES pages
is reported as NOT MEASURED, not judged (a page or two of rounding, free space and index metapages is most
of it).
"""

from __future__ import annotations

from collections.abc import Iterator

from schemawright import model as m
from schemawright.database import Database, DatabaseError, EmbeddedServerError
from schemawright.generation.columns import GenerationError
from schemawright.performance.capacity_measure import Measured, column_stats, key_order, measure_table
from schemawright.performance.scratch_load import loaded_scratch
from schemawright.scaling.capacity_md import size
from schemawright.scaling.table_size import IndexSpec, TableSize, estimate_table, table_indexes
from schemawright.validation.operations.context import OperationsRun
from schemawright.validation.report import ERROR, FAIL, NOT_MEASURED, NOT_TRIED, PASS, Check
from schemawright.validation.run import use_server

TOLERANCE = 0.15
MIN_PAGES = 10
IN_ORDER = 0.9  # pg_stats.correlation from which rows count as written in a key's order
NAME = "operations: capacity"


def checks(run: OperationsRun) -> Iterator[Check]:
    try:
        with use_server(run.database_url, run.say) as server_url, \
                loaded_scratch(run.design, server_url, scale=run.scale, seed=run.seed,
                               embedded=run.database_url is None, say=run.say) as loaded, \
                Database(loaded.box.url) as db:
            run.say("Measuring table sizes")
            found = [(t, measure_table(db, t), column_stats(db, t), key_order(db, t)) for t in loaded.design.tables]
    except (GenerationError, EmbeddedServerError) as error:  # what the server lacks (an extension), or no server
        yield Check(NAME, NOT_TRIED, f"the design could not be loaded at scale {run.scale:g}: {error}")
        return
    except DatabaseError as error:
        yield Check(NAME, ERROR, f"loading or measuring at scale {run.scale:g} failed: {error}")
        return
    rows = {t.name: float(measured.rows) for t, measured, _, _ in found}
    for table, measured, stats, order in found:
        yield compare(loaded.design, table, measured, stats, rows, order)


def compare(design: m.Design, table: m.Table, measured: Measured, stats: dict, rows: dict[str, float],
            order: dict[str, float] | None = None) -> Check:
    """One table's check: the estimate at the loaded widths against the measurement.  `order`: each
    column's pg_stats.correlation (rows written in a key's order fill its index's leaves)."""
    partial = {i.name for i in table_indexes(design, table) if i.where}
    estimate = estimate_table(design, table, measured.rows, columns=stats, partition_rows=measured.partition_rows,
                              index_rows={k: v for k, v in measured.index_rows.items() if k in partial},
                              rows_of=lambda n: rows.get(n, measured.rows),
                              built=lambda index: _packed(index, order or {}))
    planned = estimate_table(design, table, measured.rows, partition_rows=measured.partition_rows,
                             rows_of=lambda n: rows.get(n, measured.rows))
    off = (estimate.total - measured.total) / measured.total if measured.total else 0.0
    detail = (f"{measured.rows:,} rows: estimate {_parts(estimate)}; measured {size(measured.total)} "
              f"(heap {size(measured.heap)}, TOAST {size(measured.toast)}, indexes {size(measured.indexes)}); "
              f"{off:+.1%}; at the plan's assumed widths {size(planned.total)}")
    name = f"{NAME}: {table.name}"
    if measured.heap_pages < MIN_PAGES:
        return Check(name, NOT_MEASURED, f"{detail} (not judged: heap under {MIN_PAGES} pages, too small to measure "
                                         "the arithmetic by; load a larger scale)")
    return Check(name, PASS if abs(off) <= TOLERANCE else FAIL, f"{detail}; tolerance {TOLERANCE:.0%}")


def _packed(index: IndexSpec, order: dict[str, float]) -> bool:
    """Whether the index's leaves are full: generation makes plain indexes after the rows (CREATE
    INDEX); key constraints' and unique indexes are in place while the rows arrive, and fill only
    where the rows came in the order of their first key (pg_stats.correlation near 1)."""
    return not index.unique or (bool(index.keys) and order.get(index.keys[0], 0.0) >= IN_ORDER)


def _parts(estimate: TableSize) -> str:
    return (f"{size(estimate.total)} (heap {size(estimate.heap)}, TOAST {size(estimate.toast)}, "
            f"indexes {size(estimate.index_bytes)})")
