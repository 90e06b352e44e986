"""`validate` on a real PostgreSQL: synthetic rows that meet every constraint, bound and
timed access patterns, the emptiness check after the down migration, and the report.

Designs are built by hand (with their DDL) so each constraint kind is exercised on purpose.
"""

from __future__ import annotations

from collections.abc import Iterator
from random import Random

import pytest

from schemawright import model as m
from schemawright.database import SCRATCH_PREFIX, Database, scratch_database
from schemawright.pipeline import validate
from schemawright.validation.emptiness import compare, snapshot
from schemawright.validation.params import Use, anchor_query, positional, uses
from schemawright.validation.patterns import p95, run_pattern
from schemawright.validation.regex import example, matches
from schemawright.validation.rules import column_rules, derived_columns
from schemawright.validation.script import run_script
from schemawright.validation.synthetic import fill_tables, insertion_order


def col(name: str, sql_type: str, semantic: str = "", nullable: bool = True, **kw: object) -> m.Column:
    return m.Column(name=name, semantic=semantic or sql_type, sql_type=sql_type, nullable=nullable, **kw)


def pk(table: str, *columns: str) -> m.PrimaryKey:
    return m.PrimaryKey(name=f"pk_{table}", columns=columns)


def fk(name: str, column: str, table: str, ref: str = "id") -> m.ForeignKey:
    return m.ForeignKey(name=name, columns=(column,), ref_table=table, ref_columns=(ref,))


def check(name: str, expression: str) -> m.Check:
    return m.Check(name=name, expression=expression)


# A small shop that has one of everything: identity and uuid keys, a self-reference, a
# one-to-one, a junction table, a CHECK-listed enum and an enum type, citext, arrays,
# jsonb, numeric bounds, regular expressions, a derived column and cross-column rules.
TABLES = (
    m.Table(
        name="order_items", kind="junction",
        columns=(col("order_id", "bigint", "fk", False), col("product_id", "bigint", "fk", False),
                 col("quantity", "smallint", "integer", False), col("unit_price", "numeric(8,2)", "money", False),
                 col("total", "numeric(12,2)", "money", False)),
        primary_key=pk("order_items", "order_id", "product_id"),
        foreign_keys=(fk("fk_items_order", "order_id", "orders"), fk("fk_items_product", "product_id", "products")),
        checks=(check("ck_items_quantity", "quantity BETWEEN 1 AND 5"),
                check("ck_items_total", "total = quantity * unit_price"))),
    m.Table(
        name="orders",
        columns=(col("id", "bigint", "id", False, identity=True), col("customer_id", "bigint", "fk", False),
                 col("shipped_at", "timestamptz", "timestamp"),  # declared before placed_at on purpose
                 col("placed_at", "timestamptz", "timestamp", False), col("quantity", "integer", "integer", False),
                 col("status", "text", "enum", False)),
        primary_key=pk("orders", "id"),
        foreign_keys=(fk("fk_orders_customer", "customer_id", "customers"),),
        checks=(check("ck_orders_ship_after", "shipped_at > placed_at"), check("ck_orders_quantity", "quantity > 0"),
                check("ck_orders_status", "status = ANY (ARRAY['open'::text, 'paid'::text, 'shipped'::text])"))),
    m.Table(
        name="products",
        columns=(col("id", "bigint", "id", False, identity=True), col("category_id", "uuid", "fk", False),
                 col("sku", "text", "string", False), col("price", "numeric(8,2)", "money", False),
                 col("tags", "text[]", "array"), col("size", "product_size", "enum", False),
                 col("specs", "jsonb", "json")),
        primary_key=pk("products", "id"),
        foreign_keys=(fk("fk_products_category", "category_id", "Category"),),
        uniques=(m.Unique(name="uq_products_sku", columns=("sku",)),),
        checks=(check("ck_products_price", "price > 0 AND price <= 500"),
                check("ck_products_sku", "sku ~ '^[A-Z]{2}-[0-9]{3}$'"))),
    m.Table(
        name="Category",
        columns=(col("id", "uuid", "uuid", False, default="gen_random_uuid()"), col("parent_id", "uuid", "fk"),
                 col("select", "text", "string", False)),
        primary_key=pk("Category", "id"),
        foreign_keys=(fk("fk_category_parent", "parent_id", "Category"),),
        uniques=(m.Unique(name="uq_category_select", columns=("select",)),)),
    m.Table(
        name="customer_profiles",
        columns=(col("customer_id", "bigint", "fk", False), col("bio", "text", "text"), col("birthday", "date", "date")),
        primary_key=pk("customer_profiles", "customer_id"),
        foreign_keys=(fk("fk_profiles_customer", "customer_id", "customers"),)),
    m.Table(
        name="customers",
        columns=(col("id", "bigint", "id", False, identity=True), col("email", "citext", "email", False),
                 col("phone", "text", "phone"), col("name", "text", "string", False),
                 col("status", "text", "enum", False, default="'active'"),
                 col("created_at", "timestamptz", "timestamp", False, default="now()")),
        primary_key=pk("customers", "id"),
        uniques=(m.Unique(name="uq_customers_email", columns=("email",)),),
        checks=(check("ck_customers_status", "status IN ('active', 'blocked')"),
                check("ck_customers_name", "char_length(name) <= 12"),
                check("ck_customers_email", r"email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$'"),
                check("ck_customers_phone", r"phone IS NULL OR phone ~ '^\+[1-9][0-9]{6,14}$'"))),
)
ENUMS = (m.EnumType(name="product_size", values=("s", "m", "l")),)
INDEXES = (m.Index(name="ix_orders_customer_id", table="orders", columns=(m.IndexColumn(expression="customer_id"),)),)

UP = r"""
CREATE EXTENSION IF NOT EXISTS citext;
CREATE TYPE product_size AS ENUM ('s', 'm', 'l');
CREATE TABLE customers (
  id bigint GENERATED ALWAYS AS IDENTITY, email citext NOT NULL, phone text, name text NOT NULL,
  status text NOT NULL DEFAULT 'active', created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_customers PRIMARY KEY (id), CONSTRAINT uq_customers_email UNIQUE (email),
  CONSTRAINT ck_customers_status CHECK (status IN ('active', 'blocked')),
  CONSTRAINT ck_customers_name CHECK (char_length(name) <= 12),
  CONSTRAINT ck_customers_email CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$'),
  CONSTRAINT ck_customers_phone CHECK (phone IS NULL OR phone ~ '^\+[1-9][0-9]{6,14}$'));
CREATE TABLE customer_profiles (customer_id bigint NOT NULL, bio text, birthday date,
  CONSTRAINT pk_customer_profiles PRIMARY KEY (customer_id));
CREATE TABLE "Category" (id uuid NOT NULL DEFAULT gen_random_uuid(), parent_id uuid, "select" text NOT NULL,
  CONSTRAINT "pk_Category" PRIMARY KEY (id), CONSTRAINT uq_category_select UNIQUE ("select"));
CREATE TABLE products (id bigint GENERATED ALWAYS AS IDENTITY, category_id uuid NOT NULL, sku text NOT NULL,
  price numeric(8,2) NOT NULL, tags text[], size product_size NOT NULL, specs jsonb,
  CONSTRAINT pk_products PRIMARY KEY (id), CONSTRAINT uq_products_sku UNIQUE (sku),
  CONSTRAINT ck_products_price CHECK (price > 0 AND price <= 500),
  CONSTRAINT ck_products_sku CHECK (sku ~ '^[A-Z]{2}-[0-9]{3}$'));
CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY, customer_id bigint NOT NULL, shipped_at timestamptz,
  placed_at timestamptz NOT NULL, quantity integer NOT NULL, status text NOT NULL,
  CONSTRAINT pk_orders PRIMARY KEY (id), CONSTRAINT ck_orders_ship_after CHECK (shipped_at > placed_at),
  CONSTRAINT ck_orders_quantity CHECK (quantity > 0),
  CONSTRAINT ck_orders_status CHECK (status = ANY (ARRAY['open'::text, 'paid'::text, 'shipped'::text])));
CREATE TABLE order_items (order_id bigint NOT NULL, product_id bigint NOT NULL, quantity smallint NOT NULL,
  unit_price numeric(8,2) NOT NULL, total numeric(12,2) NOT NULL,
  CONSTRAINT pk_order_items PRIMARY KEY (order_id, product_id),
  CONSTRAINT ck_items_quantity CHECK (quantity BETWEEN 1 AND 5),
  CONSTRAINT ck_items_total CHECK (total = quantity * unit_price));
ALTER TABLE customer_profiles ADD CONSTRAINT fk_profiles_customer FOREIGN KEY (customer_id) REFERENCES customers (id);
ALTER TABLE "Category" ADD CONSTRAINT fk_category_parent FOREIGN KEY (parent_id) REFERENCES "Category" (id);
ALTER TABLE products ADD CONSTRAINT fk_products_category FOREIGN KEY (category_id) REFERENCES "Category" (id);
ALTER TABLE orders ADD CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id);
ALTER TABLE order_items ADD CONSTRAINT fk_items_order FOREIGN KEY (order_id) REFERENCES orders (id);
ALTER TABLE order_items ADD CONSTRAINT fk_items_product FOREIGN KEY (product_id) REFERENCES products (id);
CREATE INDEX ix_orders_customer_id ON orders (customer_id);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER trg_orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch();
"""
DOWN_BODY = """
DROP TRIGGER IF EXISTS trg_orders_touch ON orders;
DROP FUNCTION IF EXISTS touch();
DROP TABLE IF EXISTS order_items;
DROP TABLE IF EXISTS orders;
DROP TABLE IF EXISTS products;
DROP TABLE IF EXISTS "Category";
DROP TABLE IF EXISTS customer_profiles;
DROP TABLE IF EXISTS customers;
"""
DOWN = DOWN_BODY + "DROP TYPE IF EXISTS product_size;\nDROP EXTENSION IF EXISTS citext;\n"

GOOD_PATTERNS = (
    m.AccessPattern(name="orders_of_customer", latency_p95_ms=500,
                    sql="SELECT o.id, o.placed_at FROM orders o WHERE o.customer_id = :customer_id "
                        "AND o.status = :status AND o.placed_at >= :since ORDER BY o.placed_at DESC LIMIT :limit"),
    m.AccessPattern(name="customer_by_email", latency_p95_ms=500,
                    sql="SELECT * FROM customers WHERE lower(email) = lower(:email) AND name <> ':not_a_param'"),
    m.AccessPattern(name="products_by_tag", latency_p95_ms=500,
                    sql="SELECT id FROM products WHERE :tag = ANY(tags) AND price BETWEEN :lo AND :hi "
                        "AND size = :size AND sku LIKE '%-%' AND specs::text <> ''"),
    m.AccessPattern(name="category_children", latency_p95_ms=500,
                    sql='SELECT c."select" FROM "Category" c JOIN "Category" p ON p.id = c.parent_id '
                        'WHERE p."select" = :parent_name'),
    m.AccessPattern(name="orders_by_ids", latency_p95_ms=500, sql="SELECT * FROM orders WHERE id = ANY(:ids)"),
    m.AccessPattern(name="place_order", kind="write", latency_p95_ms=500,
                    sql="INSERT INTO orders (customer_id, placed_at, quantity, status) "
                        "VALUES (:customer_id, :placed_at, :quantity, :status) RETURNING id"),
    m.AccessPattern(name="reprice", kind="write", latency_p95_ms=500,
                    sql="UPDATE products SET price = :price WHERE id = :id"),
    m.AccessPattern(name="forget_profile", kind="write", latency_p95_ms=500,
                    sql="DELETE FROM customer_profiles WHERE customer_id = :customer_id"),
)


def shop(patterns: tuple[m.AccessPattern, ...] = GOOD_PATTERNS, tables: tuple[m.Table, ...] = TABLES) -> m.Design:
    return m.Design(project="shop", tables=tables, enums=ENUMS, indexes=INDEXES, access_patterns=patterns)


@pytest.fixture(scope="module")
def loaded(pg_url: str) -> Iterator[tuple[Database, m.Design, list]]:
    """A scratch database with the shop applied and filled with synthetic rows."""
    design = shop()
    with scratch_database(pg_url) as url, Database(url) as db:
        assert run_script(db, UP) is None
        fills = fill_tables(db, design, rows=20, seed=7)
        db.execute("ANALYZE")
        yield db, design, fills


# ------------------------------------------------------------------ synthetic rows


def test_parents_are_filled_before_children() -> None:
    order = [t.name for t in insertion_order(shop())]
    assert order.index("customers") < order.index("orders") < order.index("order_items")
    assert order.index("Category") < order.index("products") < order.index("order_items")
    assert order.index("customers") < order.index("customer_profiles")


def test_every_table_gets_every_row(loaded) -> None:
    db, _design, fills = loaded
    assert {f.table: f.rows for f in fills} == {t.name: 20 for t in TABLES}
    for table in TABLES:
        assert db.query_value(f'SELECT count(*) FROM "{table.name}"') == 20


def test_rows_meet_value_rules(loaded) -> None:
    db = loaded[0]
    assert {s for (s,) in db.query("SELECT DISTINCT status FROM customers")} <= {"active", "blocked"}
    assert {s for (s,) in db.query("SELECT DISTINCT status FROM orders")} <= {"open", "paid", "shipped"}
    assert {s for (s,) in db.query("SELECT DISTINCT size::text FROM products")} <= {"s", "m", "l"}
    assert db.query_value("SELECT bool_and(price > 0 AND price <= 500) FROM products")
    assert db.query_value("SELECT bool_and(sku ~ '^[A-Z]{2}-[0-9]{3}$') FROM products")
    assert db.query_value("SELECT count(DISTINCT sku) FROM products") == 20
    assert db.query_value("SELECT count(DISTINCT email) FROM customers") == 20
    assert db.query_value("SELECT bool_and(char_length(name) <= 12) FROM customers")
    assert db.query_value("SELECT bool_and(total = quantity * unit_price) FROM order_items")
    assert db.query_value("SELECT count(*) FROM orders WHERE shipped_at IS NOT NULL") > 0


def test_cross_column_rules_are_met_by_retrying(loaded) -> None:
    db, _design, fills = loaded
    orders = next(f for f in fills if f.table == "orders")
    assert orders.attempts > orders.rows  # shipped_at is declared first, so first tries fail
    assert db.query_value("SELECT bool_and(shipped_at > placed_at) FROM orders WHERE shipped_at IS NOT NULL")


def test_foreign_keys_self_references_and_junctions(loaded) -> None:
    db = loaded[0]
    roots = db.query_value('SELECT count(*) FROM "Category" WHERE parent_id IS NULL')
    assert 0 < roots < 20  # a forest: some roots, the rest point at earlier rows
    assert db.query_value("SELECT count(DISTINCT customer_id) FROM customer_profiles") == 20  # one-to-one
    assert db.query_value("SELECT count(DISTINCT (order_id, product_id)) FROM order_items") == 20
    assert db.query_value("SELECT count(DISTINCT order_id) FROM order_items") > 1


def test_synthetic_rows_are_deterministic(pg_url: str) -> None:
    design = shop()
    query = ("SELECT c.email, c.name, c.status, o.quantity, o.status, i.product_id, i.total FROM order_items i "
             "JOIN orders o ON o.id = i.order_id JOIN customers c ON c.id = o.customer_id ORDER BY 1, 4, 6")
    seen = []
    for _ in range(2):
        with scratch_database(pg_url) as url, Database(url) as db:
            assert run_script(db, UP) is None
            fill_tables(db, design, rows=10, seed=3)
            seen.append(db.query(query))
    assert seen[0] == seen[1] and len(seen[0]) == 10


def test_impossible_rules_leave_a_table_empty_with_the_reason(pg_url: str) -> None:
    tables = (
        m.Table(name="never", columns=(col("id", "bigint", "id", False, identity=True), col("n", "integer", nullable=False)),
                primary_key=pk("never", "id"), checks=(check("ck_never_n", "n < 0 AND n > 0"),)),
        m.Table(name="child", columns=(col("never_id", "bigint", "fk", False),),
                foreign_keys=(fk("fk_child_never", "never_id", "never"),)),
    )
    ddl = ("CREATE TABLE never (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, n integer NOT NULL, "
           "CONSTRAINT ck_never_n CHECK (n < 0 AND n > 0));"
           "CREATE TABLE child (never_id bigint NOT NULL REFERENCES never (id));")
    with scratch_database(pg_url) as url, Database(url) as db:
        assert run_script(db, ddl) is None
        never, child = fill_tables(db, m.Design(project="x", tables=tables), rows=5)
    assert never.rows == 0 and "ck_never_n" in (never.error or "")
    assert child.rows == 0 and "no row in never" in (child.error or "")


def test_one_to_one_and_junction_keys_stay_distinct_at_larger_sizes(pg_url: str) -> None:
    with scratch_database(pg_url) as url, Database(url) as db:
        assert run_script(db, UP) is None
        fills = fill_tables(db, shop(), rows=150)
        assert {f.table: f.rows for f in fills} == {t.name: 150 for t in TABLES}
        assert db.query_value("SELECT count(DISTINCT customer_id) FROM customer_profiles") == 150


def test_check_rules_are_read_from_expressions() -> None:
    rules = column_rules(TABLES[5])  # customers
    assert rules["status"].allowed == ("active", "blocked")
    assert rules["name"].max_length == 12
    assert rules["phone"].patterns == ((r"^\+[1-9][0-9]{6,14}$", False),)
    price = column_rules(TABLES[2])["price"]
    assert (price.low, price.low_strict, price.high, price.high_strict) == (0, True, 500, False)
    assert column_rules(TABLES[1])["status"].allowed == ("open", "paid", "shipped")
    assert set(derived_columns(TABLES[0])) == {"total"}


@pytest.mark.parametrize("pattern", [r"^[A-Z]{2}-[0-9]{3}$", r"^#[0-9a-fA-F]{6}$", r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$",
                                     r"^[a-z0-9][a-z0-9-]*$", r"^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$"])
def test_values_are_built_from_regular_expressions(pattern: str) -> None:
    rng = Random(1)
    for _ in range(5):
        value = example(pattern, rng)
        assert value is not None and matches(pattern, value)


# ------------------------------------------------------------------ parameters


def test_named_parameters_become_positional() -> None:
    sql = ("SELECT a::int, ':skip', $$ :skip $$, \"x:y\" FROM t -- :skip\n"
           "WHERE b = :limit AND c=:c AND d = :c AND arr[1:2] = e AND f LIKE 'it''s :skip' LIMIT :limit;")
    result = positional(sql)
    assert result.names == ("limit", "c")
    assert result.sql == ("SELECT a::int, ':skip', $$ :skip $$, \"x:y\" FROM t -- :skip\n"
                          "WHERE b = $1 AND c=$2 AND d = $2 AND arr[1:2] = e AND f LIKE 'it''s :skip' LIMIT $1")


def test_parameters_are_traced_to_their_columns() -> None:
    design = shop()
    found = uses(GOOD_PATTERNS[0].sql, design)
    assert found["customer_id"] == Use("eq", "orders", "customer_id")
    assert found["since"] == Use("low", "orders", "placed_at")
    assert found["limit"] == Use("limit")
    assert uses(GOOD_PATTERNS[2].sql, design)["hi"] == Use("high", "products", "price")
    assert uses("SELECT 1 FROM orders WHERE :t > placed_at", design)["t"] == Use("high", "orders", "placed_at")
    assert uses(GOOD_PATTERNS[5].sql, design)["quantity"] == Use("insert", "orders", "quantity")
    assert uses(GOOD_PATTERNS[6].sql, design) == {"price": Use("set", "products", "price"),
                                                  "id": Use("eq", "products", "id")}
    assert uses(GOOD_PATTERNS[3].sql, design)["parent_name"] == Use("eq", "Category", "select")


def test_anchor_query_keeps_joins_and_constant_conditions() -> None:
    anchor = anchor_query("SELECT * FROM orders o JOIN customers c ON c.id = o.customer_id "
                          "WHERE c.email = :email AND o.status = 'paid' AND o.placed_at > :since")
    assert anchor is not None and anchor.names == ("email",)
    assert "'paid'" in anchor.sql and ":" not in anchor.sql.replace("::", "")


# ------------------------------------------------------------------ access patterns


def _run(loaded, pattern: m.AccessPattern):
    db, design, _fills = loaded
    return run_pattern(db, design, pattern, runs=5)


@pytest.mark.parametrize("pattern", GOOD_PATTERNS, ids=lambda p: p.name)
def test_good_patterns_pass_and_find_rows(loaded, pattern: m.AccessPattern) -> None:
    result = _run(loaded, pattern)
    assert result.status == "PASS", result.error
    assert result.rows and result.rows >= 1, result.params  # bound values find data
    assert result.p95_ms is not None and result.p95_ms >= 0 and result.plan is not None


def test_plan_summary_names_the_index(loaded) -> None:
    db = loaded[0]
    db.execute("SET enable_seqscan = off")
    try:
        result = _run(loaded, GOOD_PATTERNS[0])
    finally:
        db.execute("RESET enable_seqscan")
    assert "ix_orders_customer_id" in result.plan.indexes


def test_write_patterns_are_rolled_back(loaded) -> None:
    db = loaded[0]
    before = db.query("SELECT count(*), sum(price) FROM products JOIN orders ON true")
    for pattern in GOOD_PATTERNS[5:]:
        assert _run(loaded, pattern).status == "PASS"
    assert db.query("SELECT count(*), sum(price) FROM products JOIN orders ON true") == before
    assert db.query_value("SELECT count(*) FROM customer_profiles") == 20


def test_a_pattern_that_does_not_apply_fails_with_the_server_message(loaded) -> None:
    result = _run(loaded, m.AccessPattern(name="typo", sql="SELECT nope FROM orders WHERE id = :id"))
    assert result.status == "ERROR"  # it could not run: an error, not a missed target
    assert 'column "nope" does not exist' in (result.error or "")


def test_a_pattern_of_two_statements_is_refused(loaded) -> None:
    result = _run(loaded, m.AccessPattern(name="two", sql="SELECT 1; DELETE FROM orders"))
    assert result.status == "ERROR" and "single SQL statement" in (result.error or "")
    assert loaded[0].query_value("SELECT count(*) FROM orders") == 20


def test_a_pattern_slower_than_its_target_fails(loaded) -> None:
    slow = m.AccessPattern(name="slow", latency_p95_ms=1, sql="SELECT pg_sleep(0.005) FROM orders WHERE id = :id")
    result = _run(loaded, slow)
    assert result.status == "FAIL" and result.p95_ms > 1
    assert "exceeds the 1 ms target" in (result.error or "")


def test_parameters_without_a_column_get_values_from_their_type(loaded) -> None:
    result = _run(loaded, m.AccessPattern(name="typed", sql="SELECT :n::int + 1, :d::date, :flag::boolean"))
    assert result.status == "PASS" and result.rows == 1


def test_p95_is_nearest_rank() -> None:
    assert p95([float(i) for i in range(1, 21)]) == 19.0
    assert p95([3.0]) == 3.0


# ------------------------------------------------------------------ validate, end to end


def test_validate_passes_a_sound_design(pg_url: str) -> None:
    with Database(pg_url) as db:
        before = {n for (n,) in db.query("SELECT datname FROM pg_database")}
    steps: list[str] = []
    report = validate(shop(), UP, DOWN, database_url=pg_url, progress=steps.append, runs=3)
    assert report.passed, [c for c in report.checks if c.status != "PASS"]
    names = [c.name for c in report.checks]
    assert names[:2] == ["spec SQL sandboxed", "up migration applies"]
    assert "synthetic rows: order_items" in names and "pattern: reprice" in names
    assert names[-4:] == ["down migration applies", "database empty after down migration", "scratch database dropped",
                          "sandbox role dropped"]
    assert steps[:2] == ["Creating scratch database", "Applying up migration"]
    assert "Running access pattern place_order" in steps and steps[-1] == "Dropping scratch database"
    scratch = report.checks[-2].detail
    with Database(pg_url) as db:
        after = {n for (n,) in db.query("SELECT datname FROM pg_database")}
    assert scratch.startswith(SCRATCH_PREFIX) and scratch not in after
    assert {n for n in after if not n.startswith(SCRATCH_PREFIX)} == {n for n in before if not n.startswith(SCRATCH_PREFIX)}


def test_validate_reports_failing_patterns(pg_url: str) -> None:
    patterns = GOOD_PATTERNS[:1] + (m.AccessPattern(name="typo", sql="SELECT nope FROM orders"),)
    report = validate(shop(patterns), UP, DOWN, database_url=pg_url, runs=2)
    assert not report.passed
    assert [c.name for c in report.failures] == ["pattern: typo"]


def test_a_down_migration_that_leaves_objects_fails(pg_url: str) -> None:
    report = validate(shop(GOOD_PATTERNS[:1]), UP, DOWN_BODY, database_url=pg_url, runs=2)
    failure = {c.name: c for c in report.failures}
    assert list(failure) == ["database empty after down migration"]
    assert "type product_size" in failure["database empty after down migration"].detail
    assert "extension citext" in failure["database empty after down migration"].detail
    assert [c.name for c in report.checks[-2:]] == ["scratch database dropped", "sandbox role dropped"]


def test_ddl_that_does_not_apply_is_a_located_failure(pg_url: str) -> None:
    broken = UP.replace("CONSTRAINT pk_orders PRIMARY KEY (id)", "CONSTRAINT pk_orders PRIMARY KEY (nope)")
    report = validate(shop(), broken, DOWN, database_url=pg_url)
    assert [c.name for c in report.checks] == ["spec SQL sandboxed", "up migration applies",
                                               "scratch database dropped", "sandbox role dropped"]
    up = report.checks[1]
    assert up.status == "FAIL"
    assert 'column "nope" named in key does not exist' in up.detail
    assert "line 23, column 3" in up.detail and "CREATE TABLE orders" in up.detail  # the PRIMARY KEY clause
    assert report.failures == [up]


def test_a_syntax_error_is_located(pg_url: str) -> None:
    report = validate(shop(()), "CREATE TABLE ok (a int);\nCREAT TABLE bad (a int);\n", "", database_url=pg_url)
    assert not report.passed
    up = report.checks[1]
    assert up.name == "up migration applies" and "line 2" in up.detail and "syntax error" in up.detail


def test_validate_without_a_url_uses_the_embedded_server() -> None:
    design = m.Design(project="tiny", tables=(m.Table(name="notes", columns=(
        col("id", "bigint", "id", False, identity=True), col("body", "text", "text", False)),
        primary_key=pk("notes", "id")),),
        access_patterns=(m.AccessPattern(name="note", sql="SELECT body FROM notes WHERE id = :id", latency_p95_ms=100),))
    steps: list[str] = []
    report = validate(design, "CREATE TABLE notes (id bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_notes PRIMARY KEY, body text NOT NULL);",
                      "DROP TABLE notes;", progress=steps.append, runs=2)
    assert report.passed, report.failures
    assert steps[0] == "Starting embedded PostgreSQL" and report.server == "embedded PostgreSQL"


def test_an_unreachable_server_is_a_failed_check(tmp_path) -> None:
    report = validate(shop(()), UP, DOWN, database_url=f"postgresql://postgres:pw@/postgres?host={tmp_path}")
    assert not report.passed and report.checks[0].name == "database server"
    assert report.server is not None and "pw" not in report.server


# ------------------------------------------------------------------ emptiness


def test_snapshot_sees_every_kind_of_leftover(pg_url: str) -> None:
    with scratch_database(pg_url) as url, Database(url) as db:
        before = snapshot(db)
        db.execute("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'")
        db.execute("CREATE SCHEMA extra; CREATE SEQUENCE extra.s; REVOKE ALL ON SCHEMA public FROM PUBLIC")
        db.execute("CREATE TEMP TABLE scratch_only (a int)")  # temporary: not a migration's doing
        difference = compare(before, snapshot(db))
        assert "function f()" in difference.left_behind
        assert "schema extra" in difference.left_behind and "sequence extra.s" in difference.left_behind
        assert any(item.startswith("schema public") for item in difference.left_behind)
        assert any(item.startswith("schema public") for item in difference.removed)
        db.execute("DROP FUNCTION f(); DROP SCHEMA extra CASCADE; GRANT USAGE ON SCHEMA public TO PUBLIC")
        db.execute("DISCARD TEMP")
        assert compare(before, snapshot(db)).empty
