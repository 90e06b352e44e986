"""The configuration plan: settings derived from the workload and the machine, per-table storage
parameters in the DDL, and its proof on real PostgreSQL servers (which must be able to FAIL)."""

from __future__ import annotations

import pytest

from schemawright.database.configured_server import debian_binaries
from schemawright.performance.concurrent import LoadOptions
from schemawright.performance.settings_compare import compared, planned_here
from schemawright.pipeline import deliverables, design_file
from schemawright.scaling.machine import with_machine
from schemawright.scaling.plan import plan_operations
from schemawright.validation.operations.configuration_proof import CONF, accepted, same
from schemawright.validation.report import FAIL, PASS

needs_server = pytest.mark.skipif(debian_binaries() is None, reason="no PostgreSQL server binaries")


@pytest.fixture(scope="module")
def shop():
    return design_file("examples/shop.yaml")


def _plan(design):
    return plan_operations(design).sections["configuration"]


def test_settings_follow_the_machine(shop):
    small = _plan(with_machine(shop, cores=2, memory_gb=4, storage="hdd"))
    big = _plan(with_machine(shop, cores=16, memory_gb=64, storage="ssd"))
    assert small.setting("shared_buffers").value == "1GB" and big.setting("shared_buffers").value == "16GB"
    assert small.setting("random_page_cost").value == "4" and big.setting("random_page_cost").value == "1.1"
    assert big.setting("max_parallel_workers").value == "16"


def test_connections_come_from_the_pool_plan(shop):
    plan = plan_operations(shop)
    pool = plan.sections["pooling"]
    assert int(plan.sections["configuration"].setting("max_connections").value) == pool.server_connections + 10


def test_work_mem_grows_with_the_sorts_the_patterns_need(shop):
    base = _plan(shop).setting("work_mem")
    assert "orders_to_ship" in base.reason
    # Ten times the orders: the hash over the paid orders no longer fits in the same work_mem.
    volumes = tuple(v.model_copy(update={"rows": v.rows * 10}) if v.entity == "Order" else v for v in shop.volumes)
    grown = _plan(shop.model_copy(update={"volumes": volumes})).setting("work_mem")
    assert int(grown.value.rstrip("MB")) > int(base.value.rstrip("MB"))


def test_storage_parameters_are_in_the_ddl_with_their_reasons(shop):
    files = deliverables(shop)
    assert "WITH (fillfactor = 75)" in files["schema.sql"]  # stock_levels: HOT room for reserve_stock
    assert "autovacuum_vacuum_scale_factor = 0.012" in files["schema.sql"]  # orders: 45 updates/s on 14M rows
    assert "fillfactor = 75" in files["report.md"]
    conf = files[CONF]
    assert "max_connections = " in conf and "postgresql.security.conf" not in conf
    assert files == deliverables(shop)  # deterministic


def test_a_partitioned_table_takes_its_parameters_on_each_partition():
    design = design_file("examples/iot_telemetry.yaml")
    schema = deliverables(design)["schema.sql"]
    assert ") PARTITION BY RANGE (recorded_at);" in schema  # nothing on the parent: PostgreSQL refuses it
    assert "PARTITION OF readings FOR VALUES FROM" in schema and "autovacuum_analyze_threshold = 250000" in schema


def test_units_are_compared_normalised():
    assert same("4GB", "524288", "8kB") and same("15min", "900", "s") and same("7MB", "7168", "kB")
    assert same("pglz", "pglz", None) and same("1.1", "1.1", None) and not same("8MB", "7168", "kB")


@needs_server
def test_the_server_applies_every_setting_and_a_refused_one_fails(shop):
    conf = deliverables(shop)[CONF]
    good = accepted(conf, shop.machine.memory_gb)
    assert good.status == PASS, good.detail
    count = len([line for line in conf.splitlines() if " = " in line and not line.startswith("#")])
    assert good.detail.startswith(f"{count}/{count} applied"), good.detail
    refused = accepted(conf.replace("wal_compression = pglz", "wal_compression = lots"), shop.machine.memory_gb)
    assert refused.status == FAIL and "did not start" in refused.detail
    # Accepted by the parser but not what was written: a later line overrides it.
    overridden = accepted(conf + "work_mem = 2MB\n", shop.machine.memory_gb)
    assert overridden.status == PASS  # the last line wins, and is what the server shows
    unknown = accepted(conf + "shared_bufers = 1GB\n", shop.machine.memory_gb)
    assert unknown.status == FAIL


@needs_server
def test_tuned_runs_as_well_as_defaults_and_a_harmful_configuration_fails(shop):
    conf, note, memory_gb = planned_here(shop, 0.001)
    load = LoadOptions(duration=3.0, connections=6)
    check = compared(shop, conf, scale=0.001, seed=3, options=load, note=note, memory_gb=memory_gb)
    assert check.status == PASS, check.detail
    assert "runs/s tuned vs" in check.detail and "planned for this machine" in check.detail
    # Index scans off and a tiny buffer cache: every lookup reads the whole table.
    harmful = conf + ("enable_indexscan = off\nenable_bitmapscan = off\nenable_indexonlyscan = off\n"
                      "shared_buffers = 1MB\n")
    bad = compared(shop, harmful, scale=0.001, seed=3, options=load, memory_gb=memory_gb)
    assert bad.status == FAIL, bad.detail
