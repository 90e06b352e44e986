"""Capacity plan (scaling/capacity.py) and its proof against PostgreSQL's real sizes.

The arithmetic tests pin PostgreSQL's layout rules (a table measured on PostgreSQL 15: 100,000
rows of (bigint, 8-character text, numeric) take 637 pages + 3 FSM + 1 VM page); the proof runs
on the embedded PostgreSQL with shop loaded at a small scale, and is shown failing for a
deliberately wrong width and for a table bloated by an UPDATE of every row.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from schemawright.database import Database
from schemawright.pagelayout import Column, heap
from schemawright.performance.capacity_measure import column_stats, measure_table
from schemawright.performance.capacity_proof import checks, compare
from schemawright.performance.scratch_load import loaded_scratch
from schemawright.pipeline import design_file
from schemawright.scaling.capacity import CapacityPlan, plan
from schemawright.scaling.column_widths import typical_length
from schemawright.scaling.plan import OperationsPlan
from schemawright.scaling.volumes import TableVolume
from schemawright.validation.operations.context import OperationsRun
from schemawright.validation.report import FAIL, NOT_MEASURED, PASS
from schemawright.validation.run import use_server

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCALE = 0.002


@pytest.fixture(scope="module")
def shop():
    return design_file(EXAMPLES / "shop.yaml")


def _plan(design) -> CapacityPlan:  # noqa: ANN001
    return plan(design, OperationsPlan(design, {}))


def test_heap_follows_postgresqls_layout() -> None:
    columns = [Column(8, 0, -1, 8, 8, "int8"), Column(9, 0, -1, -1, 4, "text"), Column(7, 0, -1, -1, 4, "numeric")]
    found = heap(100_000, columns)
    assert (found.tuple_bytes, found.rows_per_page, found.pages) == (48, 157, 637)
    assert found.bytes == (637 + 3 + 1) * 8192  # main fork, free space map, visibility map
    # A NULL adds the bitmap: 9 columns need 2 bytes, the header grows from 24 to 32.
    nine = [Column(4, 0.0, -1, 4, 4, "int4")] * 8 + [Column(4, 1.0, -1, 4, 4, "int4")]
    assert heap(1, nine).tuple_bytes == 32 + 32
    assert heap(1000, columns, fillfactor=50).rows_per_page == 78


def test_typical_text_width_is_postgresqls_guess() -> None:
    assert (typical_length(20), typical_length(200), typical_length(5000)) == (20, 116, 516)


def test_rows_plateau_at_the_retention_and_identity_counts_every_insert() -> None:
    volume = TableVolume(500, 100, retention_months=12)  # 5 months of history at launch, 12 kept
    assert [volume.held(m) for m in (0, 6, 12, 36)] == [500, 1_100, 1_200, 1_200]
    assert volume.inserted(36) == 4_100


def test_the_plan(shop) -> None:
    found = _plan(shop)
    assert [t.table for t in found.tables] == [t.name for t in shop.tables]
    assert found.total_bytes(0) < found.total_bytes(12) < found.total_bytes(36)
    # payments keeps 120 months: within 36 months nothing is removed yet; no table shrinks.
    for table in found.tables:
        assert [s.total for s in table.sizes] == sorted(s.total for s in table.sizes)
    assert found.wal_bytes_per_day > 0 and found.disk_bytes > found.total_bytes(36)
    assert 0 < found.memory_working_set_bytes <= found.total_bytes(12)
    wal = {w.pattern: w for w in found.wal}
    assert wal["reserve_stock"].hot and not wal["mark_order_paid"].hot  # SETs status, which orders indexes
    assert all(k.type_name == "int8" and k.months and k.months > 12_000 for k in found.keys)
    markdown = "\n".join(found.markdown())
    assert "| `orders` | 14,000,000 |" in markdown and "### WAL" in markdown
    assert found.files() == _plan(shop).files()  # deterministic
    assert found.files()["capacity.csv"].startswith("table,part,months,rows,bytes\n")


def test_an_integer_key_runs_out(shop) -> None:
    orders = shop.table("orders")
    narrowed = orders.model_copy(update={"columns": tuple(
        c.model_copy(update={"sql_type": "integer"}) if c.name == "id" else c for c in orders.columns)})
    design = shop.model_copy(update={"tables": tuple(narrowed if t.name == "orders" else t for t in shop.tables)})
    runway = next(k for k in _plan(design).keys if k.table == "orders")
    assert runway.type_name == "int4"
    assert runway.months == pytest.approx((2 ** 31 - 1 - 14_000_000) / 700_000)
    assert "`orders.id` | int4" in "\n".join(_plan(design).markdown())


def test_a_partitioned_table_plateaus_and_its_runway_is_stated() -> None:
    design = design_file(EXAMPLES / "iot_telemetry.yaml")
    found = _plan(design)
    readings = found.table("readings")
    assert readings.partitioned and readings.at(24).total == readings.at(36).total  # 3 months kept
    runway = {p.table: p for p in found.partitions}
    assert runway["readings"].default_partition == "readings_default"
    assert 0 < runway["readings"].ahead_months < 2  # 4 weekly partitions ahead


def test_the_proof_passes_on_shop(shop) -> None:
    found = list(checks(OperationsRun(shop, {}, scale=SCALE)))
    assert len(found) == len(shop.tables)
    assert not [c for c in found if c.status not in (PASS, NOT_MEASURED)], found
    assert sum(c.status == PASS for c in found) >= 5
    orders = next(c for c in found if c.name.endswith(": orders"))
    assert "estimate" in orders.detail and "measured" in orders.detail


def test_the_proof_fails_for_a_wrong_width_and_for_a_bloated_table(shop) -> None:
    with use_server(None, lambda _text: None) as server, \
            loaded_scratch(shop, server, scale=SCALE, seed=1, embedded=True, say=lambda _text: None) as loaded, \
            Database(loaded.box.url) as db:
        design = loaded.design
        table = design.table("orders")
        rows = {t.name: float(measure_table(db, t).rows) for t in design.tables}
        measured, stats = measure_table(db, table), column_stats(db, table)
        assert compare(design, table, measured, stats, rows).status == PASS
        wider = {**stats, "order_number": stats["order_number"].__class__(
            stats["order_number"].width * 8, 0.0, -1.0, -1, 4, "text")}
        wrong = compare(design, table, measured, wider, rows)
        assert wrong.status == FAIL and "measured" in wrong.detail
        # Every row updated: the old versions stay until VACUUM, so the heap about doubles.
        db.execute("UPDATE orders SET customer_note = coalesce(customer_note, '') || 'x'")
        db.execute("ANALYZE orders")
        bloated = compare(design, table, measure_table(db, table), column_stats(db, table), rows)
        assert bloated.status == FAIL, bloated.detail
