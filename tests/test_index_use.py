"""performance/index_use.py: the design's indexes beside the plans bench measured, so an index
no plan reads is named, unless a constraint or a foreign key needs it."""

from __future__ import annotations

from pathlib import Path

from schemawright import model as m
from schemawright.performance.index_use import index_use
from schemawright.performance.report import index_use_summary, to_bench_markdown
from schemawright.performance.results import BenchIndex, BenchResult, PatternBench, PlanFacts
from schemawright.pipeline import design_file

SHOP = Path(__file__).resolve().parents[1] / "examples" / "shop.yaml"


def _plans(reads: dict[str, tuple[str, ...]]) -> list[PatternBench]:
    return [PatternBench(name, "read", 1.0, None, plan=PlanFacts("Index Scan", indexes)) for name, indexes in
            reads.items()]


def _with_two_customer_indexes(design: m.Design) -> m.Design:
    """shop with two indexes on orders led by customer_id, one listed for customer_order_history
    and one for customer_orders_by_status (as the first cut made them before it learnt that a
    customer's few orders need no sort columns): the case of a listed index a plan does not read."""
    def index(name: str, keys: tuple[str, ...], pattern: str) -> m.Index:
        return m.Index(name=name, table="orders", patterns=(pattern,), columns=tuple(
            m.IndexColumn(expression=k, descending=k == "placed_at") for k in keys))

    kept = tuple(i for i in design.indexes if not (i.table == "orders" and i.columns[0].expression == "customer_id"))
    return design.model_copy(update={"indexes": kept + (
        index("ix_orders_customer_id_placed_at", ("customer_id", "placed_at"), "customer_order_history"),
        index("ix_orders_customer_id_status_placed_at", ("customer_id", "status", "placed_at"),
              "customer_orders_by_status"))})


def _uses(reads: dict[str, tuple[str, ...]]):  # noqa: ANN202
    design = _with_two_customer_indexes(design_file(SHOP))
    indexes = [BenchIndex(i.name, i.table, "", "design", tuple(i.patterns)) for i in design.indexes]
    return design, {u.name: u for u in index_use(design, indexes, _plans(reads))}


def test_an_index_a_plan_reads_is_used_and_a_listed_pattern_that_reads_another_is_named() -> None:
    _design, uses = _uses({"customer_order_history": ("ix_orders_customer_id_status_placed_at",),
                           "customer_orders_by_status": ("ix_orders_customer_id_status_placed_at",)})
    used = uses["ix_orders_customer_id_status_placed_at"]
    assert used.verdict == "used" and used.used_by == ("customer_order_history", "customer_orders_by_status")
    listed = uses["ix_orders_customer_id_placed_at"]
    assert "customer_order_history" in listed.listed_for and listed.not_used_by == listed.listed_for


def test_a_foreign_key_index_another_used_index_covers_is_unused() -> None:
    _design, uses = _uses({"customer_order_history": ("ix_orders_customer_id_status_placed_at",)})
    redundant = uses["ix_orders_customer_id_placed_at"]
    assert redundant.verdict == "unused" and redundant.instead == "ix_orders_customer_id_status_placed_at"


def test_a_foreign_key_index_nothing_else_covers_is_kept_for_it() -> None:
    _design, uses = _uses({})
    assert uses["ix_orders_customer_id_placed_at"].verdict == "kept"
    assert uses["ix_payments_order_id"].kept_for.startswith("serves foreign key fk_payments_order_id")
    # ... and one that serves no key and no plan is unused (ix_product_tags_value leads with no foreign key).
    assert uses["ix_product_tags_value"].verdict == "unused" and not uses["ix_product_tags_value"].instead


def test_bench_md_and_the_report_say_how_many_indexes_serve_nothing() -> None:
    design, uses = _uses({"customer_order_history": ("ix_orders_customer_id_status_placed_at",)})
    result = BenchResult(design.project, 0.01, 0, 5, 1, "embedded PostgreSQL", index_use=list(uses.values()))
    line = index_use_summary(result)
    assert f"Of the design's {len(design.indexes)} indexes, 1 is read" in line
    assert "`ix_orders_customer_id_placed_at`" in line and "`ix_product_tags_value`" in line
    markdown = to_bench_markdown(result)
    assert "## The design's indexes in the plans" in markdown
    assert "`ix_orders_customer_id_status_placed_at` leads with the same columns and serves its foreign key" in markdown
