"""Workloads for benchmarks/index_advisor.py besides the keyed 22-query TPC-H of tpch_data.py.

- `literature`: TPC-H loaded without primary or foreign keys and the 19 queries of the
  index-selection literature (all 22 but 2, 17 and 20; e.g. Kossmann et al., "Magic mirror in
  my hand, which is the best in the land?", VLDB 2020).  Loaded into its own database
  `tpch_sf<sf>_nokeys` from the same DuckDB dbgen as tpch_data.py.
- `star`: a star schema of our own, built with generate_series in SQL (no download): a fact
  table `sales` and four dimensions (date, customer, product, store; each with its primary key,
  the fact table with none), and 10 queries joining them with range filters.  Skewed on
  purpose: a few customers and products take most sales, the newer dates more than the older.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from tpch_data import DDL, _chunks, _duckdb, _split_key, database_for, tpch_queries

from schemawright.database import Database, with_database
from schemawright.sql.quoting import quote_ident, quote_literal

LITERATURE_SKIPPED = ("q02", "q17", "q20")  # the literature leaves these out (q17, q20: correlated subqueries)


def literature_queries() -> list[tuple[str, str]]:
    return [(name, sql) for name, sql in tpch_queries() if name not in LITERATURE_SKIPPED]


def _ensure_database(server_url: str, name: str) -> str:
    with Database(server_url) as admin:
        if not admin.query_value("SELECT 1 FROM pg_database WHERE datname = %s", [name]):
            admin.execute(f"CREATE DATABASE {quote_ident(name)} TEMPLATE template0 ENCODING 'UTF8'")
    return with_database(server_url, name)


def _marked(db: Database, table: str, marker: str) -> bool:
    """A load's last step comments on `table`: an interrupted load leaves no mark."""
    if not db.query_value("SELECT to_regclass(%s) IS NOT NULL", [table]):
        return False
    return db.query_value(f"SELECT obj_description({quote_literal(table)}::regclass)") == marker


def load_tpch_without_keys(server_url: str, sf: float, say=print) -> str:
    """The URL of `tpch_sf<sf>_nokeys`: TPC-H at `sf` with no primary key, no foreign key, no index."""
    name = database_for(sf) + "_nokeys"
    url = _ensure_database(server_url, name)
    marker = f"TPC-H SF {sf:g} without keys, loaded completely"
    with Database(url) as db:
        if _marked(db, "lineitem", marker):
            say(f"{name}: already loaded")
            return url
        con = _duckdb()
        con.execute(f"CALL dbgen(sf={sf})")
        say(f"{name}: loading TPC-H SF {sf:g} without keys")
        with tempfile.TemporaryDirectory(prefix="tpch_") as tmp:
            for table, columns in DDL.items():
                plain, _key = _split_key(columns)
                db.execute(f"DROP TABLE IF EXISTS {quote_ident(table)}")
                db.execute(f"CREATE TABLE {quote_ident(table)} ({plain})")
                path = Path(tmp) / f"{table}.csv"
                con.execute(f"COPY {table} TO '{path}' (FORMAT csv, DELIMITER '|', HEADER false)")
                db.copy_in(f"COPY {quote_ident(table)} FROM STDIN WITH (FORMAT csv, DELIMITER '|')", _chunks(path))
                path.unlink()
                db.execute(f"ANALYZE {quote_ident(table)}")
        db.execute(f"COMMENT ON TABLE lineitem IS {quote_literal(marker)}")
    return url


# --- the star schema -------------------------------------------------------------------------

STAR_FACT_ROWS_PER_SF = 10_000_000  # --sf 0.1: 1 million sales (about the size of TPC-H SF 0.1's lineitem)


def _star_ddl(facts: int) -> list[str]:
    customers, products, stores = max(facts // 20, 100), max(facts // 100, 50), 500
    return [
        "SELECT setseed(0.42)",  # random() below is then the same on every load
        """CREATE TABLE date_dim AS
           SELECT to_char(d, 'YYYYMMDD')::int AS d_datekey, d::date AS d_date,
                  extract(year FROM d)::int AS d_year, extract(quarter FROM d)::int AS d_quarter,
                  extract(month FROM d)::int AS d_month, extract(isodow FROM d)::int AS d_dow,
                  (to_char(d, 'MM-DD') IN ('01-01', '05-01', '07-14', '12-24', '12-25', '12-31')) AS d_holiday
           FROM generate_series(date '2018-01-01', date '2024-12-31', interval '1 day') AS d""",
        "ALTER TABLE date_dim ADD PRIMARY KEY (d_datekey)",
        f"""CREATE TABLE customer_dim AS
           SELECT g AS c_id, 'customer ' || g AS c_name, 'city ' || (g % 900) AS c_city,
                  'R' || (g % 10) AS c_region, (ARRAY['consumer', 'corporate', 'home office', 'small business',
                  'government'])[1 + g % 5] AS c_segment,
                  date '2015-01-01' + (random() * 3650)::int AS c_signup
           FROM generate_series(1, {customers}) AS g""",
        "ALTER TABLE customer_dim ADD PRIMARY KEY (c_id)",
        f"""CREATE TABLE product_dim AS
           SELECT g AS p_id, 'product ' || g AS p_name, 'C' || (g % 20) AS p_category,
                  'Brand#' || (g % 200) AS p_brand, round((5 + random() * 495)::numeric, 2) AS p_price
           FROM generate_series(1, {products}) AS g""",
        "ALTER TABLE product_dim ADD PRIMARY KEY (p_id)",
        f"""CREATE TABLE store_dim AS
           SELECT g AS st_id, 'store ' || g AS st_name, 'city ' || (g % 300) AS st_city,
                  'R' || (g % 10) AS st_region, date '2010-01-01' + (g * 7) AS st_opened
           FROM generate_series(1, {stores}) AS g""",
        "ALTER TABLE store_dim ADD PRIMARY KEY (st_id)",
        # Skew: power laws on customer and product, newer dates more often (sqrt).
        f"""CREATE TABLE sales AS
           SELECT g::bigint AS s_id,
                  to_char(date '2018-01-01' + floor(sqrt(random()) * 2557)::int, 'YYYYMMDD')::int AS s_datekey,
                  1 + floor(power(random(), 3) * {customers})::int AS s_customer,
                  1 + floor(power(random(), 2) * {products})::int AS s_product,
                  1 + floor(random() * {stores})::int AS s_store,
                  1 + floor(random() * 10)::int AS s_quantity,
                  round((1 + random() * 4999)::numeric, 2) AS s_amount,
                  round((random() * 0.10)::numeric, 2) AS s_discount,
                  (ARRAY['store', 'store', 'store', 'web', 'phone'])[1 + floor(random() * 5)::int] AS s_channel
           FROM generate_series(1, {facts}) AS g""",
    ]


STAR_QUERIES: list[tuple[str, str]] = [
    ("s01_region_month_by_category", """
        SELECT p.p_category, sum(s.s_amount) AS revenue
        FROM sales s JOIN date_dim d ON d.d_datekey = s.s_datekey
        JOIN store_dim st ON st.st_id = s.s_store JOIN product_dim p ON p.p_id = s.s_product
        WHERE d.d_date BETWEEN date '2023-03-01' AND date '2023-03-31' AND st.st_region = 'R3'
        GROUP BY p.p_category ORDER BY revenue DESC"""),
    ("s02_customer_recent", """
        SELECT d.d_date, s.s_amount, p.p_name
        FROM sales s JOIN date_dim d ON d.d_datekey = s.s_datekey JOIN product_dim p ON p.p_id = s.s_product
        WHERE s.s_customer = 4242 AND s.s_datekey >= 20240101
        ORDER BY s.s_datekey DESC LIMIT 20"""),
    ("s03_brand_quarter_top", """
        SELECT p.p_id, p.p_name, sum(s.s_quantity) AS units
        FROM sales s JOIN product_dim p ON p.p_id = s.s_product JOIN date_dim d ON d.d_datekey = s.s_datekey
        WHERE p.p_brand = 'Brand#17' AND d.d_year = 2022 AND d.d_quarter = 2
        GROUP BY p.p_id, p.p_name ORDER BY units DESC LIMIT 10"""),
    ("s04_store_week", """
        SELECT s.s_datekey, count(*) AS tickets, sum(s.s_amount) AS revenue
        FROM sales s
        WHERE s.s_store = 17 AND s.s_datekey BETWEEN 20240601 AND 20240607
        GROUP BY s.s_datekey ORDER BY s.s_datekey"""),
    ("s05_large_web_orders", """
        SELECT c.c_region, count(*), sum(s.s_amount)
        FROM sales s JOIN customer_dim c ON c.c_id = s.s_customer
        WHERE s.s_amount > 4990 AND s.s_channel = 'web'
        GROUP BY c.c_region"""),
    ("s06_holiday_segments", """
        SELECT c.c_segment, sum(s.s_amount)
        FROM sales s JOIN date_dim d ON d.d_datekey = s.s_datekey JOIN customer_dim c ON c.c_id = s.s_customer
        WHERE d.d_holiday AND d.d_year = 2023
        GROUP BY c.c_segment"""),
    ("s07_new_customers", """
        SELECT c.c_id, min(s.s_datekey) AS first_purchase, count(*) AS purchases
        FROM customer_dim c JOIN sales s ON s.s_customer = c.c_id
        WHERE c.c_signup >= date '2024-12-01'
        GROUP BY c.c_id"""),
    ("s08_price_band_december", """
        SELECT p.p_category, sum(s.s_quantity)
        FROM sales s JOIN product_dim p ON p.p_id = s.s_product JOIN date_dim d ON d.d_datekey = s.s_datekey
        WHERE p.p_price BETWEEN 100 AND 102 AND d.d_year = 2021 AND d.d_month = 12
        GROUP BY p.p_category"""),
    ("s09_four_dimensions", """
        SELECT st.st_city, count(*), sum(s.s_amount)
        FROM sales s JOIN date_dim d ON d.d_datekey = s.s_datekey
        JOIN customer_dim c ON c.c_id = s.s_customer JOIN store_dim st ON st.st_id = s.s_store
        JOIN product_dim p ON p.p_id = s.s_product
        WHERE d.d_date BETWEEN date '2024-11-01' AND date '2024-11-14' AND c.c_region = 'R1'
          AND st.st_region = 'R2' AND p.p_category = 'C5'
        GROUP BY st.st_city"""),
    ("s10_discount_band", """
        SELECT s.s_channel, sum(s.s_amount * (1 - s.s_discount))
        FROM sales s
        WHERE s.s_discount BETWEEN 0.09 AND 0.10 AND s.s_quantity <= 2
          AND s.s_datekey BETWEEN 20240101 AND 20240331
        GROUP BY s.s_channel"""),
]
STAR_QUERIES = [(name, " ".join(sql.split())) for name, sql in STAR_QUERIES]


def load_star(server_url: str, sf: float, say=print) -> str:
    """The URL of `star_sf<sf>`: the star schema with STAR_FACT_ROWS_PER_SF x `sf` sales."""
    name = "star_sf" + f"{sf:g}".replace(".", "_")
    url = _ensure_database(server_url, name)
    facts = max(int(STAR_FACT_ROWS_PER_SF * sf), 1000)
    marker = f"star schema, {facts} sales, loaded completely"
    with Database(url) as db:
        if _marked(db, "sales", marker):
            say(f"{name}: already loaded")
            return url
        say(f"{name}: building the star schema ({facts:,} sales)")
        for table in ("sales", "date_dim", "customer_dim", "product_dim", "store_dim"):
            db.execute(f"DROP TABLE IF EXISTS {quote_ident(table)}")
        for statement in _star_ddl(facts):
            db.execute(statement)
        for table in ("sales", "date_dim", "customer_dim", "product_dim", "store_dim"):
            db.execute(f"ANALYZE {quote_ident(table)}")
        db.execute(f"COMMENT ON TABLE sales IS {quote_literal(marker)}")
    return url
