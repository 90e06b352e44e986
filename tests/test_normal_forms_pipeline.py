"""Declared dependencies in the design pipeline: checked on every table, reported, split on
request (`--normalize`), or kept on purpose with the triggers / refresh plans that keep the
copies correct — all applied to a real PostgreSQL."""

from __future__ import annotations

import textwrap

import pytest
from typer.testing import CliRunner

from schemawright.cli import app
from schemawright.database import Database, DatabaseError, scratch_database
from schemawright.errors import SpecErrors
from schemawright.logical.patterns import JoinRewrite, rewrite_pattern
from schemawright.pipeline import deliverables
from schemawright.sql.postgresql import render_down, render_up
from schemawright.pipeline import validate
from schemawright.validation.script import run_script
from helpers import design_of

CRM = """\
project: crm
{extra}
entities:
  Customer:
    attributes:
      name: {{type: string, max_length: 100, required: true}}
      zip: {{type: string, max_length: 10, required: true}}
      city: {{type: string, max_length: 80, required: true}}
      state: {{type: string, max_length: 2, required: true}}
      email: {{type: email, required: true, unique: true}}
  Order:
    attributes:
      placed_at: {{type: timestamp, required: true}}
      total: {{type: money, required: true}}
relationships:
  - {{from: Customer, to: Order, type: one-to-many, required: true}}
rules:
  - name: zip_city
    entity: Customer
    depends: {{determinant: [zip], dependent: [city]}}
    {kept}
  - name: city_state
    entity: Customer
    depends: {{determinant: [city], dependent: [state]}}
denormalizations:
  - name: customer_email
    kind: copied_column
    entity: Order
    source: Customer.email
    reason: the order list shows the email without a join
  - name: customer_totals
    kind: materialized_view
    query: SELECT customer_id, count(*) AS orders, sum(total) AS spent FROM orders GROUP BY customer_id
    key: [customer_id]
    reason: the dashboard reads totals per customer
  - name: daily_sales
    kind: summary_table
    query: SELECT placed_at::date AS day, sum(total) AS total FROM orders GROUP BY 1
    key: [day]
    refresh: "0 * * * *"
    reason: finance reads daily sales all day
access_patterns:
  - name: customers_in_state
    query: SELECT name, city FROM customers WHERE state = :state ORDER BY city
    latency_p95_ms: 50
  - name: customer_by_id
    query: SELECT * FROM customers WHERE id = :id
  - name: move_customer
    query: UPDATE customers SET city = :city WHERE id = :id
volumes:
  Customer: {{rows: 100000}}
  Order: {{rows: 1000000}}
"""


def crm(extra: str = "", kept: str = "") -> str:
    return CRM.format(extra=extra, kept=kept)


def test_violations_are_reported_with_plain_words_and_a_split():
    design = design_of(crm())
    forms = {f.table: f for f in design.normal_forms}
    customers = forms["customers"]
    assert customers.level == "2NF"
    by_rule = {v.rule: v for v in customers.violations}
    zip_city = by_rule["zip_city"]
    assert zip_city.breaks == "3NF"
    assert "every customer in the same zip repeats the city" in zip_city.explanation
    assert zip_city.split.table == "zips" and zip_city.split.key == ("zip",)
    assert set(zip_city.split.columns) == {"zip", "city", "state"}  # state follows city, city follows zip
    assert {t.name for t in design.tables} == {"customers", "orders"}  # reported only
    report = deliverables(design)["report.md"]
    assert "## Normal forms" in report and "Proposed split: `zips`" in report
    # The copied column is a dependency kept on purpose, not a defect.
    orders = forms["orders"].violations
    assert [v.kept for v in orders] == ["the order list shows the email without a join"]


def test_normalize_splits_tables_and_rewrites_read_patterns():
    design = design_of(crm(extra="normalize: true"))
    tables = {t.name: t for t in design.tables}
    assert {"zips", "cities"} <= set(tables)
    assert [c.name for c in tables["zips"].columns] == ["zip", "city"]
    assert tables["zips"].primary_key.columns == ("zip",)
    assert tables["customers"].column("city") is None and tables["customers"].column("state") is None
    fks = {(fk.columns, fk.ref_table) for t in tables.values() for fk in t.foreign_keys}
    assert (("zip",), "zips") in fks and (("city",), "cities") in fks
    assert all(f.level == "BCNF" for f in design.normal_forms if f.table != "orders")
    sql = {p.name: p.sql for p in design.access_patterns}
    assert "JOIN zips" in sql["customers_in_state"] and "cities.state = :state" in sql["customers_in_state"]
    assert sql["customer_by_id"].startswith("SELECT customers.*, zips.city, cities.state")
    # A write of a moved column is not mechanical: kept as it was and said so.
    assert sql["move_customer"] == "UPDATE customers SET city = :city WHERE id = :id"
    assert any(d.subject == "access pattern move_customer" and d.choice == "not rewritten" for d in design.decisions)


def test_cli_normalize_flag(tmp_path):
    spec = tmp_path / "crm.yaml"
    spec.write_text(crm(), encoding="utf-8")
    result = CliRunner().invoke(app, ["design", str(spec), "-o", str(tmp_path / "out"), "--normalize", "--offline"])
    assert result.exit_code == 0, result.output
    assert "CREATE TABLE zips" in (tmp_path / "out" / "schema.sql").read_text(encoding="utf-8")


def test_normalized_design_validates_on_postgresql(pg_url):
    design = design_of(crm(extra="normalize: true").replace("  - name: move_customer\n"
                                                           "    query: UPDATE customers SET city = :city WHERE id = :id\n", ""))
    report = validate(design, render_up(design), render_down(design), database_url=pg_url, rows=20)
    assert report.passed, [c for c in report.checks if c.status != "PASS"]


def _apply(db: Database, design) -> None:
    error = run_script(db, render_up(design))
    assert error is None, error


def test_copied_column_materialized_view_and_summary_table_stay_correct(pg_url):
    design = design_of(crm())
    with scratch_database(pg_url) as url, Database(url) as db:
        _apply(db, design)
        db.execute("INSERT INTO customers (name, zip, city, state, email) VALUES "
                   "('Ann', '10001', 'New York', 'NY', 'ann@example.com')")
        # The client writes a wrong copy: the trigger fills the parent's value instead.
        db.execute("INSERT INTO orders (customer_id, placed_at, total, customer_email) "
                   "VALUES (1, '2026-01-02', 10, 'wrong@example.com'), (1, '2026-01-02', 5, 'x@example.com')")
        assert db.query("SELECT DISTINCT customer_email::text FROM orders") == [("ann@example.com",)]
        db.execute("UPDATE customers SET email = 'ann@new.example.com' WHERE id = 1")
        assert db.query("SELECT DISTINCT customer_email::text FROM orders") == [("ann@new.example.com",)]
        # Materialized view: refreshable without blocking readers (needs its unique index).
        db.execute("REFRESH MATERIALIZED VIEW CONCURRENTLY customer_totals")
        assert db.query("SELECT customer_id, orders, spent FROM customer_totals") == [(1, 2, 15)]
        # Summary table: empty until refreshed, then computed in one call.
        assert db.query_value("SELECT count(*) FROM daily_sales") == 0
        db.execute("SELECT refresh_daily_sales()")
        assert [tuple(map(str, r)) for r in db.query("SELECT day, total FROM daily_sales")] == \
            [("2026-01-02", "15.0000")]
        assert run_script(db, render_down(design)) is None
        assert db.query_value("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace") == 0


def test_kept_dependency_is_enforced_and_propagated(pg_url):
    design = design_of(crm(kept="denormalized: addresses print without a join"))
    forms = {f.table: f for f in design.normal_forms}
    kept = [v for v in forms["customers"].violations if v.rule == "zip_city"]
    assert kept and kept[0].kept == "addresses print without a join"
    with scratch_database(pg_url) as url, Database(url) as db:
        _apply(db, design)
        db.execute("INSERT INTO customers (name, zip, city, state, email) VALUES "
                   "('Ann', '10001', 'New York', 'NY', 'a@example.com'), ('Bob', '10001', 'New York', 'NY', 'b@example.com')")
        with pytest.raises(DatabaseError, match="already has other city"):
            db.execute("INSERT INTO customers (name, zip, city, state, email) VALUES "
                       "('Cy', '10001', 'Boston', 'MA', 'c@example.com')")
        db.execute("INSERT INTO customers (name, zip, city, state, email) VALUES "
                   "('Cy', '02108', 'Boston', 'MA', 'c@example.com')")
        with pytest.raises(DatabaseError, match="already has other city"):  # moving into a zip keeps its city
            db.execute("UPDATE customers SET zip = '10001' WHERE name = 'Cy'")
        db.execute("UPDATE customers SET city = 'NYC' WHERE name = 'Ann'")  # the fact changes: all copies follow
        assert db.query("SELECT DISTINCT city FROM customers WHERE zip = '10001'") == [("NYC",)]


def _errors(tmp_path, text: str) -> list[str]:
    from schemawright.pipeline import load_spec

    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecErrors) as caught:
        load_spec(path)
    return [i.format() for i in caught.value.issues]


def test_spec_errors_for_denormalizations_are_located(tmp_path):
    text = crm().replace("source: Customer.email", "source: Customer.mail")
    line = text.splitlines().index("    source: Customer.mail") + 1
    messages = _errors(tmp_path, text)
    assert any("has no attribute 'mail'" in m and "did you mean 'email'" in m and f":{line}:" in m
               for m in messages), messages
    messages = _errors(tmp_path, crm().replace("kind: summary_table\n", "kind: summary_table\n    entity: Order\n"))
    assert any("`entity` and `source` are for copied_column" in m for m in messages), messages
    messages = _errors(tmp_path, crm().replace("FROM orders GROUP BY 1", "FROM order GROUP BY 1"))
    assert any("summary_table 'daily_sales'" in m for m in messages), messages


def test_rewrite_refuses_what_is_not_mechanical():
    rewrite = JoinRewrite("customers", ("city",), "zips", ("zip",),
                          others={"stores": frozenset({"id", "city"}), "customers": frozenset({"id", "zip", "city"})})
    sql, problem = rewrite_pattern("SELECT s.id FROM customers c JOIN stores s ON s.id = c.id WHERE city = :c", rewrite)
    assert problem and "not qualified" in problem
    sql, problem = rewrite_pattern("SELECT c.id FROM customers c WHERE c.city = :c AND c.zip = :z", rewrite)
    assert problem is None
    assert sql == "SELECT c.id FROM customers AS c JOIN zips ON zips.zip = c.zip WHERE zips.city = :c AND c.zip = :z"


def test_report_is_deterministic():
    text = textwrap.dedent(crm(extra="normalize: true"))
    assert deliverables(design_of(text)) == deliverables(design_of(text))


def test_generated_data_respects_a_kept_dependency(pg_url):
    """Synthetic rows share few zips; the kept-dependency trigger would refuse any row whose
    city disagrees, so the generator must give rows of one zip one city."""
    from schemawright.generation import generate

    text = crm(kept="denormalized: addresses print without a join").replace(
        "zip: {type: string, max_length: 10, required: true}",
        "zip: {type: string, max_length: 10, required: true, data: {distinct: 20}}")
    design = design_of(text)
    with scratch_database(pg_url) as url:
        result = generate(design, url, scale=0.005, seed=3)
        assert result.rows > 500
        with Database(url) as db:
            assert db.query_value("SELECT count(DISTINCT zip) FROM customers") <= 20
            assert db.query_value("SELECT count(*) FROM (SELECT zip FROM customers GROUP BY zip "
                                  "HAVING count(DISTINCT city) > 1) AS bad") == 0
            # The copied column holds the parent's value, whatever the generator drew for it.
            assert db.query_value("SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id "
                                  "WHERE o.customer_email <> c.email") == 0
