"""The planner-checked index advisor: query analysis, candidates, and selection on real PostgreSQL.

Selection runs twice: on the embedded server (no HypoPG: candidates are built for real) and on
the machine's PostgreSQL 15 with HypoPG (skipped only when that server or extension is absent).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from helpers import LOCAL_PG15_URL, require_pg15_hypopg
from schemawright import model as m
from schemawright.database import Database, scratch_database
from schemawright.indexing.candidates import Candidate, propose
from schemawright.indexing.predicates import analyse, normalise_parameters
from schemawright.indexing.select import advise
from schemawright.validation.params import positional

PG15_URL = LOCAL_PG15_URL


def _col(name: str, sql_type: str, semantic: str = "string", nullable: bool = True) -> m.Column:
    return m.Column(name=name, semantic=semantic, sql_type=sql_type, nullable=nullable)


TABLES = (
    m.Table(name="customers", columns=(
        _col("id", "bigint", "id", False), _col("email", "text", "email", False), _col("name", "text"),
        _col("tags", "text[]", "list"), _col("profile", "jsonb", "json")),
        primary_key=m.PrimaryKey(name="pk_customers", columns=("id",))),
    m.Table(name="orders", columns=(
        _col("id", "bigint", "id", False), _col("customer_id", "bigint", "fk", False), _col("status", "text"),
        _col("channel", "text"), _col("placed_at", "timestamptz", "timestamp", False), _col("total", "numeric(10,2)")),
        primary_key=m.PrimaryKey(name="pk_orders", columns=("id",)),
        foreign_keys=(m.ForeignKey(name="fk_orders_customer", columns=("customer_id",), ref_table="customers",
                                   ref_columns=("id",)),)),
)

DDL = """
CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL, name text, tags text[], profile jsonb);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers(id), status text,
                     channel text, placed_at timestamptz NOT NULL, total numeric(10,2));
INSERT INTO customers SELECT g, 'user' || g || '@example.com', 'name ' || g, ARRAY['t' || (g % 50)],
                             jsonb_build_object('plan', CASE WHEN g % 10 = 0 THEN 'pro' ELSE 'free' END)
FROM generate_series(1, 20000) g;
INSERT INTO orders SELECT g, 1 + (g * 7919) % 20000, CASE WHEN g % 50 = 0 THEN 'open' WHEN g % 2 = 0 THEN 'paid'
                               ELSE 'shipped' END,
                          CASE WHEN g % 2 = 0 THEN 'web' ELSE 'shop' END,
                          timestamptz '2024-01-01' + g * interval '1 minute', (g % 500) + 0.99
FROM generate_series(1, 100000) g;
"""

PATTERNS = (
    m.AccessPattern(name="orders_of_customer", frequency=100,
                    sql="SELECT id, placed_at, total FROM orders WHERE customer_id = :customer_id "
                        "ORDER BY placed_at DESC LIMIT 20"),
    m.AccessPattern(name="customer_by_email", frequency=50,
                    sql="SELECT * FROM customers WHERE lower(email) = lower(:email)"),
    m.AccessPattern(name="open_orders", frequency=10,
                    sql="SELECT id, placed_at FROM orders WHERE status = 'open' ORDER BY placed_at LIMIT 50"),
    m.AccessPattern(name="web_orders", frequency=1, sql="SELECT * FROM orders WHERE channel = 'web'"),
    m.AccessPattern(name="new_order", frequency=20, kind="write",
                    sql="INSERT INTO orders (id, customer_id, status, channel, placed_at, total) "
                        "VALUES (:id, :customer_id, 'open', 'web', now(), :total)"),
)


def design(*patterns: m.AccessPattern) -> m.Design:
    return m.Design(project="advisor", tables=TABLES, access_patterns=patterns or PATTERNS)


@pytest.fixture(scope="module")
def shop_url(pg_url: str) -> Iterator[str]:
    with scratch_database(pg_url) as url:
        with Database(url) as db:
            db.execute(DDL)
        yield url


@pytest.fixture(scope="module")
def advice(shop_url: str):
    return advise(design(), shop_url)


def _pg15_hypopg() -> Iterator[str]:
    require_pg15_hypopg()
    with scratch_database(PG15_URL) as url:
        with Database(url) as db:
            db.execute(DDL)
        yield url


# ---------------------------------------------------------------- analysis (no database)


def test_analysis_reads_every_predicate_kind() -> None:
    sql = ("SELECT c.id, c.name FROM customers c JOIN orders o ON o.customer_id = c.id "
           "WHERE lower(c.email) = lower(:e) AND c.name LIKE 'ab%' AND c.tags && :tags AND c.profile ? 'plan' "
           "AND o.status IN ('open', 'paid') AND o.total BETWEEN :lo AND :hi AND o.channel IS NOT NULL "
           "AND o.id = ANY(:ids) GROUP BY c.id, c.name ORDER BY c.name DESC LIMIT 5")
    q = analyse(sql, design())
    c, o = q.tables["customers"], q.tables["orders"]
    assert c.equality == ["(LOWER(email))"] and c.prefix == ["name"] and c.join == ["id"]
    assert ("tags", "overlaps") in c.gin and ("profile", "json_key") in c.gin
    assert c.group == ["id", "name"] and c.sort == [("name", True)] and q.limit == 5
    assert set(o.equality) == {"status", "id"} and o.range == ["total"] and o.null == [("channel", True)]
    assert o.join == ["customer_id"] and "status IN ('open', 'paid')" in o.constants
    assert set(c.projected) >= {"id", "name", "email", "tags", "profile"} and not c.star


def test_writes_and_parameter_styles() -> None:
    update = analyse("UPDATE orders SET status = 'paid' WHERE id = $1", design())
    assert (update.kind, update.target, update.set_columns) == ("write", "orders", ["status"])
    assert update.tables["orders"].equality == ["id"]  # SET status = ... is not a predicate
    sql = normalise_parameters("SELECT * FROM orders WHERE customer_id = ? AND total > $2 AND status = :s")
    assert positional(sql).names == ("q1", "p2", "s")
    assert normalise_parameters("SELECT 1 FROM customers WHERE profile ? 'plan'") == \
        "SELECT 1 FROM customers WHERE profile ? 'plan'"  # the JSON operator is not a parameter


def test_candidates_cover_every_rule() -> None:
    patterns = {p.name: analyse(p.sql, design()) for p in PATTERNS}
    patterns["tags"] = analyse("SELECT id FROM customers WHERE tags @> :t", design())
    patterns["by_id"] = analyse("SELECT * FROM orders WHERE id = :id", design())
    found = propose(design(), patterns)
    labels = {c.label() for c in found.all()}
    assert "orders (customer_id, placed_at)" in labels  # equality then sort; DESC scan runs backwards
    assert "orders (customer_id, placed_at) INCLUDE (id, total)" in labels  # covering
    assert "orders (placed_at) WHERE status = 'open'" in labels  # partial
    assert "customers ((LOWER(email)))" in labels  # expression
    assert "customers USING gin (tags)" in labels
    assert "orders (customer_id)" in labels  # atom (also the foreign key)
    # the prefix composite (customer_id) is not repeated among composites; the PK is not proposed again
    assert Candidate("orders", (("id", False),)) not in found.all()
    assert any(c == Candidate("orders", (("id", False),)) for c, _ in found.existing)


# ---------------------------------------------------------------- selection (real PostgreSQL)


def test_selective_equality_gets_its_index_and_cost_drops(advice) -> None:
    assert advice.whatif == "build"
    costs = {p.name: p for p in advice.patterns}
    chosen = {c.candidate.label(): c for c in advice.chosen}
    serving = [c for c in advice.chosen if "orders_of_customer" in c.patterns]
    assert serving and serving[0].candidate.key_names[0] == "customer_id", chosen
    assert costs["orders_of_customer"].after < costs["orders_of_customer"].before / 10
    assert costs["customer_by_email"].after < costs["customer_by_email"].before / 10
    assert any(c.candidate.key_names == ("(LOWER(email))",) for c in advice.chosen)
    assert advice.cost_after < advice.cost_before
    # recorded on the design: Index.reason/patterns, decisions, served_by
    index = next(i for i in advice.design.indexes if "orders_of_customer" in i.patterns)
    assert "orders_of_customer" in index.reason and "bytes (built)" in index.reason
    pattern = next(p for p in advice.design.access_patterns if p.name == "orders_of_customer")
    assert index.name in pattern.served_by
    assert any(d.choice.startswith("create ") for d in advice.design.decisions)


def test_useless_candidate_is_rejected_with_a_reason(advice) -> None:
    rejected = {r.candidate.label(): r.reason for r in advice.rejected}
    assert "orders (channel)" in rejected  # half the rows: a sequential scan is cheaper
    assert "does not use" in rejected["orders (channel)"] or "little gain" in rejected["orders (channel)"]
    assert not any(c.candidate.key_names == ("channel",) for c in advice.chosen)
    assert all(r.reason for r in advice.rejected)
    assert any(d.choice.startswith("reject orders (channel)") for d in advice.design.decisions)


def test_storage_budget_is_respected_with_real_sizes(shop_url: str, advice) -> None:
    smallest = min(c.size for c in advice.chosen)
    budget = smallest + smallest // 2  # room for about one index
    tight = advise(design(), shop_url, budget_bytes=budget)
    assert tight.chosen and tight.size_bytes <= budget
    assert all(c.size_source == "built" for c in tight.chosen)
    assert any("storage budget" in r.reason for r in tight.rejected)
    nothing = advise(design(), shop_url, budget_bytes=0)
    assert nothing.chosen == [] and nothing.cost_after == pytest.approx(nothing.cost_before)
    with Database(shop_url) as db:  # what-if builds are all dropped again
        assert db.query_value("SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'sw_whatif_%'") == 0


def test_write_budget_limits_indexes_on_written_tables(shop_url: str) -> None:
    limited = advise(design(), shop_url, max_index_writes=0)
    assert not any(c.candidate.table == "orders" for c in limited.chosen)
    assert any("write budget" in r.reason for r in limited.rejected)


def test_hypopg_and_real_builds_agree_on_a_simple_case(shop_url: str) -> None:
    simple = design(m.AccessPattern(name="by_customer", sql="SELECT * FROM orders WHERE customer_id = :c"))
    built = advise(simple, shop_url, whatif="build")
    for url in _pg15_hypopg():
        hypo = advise(simple, url, whatif="hypopg")
        assert hypo.whatif == "hypopg"
        assert [c.candidate.label() for c in hypo.chosen] == [c.candidate.label() for c in built.chosen]
        assert [c.candidate.label() for c in built.chosen] == ["orders (customer_id)"]
        # The size model's estimate is replaced by the real size where builds are allowed
        assert hypo.chosen[0].size_source.startswith("built (size model")
        assert hypo.chosen[0].size == pytest.approx(built.chosen[0].size, rel=0.2)
        with Database(url) as db:
            assert db.query_value("SELECT count(*) FROM hypopg_list_indexes") == 0


def test_every_parameter_style_is_costed_and_bad_patterns_are_reported(shop_url: str) -> None:
    patterns = (
        m.AccessPattern(name="recent", frequency=5,
                        sql="SELECT count(*) FROM orders WHERE placed_at >= ? AND placed_at < ?"),
        m.AccessPattern(name="by_prefix", frequency=5, sql="SELECT id FROM customers WHERE email LIKE $1"),
        m.AccessPattern(name="tagged", frequency=5, sql="SELECT id FROM customers WHERE tags @> :t"),
        m.AccessPattern(name="broken", sql="SELECT nope FROM orders WHERE id = :id"),
    )
    result = advise(design(*patterns), shop_url)
    assert set(result.not_costed) == {"broken"}
    assert any(d.subject == "broken" and d.choice == "not costed" for d in result.design.decisions)
    costs = {p.name: p for p in result.patterns}
    # a range is costed over about 1 % of the rows (the last histogram bucket), so its index pays
    assert costs["recent"].after < costs["recent"].before / 5
    assert costs["tagged"].after < costs["tagged"].before  # GIN (@>)
    assert {c.candidate.method for c in result.chosen} >= {"btree", "gin"}


def test_or_branches_and_aggregates_make_no_partial_index_or_key() -> None:
    sql = ("SELECT o.customer_id FROM orders o WHERE (o.status = 'open' OR o.status = 'paid') AND o.channel = 'web' "
           "GROUP BY o.customer_id HAVING sum(o.total) > 100")
    use = analyse(sql, design()).tables["orders"]
    assert use.constants == ["channel = 'web'"]  # a branch of an OR is not true of every row
    assert "status" in use.equality  # but still a key a bitmap OR can use
    assert not any("SUM" in k.upper() for k in use.filter_keys() + use.group)


def test_join_keys_lead_a_lookup_candidate() -> None:
    # a correlated subquery looks orders up by customer, then by date range
    sql = ("SELECT c.id FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id "
           "AND o.placed_at >= DATE '2024-01-01' AND o.placed_at < DATE '2024-02-01')")
    found = propose(design(), {"q": analyse(sql, design())})
    labels = {c.label(): p.rules for c, p in found.all().items()}
    assert "join keys, then equality, then range" in labels["orders (customer_id, placed_at)"]


def test_greedy_does_not_stay_cornered_by_a_small_early_index(shop_url: str) -> None:
    # The partial index for open_orders has the best benefit per byte, so greedy takes it first;
    # the budget then leaves no room for orders_of_customer's index, which saves ten times more.
    pair = design(PATTERNS[0], PATTERNS[2])
    roomy = advise(pair, shop_url)
    sizes = {c.patterns[0]: c.size for c in roomy.chosen}
    assert set(sizes) == {"orders_of_customer", "open_orders"}
    budget = sizes["orders_of_customer"] + sizes["open_orders"] // 2
    tight = advise(pair, shop_url, budget_bytes=budget)
    assert [c.patterns for c in tight.chosen] == [["orders_of_customer"]]
    # the local search swaps it in, or the second start (single keys, Extend's moves) finds it
    assert any(rule.startswith(("local search: replaces", "chosen by the search from single keys"))
               for rule in tight.chosen[0].rules), tight.chosen[0].rules
    assert tight.size_bytes <= budget
    costs = {p.name: p for p in tight.patterns}
    assert costs["orders_of_customer"].after < costs["orders_of_customer"].before / 10


def test_partitioned_tables_are_frozen_through_their_partitions(pg_url: str) -> None:
    """autovacuum_enabled is a storage parameter: PostgreSQL refuses it on a partitioned
    parent, so the advisor freezes (and afterwards unfreezes) the leaf partitions, and
    counts their size as the data size."""
    from pathlib import Path

    from schemawright.generation import generate
    from schemawright.pipeline import design_file

    design = design_file(Path(__file__).parents[1] / "examples" / "iot_telemetry.yaml")
    assert any(t.partitioning for t in design.tables)
    with scratch_database(pg_url) as url:
        generate(design, url, scale=0.00002, seed=1)
        result = advise(design, url, whatif="build")
        assert result.data_bytes > 0 and result.cost_after <= result.cost_before
        with Database(url) as db:
            # The design's own storage parameters (autovacuum thresholds per table) stay; the freeze goes.
            leaves = db.query("SELECT count(*) FILTER (WHERE array_to_string(c.reloptions, ',') LIKE "
                              "'%autovacuum_enabled%'), count(*) "
                              "FROM pg_partition_tree('readings') AS t JOIN pg_class c ON c.oid = t.relid "
                              "WHERE t.isleaf")
    assert leaves[0][1] > 1 and leaves[0][0] == 0  # every partition was reset


def test_a_key_is_never_also_included() -> None:
    covering = Candidate("stock", (("s_w_id", False),), include=("s_i_id", "s_quantity"))
    grown = covering.extended("s_i_id")
    assert grown.key_names == ("s_w_id", "s_i_id") and grown.include == ("s_quantity",)
    assert "INCLUDE (s_quantity)" in grown.label()


def test_a_partial_copy_of_a_unique_key_is_not_proposed() -> None:
    """`WHERE status = 'active' AND sku = :sku` on a table where sku is unique: the unique
    index already finds the one row; a partial (sku) WHERE status = 'active' only adds upkeep."""
    table = m.Table(name="products", columns=(_col("id", "bigint", "id", False), _col("sku", "text"),
                                               _col("status", "text")),
                    primary_key=m.PrimaryKey(name="pk_products", columns=("id",)),
                    uniques=(m.Unique(name="uq_products_sku", columns=("sku",)),))
    sql = "SELECT id FROM products WHERE status = 'active' AND sku = :sku"
    shop = m.Design(project="p", tables=(table,), access_patterns=(m.AccessPattern(name="by_sku", sql=sql),))
    found = propose(shop, {"by_sku": analyse(sql, shop)})
    assert not [c for c in found.all() if c.where and c.key_names[:1] == ("sku",)]
    assert any(owner == "uq_products_sku" for _cand, owner in found.existing)


def test_pruned_search_chooses_what_the_full_search_chooses(shop_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Moves whose last benefit per byte cannot beat the step's best are not costed again; on
    the shop workload that skips moves and changes no choice."""
    from schemawright.indexing import select

    pruned = advise(design(), shop_url, whatif="build")
    assert pruned.timing.pruned > 0 and pruned.timing.explains > 0 and pruned.timing.cache_hits > 0
    monkeypatch.setattr(select.Search, "_bound", lambda self, cand, replaces: float("inf"))
    full = advise(design(), shop_url, whatif="build")
    assert full.timing.pruned == 0
    assert [c.candidate.label() for c in pruned.chosen] == [c.candidate.label() for c in full.chosen]
    assert pruned.cost_after == pytest.approx(full.cost_after, rel=1e-3)  # real builds: costs vary a little
    assert pruned.timing.explains < full.timing.explains


def test_time_limit_stops_the_search_and_says_so(shop_url: str) -> None:
    stopped = advise(design(), shop_url, whatif="build", max_seconds=0)
    assert "time limit" in stopped.timing.stopped and stopped.chosen == []
    assert "stopped: the advisor's time limit" in stopped.timing.line()
    assert advise(design(), shop_url, whatif="build").timing.stopped == ""


def test_a_conjunct_every_or_branch_repeats_makes_a_partial_lookup() -> None:
    """PostgreSQL moves a conjunct every branch of an OR repeats out of the OR (TPC-H Q19), so
    it filters every row: a partial index's WHERE, here on the join key the lookup uses."""
    sql = ("SELECT o.id FROM customers c, orders o WHERE (o.customer_id = c.id AND o.channel = 'web' "
           "AND c.name = 'a') OR (o.customer_id = c.id AND o.channel = 'web' AND c.name = 'b' AND o.status = 'open')")
    access = analyse(sql, design())
    assert access.tables["orders"].constants == ["channel = 'web'"]  # status = 'open' is in one branch only
    assert access.tables["customers"].constants == []  # the names differ between the branches
    found = propose(design(), {"q": access})
    lookup = Candidate("orders", (("customer_id", False),), where="channel = 'web'")
    assert "partial lookup: join keys, the constant predicate as the index's WHERE" in found.all()[lookup].rules


def test_drop_and_refill_finds_a_cheaper_configuration_than_greedy(shop_url: str) -> None:
    """The cornered case above, searched by the greedy steps alone: the partial index for
    open_orders (best benefit per byte) leaves no room for orders_of_customer's index.
    Dropping it and filling the room again ends cheaper."""
    from schemawright.indexing.select import Search, what_if_session

    pair = design(PATTERNS[0], PATTERNS[2])
    roomy = advise(pair, shop_url)
    sizes = {c.patterns[0]: c.size for c in roomy.chosen}
    budget = sizes["orders_of_customer"] + sizes["open_orders"] // 2
    with what_if_session(pair, shop_url, whatif="build") as session:
        state = session.state()
        search = Search(state, session.engine, session.candidates, budget, 5, state.total(), session.real_size)
        try:
            search.run(lambda _s: None)
            greedy = state.total()
            assert [h.candidate.where for h in state.chosen] == ["status = 'open'"]  # cornered
            said: list[str] = []
            search.drop_and_refill(said.append)
            assert state.total() < greedy * 0.5, said
            assert [h.candidate.key_names[0] for h in state.chosen] == ["customer_id"]
            assert search.used() <= budget
            assert any(line.startswith("Dropped orders (placed_at) WHERE status = 'open' for") for line in said), said
        finally:
            for handle in state.chosen:
                session.engine.drop(handle)
