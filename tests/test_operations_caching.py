"""Caching (issue 15): what Redis caches (key, TTL, invalidating writes from the SQL), where a cache is
wrong, and a cache-aside run in the machine's Redis over the embedded PostgreSQL that finds no stale
read, and finds them when the writes skip their invalidations."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import psycopg
import pytest

from schemawright import model as m
from schemawright.performance.cached_proof import CacheCase, prove_caching, prove_cases
from schemawright.pipeline import deliverables, design_file
from schemawright.scaling.cache_sql import analyse
from schemawright.scaling.caching import EVERY, KEY, ROWS, plan
from schemawright.scaling.plan import OperationsPlan
from schemawright.validation.operations.caching_proof import redis_client

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
needs_redis = pytest.mark.skipif(redis_client() is None, reason="no Redis at 127.0.0.1:6379")
SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"  # the machine's server: saas_tracker needs pgcrypto


def _server_up() -> bool:
    try:
        with psycopg.connect(SERVER, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def _plan(design: m.Design):  # noqa: ANN202
    return plan(design, OperationsPlan(design, {}))


def test_shop_caches_its_marked_reads_with_keys_ttls_and_invalidating_writes():
    design = design_file(EXAMPLES / "shop.yaml")
    cache = _plan(design)
    by_name = {c.pattern: c for c in cache.cached}
    assert list(by_name) == ["product_by_sku", "products_in_category", "category_tree"]
    sku = by_name["product_by_sku"]
    assert (sku.key, sku.ttl_seconds) == ("shop:product_by_sku:{sku}", 60)
    assert [(i.write, i.mode, i.columns) for i in sku.invalidations] == [("update_product_price", ROWS, ("sku",))]
    listing = by_name["products_in_category"]  # keyed on product_categories: a price change cannot name its entries
    assert listing.key == "shop:products_in_category:g{generation}:{category_id}" and listing.ttl_seconds == 300
    assert [(i.write, i.mode) for i in listing.invalidations] == [("update_product_price", EVERY)]
    assert listing.generation_key == "shop:products_in_category:generation"
    assert by_name["category_tree"].key == "shop:category_tree" and not by_name["category_tree"].invalidations
    text = deliverables(design)["operations.md"]
    assert "| `product_by_sku` | 400 | `shop:product_by_sku:{sku}` | 60 s | `update_product_price` (rows: sku) |" in text
    assert "**Where a cache is wrong:**" in text


def test_a_read_that_must_see_every_write_is_never_cached_and_tenants_get_their_own_keys():
    design = design_file(EXAMPLES / "saas_tracker.yaml")
    cache = _plan(design)
    assert [c.pattern for c in cache.cached] == ["issue_comments"]
    comments = cache.cached[0]
    assert comments.tenant and comments.key == "saas_tracker:issue_comments:{tenant}:{issue_id}"
    assert [(i.write, i.mode) for i in comments.invalidations] == [("add_comment", ROWS)]
    # 31 % of the reads, but no staleness_seconds: revoking a token must take effect at once
    assert [u.pattern for u in cache.uncached] == ["authenticate_api_token"]


def test_invalidation_follows_the_tables_and_columns_of_the_sql():
    read = m.AccessPattern(name="stock", sql="SELECT quantity_on_hand FROM stock WHERE product_id = :product_id",
                           frequency=100, staleness_seconds=10)
    menu = m.AccessPattern(name="menu", sql="SELECT name FROM stock ORDER BY name", frequency=1, cacheable=True,
                           staleness_seconds=30)
    other_column = m.AccessPattern(name="rename", kind="write", sql="UPDATE stock SET name = :name WHERE id = :id")
    same_column = m.AccessPattern(name="receive", kind="write",
                                  sql="UPDATE stock SET quantity_on_hand = quantity_on_hand + :n WHERE product_id = :p")
    delete = m.AccessPattern(name="drop", kind="write", sql="DELETE FROM stock WHERE id = :id")
    table = m.Table(name="stock", columns=tuple(m.Column(name=n, semantic="string") for n in
                                                ("id", "product_id", "name", "quantity_on_hand")))
    design = m.Design(project="Depot", tables=(table,), access_patterns=(read, menu, other_column, same_column, delete))
    assert analyse(same_column, design).written_columns == frozenset({"quantity_on_hand"})
    cache = _plan(design)
    by_name = {c.pattern: c for c in cache.cached}
    # stock dominates the reads (99 %) and tolerates 10 s: cached unasked
    assert by_name["stock"].reason.startswith("dominates")
    # the rename changes no column stock reads; the delete returns the product_id of the rows it removed
    assert {(i.write, i.mode) for i in by_name["stock"].invalidations} == {("receive", ROWS), ("drop", ROWS)}
    assert {(i.write, i.mode) for i in by_name["menu"].invalidations} == {("rename", KEY), ("drop", KEY)}


@needs_redis
def test_cache_aside_on_shop_finds_no_stale_read_and_finds_them_without_invalidation():
    design = design_file(EXAMPLES / "shop.yaml")
    good, skipped = prove_cases(design, [CacheCase(), CacheCase(invalidate=False)], database_url=None, scale=0.001,
                                seed=5, operations=400)
    assert [c.status for c in good.checks] == ["PASS", "PASS"], good.checks
    figures = good.figures
    assert figures and figures.hits > 0 and figures.invalidations > 0 and not figures.stale
    assert figures.reads == figures.hits + figures.misses
    assert [c.status for c in skipped.checks] == ["PASS", "FAIL"]
    assert skipped.figures and skipped.figures.stale and skipped.figures.invalidations == 0
    assert "stale" in skipped.checks[1].detail
    client = redis_client()
    assert client is not None and not list(client.scan_iter(match="schemawright-proof:*"))  # the run's keys are gone


@needs_redis
@pytest.mark.skipif(not _server_up(), reason=f"no PostgreSQL at {SERVER} (the embedded one has no pgcrypto)")
def test_tenant_keys_keep_tenants_apart_and_a_key_without_the_tenant_fails():
    design = design_file(EXAMPLES / "saas_tracker.yaml")
    cache = _plan(design)
    untenanted = dataclasses.replace(cache, cached=tuple(
        dataclasses.replace(c, key=c.key.replace(":{tenant}", "")) for c in cache.cached))
    good, leaky = prove_cases(design, [CacheCase(), CacheCase(plan=untenanted)], database_url=SERVER, scale=0.001,
                              seed=5, operations=300)
    assert [c.status for c in good.checks] == ["PASS", "PASS", "PASS"], good.checks
    assert good.figures and good.figures.other_tenant_reads > 0 and not good.figures.crossed
    failed = [c for c in leaky.checks if c.status == "FAIL"]
    assert [c.name for c in failed] == ["operations: caching: no cached entry answers another tenant"]
    assert "filled for tenant" in failed[0].detail


def test_without_redis_the_proof_is_not_tried():
    design = design_file(EXAMPLES / "shop.yaml")
    proof = prove_caching(design, database_url=None, scale=0.001, seed=1, redis_url="redis://127.0.0.1:1/0")
    assert [c.status for c in proof.checks] == ["NOT TRIED"] and "Redis" in proof.checks[0].detail
