"""Replication plan (scaling/replication.py) and its proof on a real primary and replica of PostgreSQL 15."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemawright import model as m
from schemawright.database.configured_server import debian_binaries
from schemawright.pipeline import design_file
from schemawright.scaling.plan import operations_files, plan_operations
from schemawright.scaling.replication import PRIMARY_CONF, STANDBY_CONF, ReplicationPlan
from schemawright.validation.operations import replication_proof
from schemawright.validation.operations.context import OperationsRun
from schemawright.validation.operations.replication_proof import conf_with
from schemawright.validation.report import FAIL, NOT_TRIED, PASS

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
needs_pg15 = pytest.mark.skipif(debian_binaries(major=15) is None, reason="no PostgreSQL 15 binaries")


@pytest.fixture(scope="module")
def shop() -> m.Design:
    return design_file(EXAMPLES / "shop.yaml")


def _with(design: m.Design, **operations: object) -> m.Design:
    return design.model_copy(update={"operations": design.operations.model_copy(update=operations)})


def _plan(design: m.Design) -> ReplicationPlan:
    return plan_operations(design).section("replication", ReplicationPlan)


def _statuses(design: m.Design, files: dict[str, str], cut_off_s: float | None = None) -> dict[str, tuple[str, str]]:
    found = {}
    for check in replication_proof.checks(OperationsRun(design, files), cut_off_s=cut_off_s):
        key = next(k for k in ("streams", "lag", "lost", "RTO", "failover time", "replication") if k in check.name)
        found[key] = (check.status, check.detail)
    return found


def test_rpo_zero_with_two_replicas_is_a_synchronous_quorum_under_patroni(shop: m.Design) -> None:
    plan = _plan(_with(shop, replicas=2, rpo_seconds=0, rto_seconds=60))
    assert plan.synchronous and plan.synchronous_standby_names == "ANY 1 (replica_1, replica_2)"
    assert plan.manager == "Patroni" and plan.patroni is not None
    conf = plan.files()[PRIMARY_CONF]
    assert "synchronous_standby_names = 'ANY 1 (replica_1, replica_2)'" in conf
    assert "wal_level = replica" in conf and "max_slot_wal_keep_size" in conf
    # 60 s RTO leaves 50 s after promotion: Patroni's defaults notice a dead primary in 40 s.
    assert plan.patroni.detection_s == 40


def test_one_replica_uses_pg_auto_failover_and_warns_a_single_sync_standby_stops_writes(shop: m.Design) -> None:
    plan = _plan(_with(shop, replicas=1, rpo_seconds=0, rto_seconds=120))
    assert plan.manager == "pg_auto_failover" and plan.synchronous_standby_names == "FIRST 1 (replica_1)"
    assert any("stops every commit" in line for line in plan.markdown())


def test_positive_rpo_is_asynchronous_with_the_rpo_as_lag_budget(shop: m.Design) -> None:
    plan = _plan(_with(shop, replicas=2, rpo_seconds=10, rto_seconds=20))
    assert not plan.synchronous and plan.synchronous_standby_names == ""
    assert plan.lag_budget_seconds == 10 and plan.lag_alert_seconds == 5
    assert plan.patroni is not None and plan.patroni.detection_s == 13  # a tight RTO shortens Patroni's ttl
    assert any("over it" in line for line in plan.markdown())  # 13 s + promotion exceeds 20 s


def test_no_replica_says_rpo_and_rto_rest_on_backups(shop: m.Design) -> None:
    plan = _plan(_with(shop, replicas=0))
    assert plan.files() == {} and plan.manager == "none"
    assert "backups only" in " ".join(plan.markdown())


def test_a_read_goes_to_a_replica_only_when_its_staleness_exceeds_the_lag_alert(shop: m.Design) -> None:
    reads = [p for p in shop.access_patterns if p.kind == "read"][:3]
    tolerant = {reads[0].name: 60.0, reads[1].name: 2.0}  # alert at RPO 5 / 2 = 2.5 s
    patterns = tuple(p.model_copy(update={"staleness_seconds": tolerant.get(p.name)}) for p in shop.access_patterns)
    plan = _plan(_with(shop.model_copy(update={"access_patterns": patterns}), replicas=2, rpo_seconds=5))
    routes = {r.pattern: r.on_replica for r in plan.routes}
    assert routes[reads[0].name] and not routes[reads[1].name] and not routes[reads[2].name]
    assert plan.hot_standby_feedback and "hot_standby_feedback = on" in plan.files()[STANDBY_CONF]


def test_not_tried_without_a_replica_or_without_binaries(shop: m.Design, monkeypatch: pytest.MonkeyPatch) -> None:
    design = _with(shop, replicas=0)
    assert [c.status for c in replication_proof.checks(OperationsRun(design, operations_files(design)))] == [NOT_TRIED]
    monkeypatch.setattr(replication_proof, "debian_binaries", lambda **_: None)
    assert [c.status for c in replication_proof.checks(OperationsRun(shop, operations_files(shop)))] == [NOT_TRIED]


@needs_pg15
def test_synchronous_replica_loses_no_acknowledged_write() -> None:
    design = design_file(EXAMPLES / "ticketing.yaml")  # replicas 1, RPO 0, RTO 120
    found = _statuses(design, operations_files(design))
    assert {k: v[0] for k, v in found.items()} == {"streams": PASS, "lag": PASS, "lost": PASS, "RTO": PASS}, found
    assert " 0 lost; 0 acknowledged while the replica was cut off" in found["lost"][1]


@needs_pg15
def test_rpo_zero_with_an_asynchronous_standby_fails_and_loses_writes(shop: m.Design) -> None:
    design = _with(shop, replicas=2, rpo_seconds=0, rto_seconds=120)
    files = operations_files(design)
    files[PRIMARY_CONF] = conf_with(files[PRIMARY_CONF], {"synchronous_standby_names": "''"})
    found = _statuses(design, files)
    assert found["streams"][0] == FAIL and "sync_state async" in found["streams"][1]
    assert found["lost"][0] == FAIL and " 0 lost" not in found["lost"][1]


@needs_pg15
def test_a_replica_lagging_past_the_alert_and_a_tight_rto_fail(shop: m.Design) -> None:
    design = _with(shop, replicas=2, rpo_seconds=1, rto_seconds=5)  # lag alert 1 s; Patroni needs 13 s
    files = operations_files(design)
    files[STANDBY_CONF] = conf_with(files[STANDBY_CONF], {"recovery_min_apply_delay": "'2s'"})
    found = _statuses(design, files)
    assert found["streams"][0] == PASS
    assert found["lag"][0] == FAIL, found["lag"]
    assert found["RTO"][0] == FAIL, found["RTO"]


@needs_pg15
def test_an_asynchronous_replica_cut_off_longer_than_the_rpo_loses_too_much(shop: m.Design) -> None:
    design = _with(shop, replicas=2, rpo_seconds=1, rto_seconds=120)
    found = _statuses(design, operations_files(design), cut_off_s=2.0)  # a partition twice the RPO, then the crash
    assert found["lost"][0] == FAIL, found["lost"]
    assert "acknowledged while the replica was cut off (2 s)" in found["lost"][1]
