"""The Citus distribution plan (scaling/distribution.py) and its proof on PostgreSQL with hash
partitions standing in for shards (validation/operations/distribution_proof.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemawright.pipeline import design_file
from schemawright.scaling import distribution_keys
from schemawright.scaling.distribution import DistributionPlan
from schemawright.scaling.distribution_routing import FAN_OUT, REFERENCE, ROUTER, Routing
from schemawright.scaling.plan import plan_operations
from schemawright.validation.operations import distribution_proof
from schemawright.validation.operations.context import OperationsRun

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _plan(name: str) -> DistributionPlan:
    return plan_operations(design_file(EXAMPLES / f"{name}.yaml")).section("distribution", DistributionPlan)


def test_tpcc_is_distributed_by_warehouse_as_citus_does_it() -> None:
    plan = _plan("tpcc")
    placement = plan.placement()
    assert plan.root == "warehouse"
    assert placement["item"].kind == "reference"
    assert {placement[t].column for t in ("district", "customer", "orders", "new_order", "stock")} == {
        "d_w_id", "c_w_id", "o_w_id", "no_w_id", "s_w_id"}
    assert placement["order_line"].column == "ol_w_id"  # its home warehouse, not the supplying one
    kinds = {r.pattern: r.kind for r in plan.routing}
    assert kinds["new_order_get_item"] == REFERENCE
    assert sum(k == ROUTER for k in kinds.values()) == 23
    assert "create_distributed_table('order_line', 'ol_w_id', colocate_with => 'warehouse')" in plan.citus_sql


def test_shop_plan_names_the_keys_and_constraints_that_change() -> None:
    plan = _plan("shop")
    changes = [c.change for c in plan.changes]
    assert any("unique (email)" in c and "per" in c for c in changes)  # global uniqueness lost: said
    assert any(c.startswith("primary key (id) -> (order_id, id)") for c in changes)
    text = "\n".join(plan.markdown())
    assert "Not needed yet" in text or "Needed" in text
    assert "| root | single-shard /s |" in text


def test_tenant_design_distributes_by_the_tenant_column() -> None:
    plan = _plan("saas_tracker")
    tenant = {p.table: p for p in plan.placements if p.column == "organization_id"}
    assert {"issues", "comments", "projects", "activity_events"} <= set(tenant)
    assert len({p.group for p in tenant.values()}) == 1


def _run(name: str) -> list:
    return list(distribution_proof.checks(OperationsRun(design_file(EXAMPLES / f"{name}.yaml"), {})))


def test_proof_passes_on_tpcc_and_iot() -> None:
    for name in ("tpcc", "iot_telemetry"):
        checks = _run(name)
        assert len(checks) > 10, name
        assert [c for c in checks if c.status != "PASS"] == [], name
        routed = [c for c in checks if "single shard" in c.name]
        assert routed and all(" 1 of 8" in c.detail or "rows in 1 partition" in c.detail for c in routed)


def test_proof_fails_when_a_claim_is_wrong(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pattern that reads every shard, claimed single-shard, FAILs; and one claimed to fan out
    that really routes FAILs too."""
    real = plan_operations

    def lying(design):  # noqa: ANN001, ANN202
        plan = real(design)
        section = plan.sections["distribution"]
        flipped = tuple(Routing(r.pattern, ROUTER if r.kind == FAN_OUT else FAN_OUT if r.kind == ROUTER else r.kind,
                                r.tables, r.why) for r in section.routing)
        plan.sections["distribution"] = DistributionPlan(**{**section.__dict__, "routing": flipped})
        return plan

    monkeypatch.setattr(distribution_proof, "plan_operations", lying)
    checks = _run("iot_telemetry")
    flipped = [c for c in checks if "single shard" in c.name or "all shards, joins" in c.name]
    assert flipped and all(c.status == "FAIL" for c in flipped), [(c.name, c.status) for c in flipped]


def test_proof_fails_when_keys_lack_the_distribution_column(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the key changes, Citus's rules are broken and PostgreSQL refuses the partitioned keys."""
    real = distribution_keys.distributed_design

    def unchanged(design, placements, shards=None):  # noqa: ANN001, ANN202
        changed, _ = real(design, placements, shards)
        tables = tuple(t.model_copy(update={"primary_key": design.table(t.name).primary_key,
                                            "uniques": design.table(t.name).uniques}) for t in changed.tables)
        return changed.model_copy(update={"tables": tables}), ()

    monkeypatch.setattr(distribution_proof, "distributed_design", unchanged)
    checks = {c.name: c for c in _run("tpcc")}
    assert checks["distribution: Citus's key rules"].status == "FAIL"
    assert "lacks" in checks["distribution: Citus's key rules"].detail
    applied = checks["distribution: planned schema on PostgreSQL"]
    assert applied.status == "FAIL" and "partition" in applied.detail


def test_tenant_patterns_that_fan_out_say_how_to_route_them() -> None:
    routing = {r.pattern: r for r in _plan("saas_tracker").routing}
    assert routing["create_issue"].kind == ROUTER
    fanned = [r for r in routing.values() if r.kind != ROUTER and "organization_id = <tenant>" in r.why]
    assert fanned and all("Citus routes by the statement's own conditions" in r.why for r in fanned)
