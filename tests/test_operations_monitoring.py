"""Monitoring plan (scaling/monitoring.py) and its proof: promtool on the generated rules and tests.

The proof runs the real promtool (Debian's prometheus package); without it those checks are NOT
TRIED and the tests that need them skip.  Each failure mode is shown once: a broken expression
(check rules), a threshold that no longer fires (test rules), a test file that lost a case
(coverage).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from schemawright.pipeline import design_file
from schemawright.scaling.capacity import CapacityPlan
from schemawright.scaling.monitoring import ALERTS, QUERIES, TESTS, MonitoringPlan
from schemawright.scaling.plan import operations_files, plan_operations
from schemawright.validation.operations.context import OperationsRun
from schemawright.validation.operations import monitoring_sql
from schemawright.validation.operations.monitoring_proof import coverage, rule_checks
from schemawright.validation.report import FAIL, NOT_TRIED, PASS

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
needs_promtool = pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool (Debian: prometheus) absent")


@pytest.fixture(scope="module")
def shop():
    design = design_file(EXAMPLES / "shop.yaml")
    return design, operations_files(design)


@pytest.fixture(scope="module")
def iot():
    design = design_file(EXAMPLES / "iot_telemetry.yaml")
    return design, plan_operations(design)


def _run(design, files):  # noqa: ANN001, ANN202
    return {c.name.rpartition(": ")[2]: c for c in rule_checks(OperationsRun(design, files))}


def _rules(files: dict[str, str]) -> list[dict]:
    return [rule for group in yaml.safe_load(files[ALERTS])["groups"] for rule in group["rules"]]


@needs_promtool
def test_the_generated_rules_load_and_every_alert_fires_and_stays_quiet(shop) -> None:
    design, files = shop
    found = _run(design, files)
    assert [c.status for c in found.values()] == [PASS, PASS, PASS], found
    rules = _rules(files)
    names = {r["alert"] for r in rules}
    assert {"PostgresReplicaMissing", "PostgresReplicationLagOverRPO", "PostgresConnectionsNearMax",
            "PostgresTransactionIdWraparound", "PostgresDeadRowsPilingUp", "PostgresGrowingFasterThanPlanned",
            "PostgresLargerThanPlanned", "PostgresPatternSlowerThanTarget"} <= names
    timed = [p.name for p in design.access_patterns if p.latency_p95_ms]
    assert sorted(r["labels"]["pattern"] for r in rules if r["alert"] == "PostgresPatternSlowerThanTarget") == \
        sorted(timed)
    assert len(yaml.safe_load(files[TESTS])["tests"]) == 2 * len(rules)


@needs_promtool
def test_a_broken_expression_fails_check_rules(shop) -> None:
    design, files = shop
    broken = dict(files)
    broken[ALERTS] = files[ALERTS].replace("pg_up == 0", "pg_up == (0", 1)
    found = _run(design, broken)
    assert found["promtool check rules"].status == FAIL
    assert "parse error" in found["promtool check rules"].detail.lower()


@needs_promtool
def test_a_threshold_that_does_not_fire_fails_test_rules(shop) -> None:
    design, files = shop
    raised = dict(files)
    raised[ALERTS] = files[ALERTS].replace("(pg_settings_max_connections) > 0.8",
                                           "(pg_settings_max_connections) > 0.95")
    assert raised[ALERTS] != files[ALERTS]
    found = _run(design, raised)
    assert found["promtool check rules"].status == PASS
    assert found["promtool test rules"].status == FAIL
    assert "PostgresConnectionsNearMax" in found["promtool test rules"].detail


def test_a_test_file_without_a_quiet_case_fails_coverage(shop) -> None:
    _design, files = shop
    tests = yaml.safe_load(files[TESTS])
    tests["tests"] = [t for t in tests["tests"] if t["name"] != "PostgresDown: quiet while it can"]
    found = coverage(files[ALERTS], yaml.safe_dump(tests))
    assert found.status == FAIL and "PostgresDown: quiet" in found.detail
    assert coverage(files[ALERTS], files[TESTS]).status == PASS


def test_without_promtool_the_proof_is_not_tried(shop, monkeypatch) -> None:
    design, files = shop
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    found = _run(design, files)
    assert found["promtool check rules"].status == NOT_TRIED
    assert found["promtool test rules"].status == NOT_TRIED


def test_disk_alerts_follow_the_capacity_plan(iot) -> None:
    design, plan = iot
    capacity = plan.section("capacity", CapacityPlan)
    monitoring = plan.section("monitoring", MonitoringPlan)
    by_name = {a.name + "".join(a.labels.values()): a for a in monitoring.alerts}
    assert by_name["PostgresLargerThanPlanned"].expr.endswith(f"> {capacity.total_bytes(36)}")
    daily = (capacity.total_bytes(12) - capacity.total_bytes(0)) / 365.25
    assert by_name["PostgresGrowingFasterThanPlanned"].expr.endswith(f"> {int(int(daily) * 1.5)}")
    # Range partitions: the DEFAULT partitions watched, and each table's partitions ahead.
    assert "readings_default" in by_name["PostgresDefaultPartitionFilling"].expr
    assert {"PostgresPartitionsAheadRunningOutreadings", "PostgresPartitionsAheadRunningOuthourly_rollups"} <= \
        set(by_name)
    assert "'readings'" in monitoring.files()[QUERIES]
    # RPO 60 s: the lag alert fires at half of it.
    assert by_name["PostgresReplicationLagOverRPO"].expr.endswith("> 30")


def test_no_replicas_no_replication_alerts(shop) -> None:
    design, _files = shop
    alone = design.model_copy(update={"operations": design.operations.model_copy(update={"replicas": 0})})
    names = {r["alert"] for r in _rules(operations_files(alone))}
    assert "PostgresReplicaMissing" not in names and "PostgresReplicationLagOverRPO" not in names


def test_the_files_are_deterministic(shop) -> None:
    design, files = shop
    again = operations_files(design)
    for path in (ALERTS, TESTS, QUERIES):
        assert again[path] == files[path]


def test_the_custom_queries_find_the_tagged_patterns_and_the_partitions(iot) -> None:
    design, _plan = iot
    files = operations_files(design)
    found = list(monitoring_sql.checks(OperationsRun(design, files)))
    if found[0].status == NOT_TRIED:
        pytest.skip(found[0].detail)
    assert found[0].status == PASS, found[0].detail
    assert "2 range tables" in found[0].detail
    # A query that looks for another tag finds none of the patterns that ran.
    untagged = {**files, QUERIES: files[QUERIES].replace("* pattern:", "* pattern-")}
    assert untagged[QUERIES] != files[QUERIES]
    lost = list(monitoring_sql.checks(OperationsRun(design, untagged)))
    assert lost[0].status == FAIL and "lost the tag" in lost[0].detail
