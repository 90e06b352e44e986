"""What a database reviewer hit trying new specs (issue 11, section 4): each defect reproduced
with a small spec, then proven fixed on a real PostgreSQL."""

from __future__ import annotations

import pytest

from schemawright.database import Database, DatabaseError, scratch_database
from schemawright.pipeline import validate
from schemawright.sql.postgresql import render_down, render_up
from schemawright.validation.script import run_script
from helpers import design_of

# A dependency kept on purpose whose determinant is a foreign key: an inserted trip takes an
# existing driver, whose other trips already carry a region.
KEPT = """\
project: rides
entities:
  Driver:
    attributes:
      name: {type: string, max_length: 100, required: true}
  Trip:
    attributes:
      city: {type: string, max_length: 80, required: true}
      region: {type: string, max_length: 80, required: true}
      fare: {type: money, required: true}
relationships:
  - {from: Driver, to: Trip, type: one-to-many, required: true}
rules:
  - name: driver_region
    entity: Trip
    depends: {determinant: [driver_id], dependent: [region]}
    denormalized: trip lists show the driver's region without a join
access_patterns:
  - name: add_trip
    query: INSERT INTO trips (driver_id, city, region, fare) VALUES (:driver_id, :city, :region, :fare)
  - name: add_trip_returning
    query: INSERT INTO trips (region, driver_id, city, fare) VALUES (:region, :driver_id, :city, :fare) RETURNING id
  - name: trips_of_driver
    query: SELECT city, region FROM trips WHERE driver_id = :driver_id
"""


def _failures(report) -> list:
    return [c for c in report.checks if c.status != "PASS"]


def test_insert_patterns_pass_validate_beside_a_kept_dependency(pg_url):
    design = design_of(KEPT)
    report = validate(design, render_up(design), render_down(design), database_url=pg_url, rows=20)
    assert report.passed, _failures(report)


def test_a_kept_dependency_still_refuses_a_disagreeing_insert(pg_url):
    design = design_of(KEPT)
    with scratch_database(pg_url) as url, Database(url) as db:
        assert run_script(db, render_up(design)) is None
        db.execute("INSERT INTO drivers (name) VALUES ('Ann')")
        db.execute("INSERT INTO trips (driver_id, city, region, fare) VALUES (1, 'Oslo', 'East', 10)")
        db.execute("INSERT INTO trips (driver_id, city, region, fare) VALUES (1, 'Bergen', 'East', 12)")
        with pytest.raises(DatabaseError, match="already has other region"):
            db.execute("INSERT INTO trips (driver_id, city, region, fare) VALUES (1, 'Oslo', 'West', 10)")


def test_bench_draws_agree_with_a_kept_dependency(pg_url):
    """bench draws a different driver per run: each run's region is that driver's."""
    from schemawright.performance.draws import draw_bindings
    from schemawright.validation.params import positional

    design = design_of(KEPT)
    pattern = next(p for p in design.access_patterns if p.name == "add_trip")
    with scratch_database(pg_url) as url, Database(url) as db:
        assert run_script(db, render_up(design)) is None
        db.execute("INSERT INTO drivers (name) SELECT 'driver ' || i FROM generate_series(1, 6) AS i")
        db.execute("INSERT INTO trips (driver_id, city, region, fare) "
                   "SELECT d, 'Oslo', 'region ' || d, 10 FROM generate_series(1, 6) AS d")
        names = positional(pattern.sql).names
        types = ["bigint", "character varying", "character varying", "numeric"]
        bindings = draw_bindings(db, design, pattern, names, types, 12, enums={}, seed=1)
        drawn = [dict(zip(names, b)) for b in bindings]
        assert len({d["driver_id"] for d in drawn}) > 1, drawn  # the draws do vary the driver
        assert all(d["region"] == f"region {d['driver_id']}" for d in drawn), drawn


# A copied column read by an access pattern (SQL and structured) and led by a declared index.
COPIED = """\
project: shop
entities:
  Customer:
    attributes:
      email: {type: email, required: true, unique: true}
  Order:
    attributes:
      placed_at: {type: timestamp, required: true}
    indexes:
      - {columns: [customer_email, placed_at]}
relationships:
  - {from: Customer, to: Order, type: one-to-many, required: true}
denormalizations:
  - name: customer_email
    kind: copied_column
    entity: Order
    source: Customer.email
    reason: the order list shows the email without a join
access_patterns:
  - name: orders_by_email
    query: SELECT id, placed_at FROM orders WHERE customer_email = :email ORDER BY placed_at DESC
  - name: orders_by_email_structured
    entity: Order
    where: {customer_email: "="}
"""


def test_a_copied_column_serves_patterns_and_a_declared_index(pg_url):
    design = design_of(COPIED)  # parse_spec runs every check: it raised SpecErrors before
    index = next(i for i in design.indexes if i.table == "orders" and i.columns[0].expression == "customer_email")
    assert [c.expression for c in index.columns] == ["customer_email", "placed_at"]
    assert index.reason == "declared in the spec"
    served = {p.name: p.served_by for p in design.access_patterns}
    assert index.name in served["orders_by_email"] and index.name in served["orders_by_email_structured"]
    columns = [c.name for c in design.table("orders").columns]
    assert columns.count("customer_email") == 1
    report = validate(design, render_up(design), render_down(design), database_url=pg_url, rows=20)
    assert report.passed, _failures(report)


def test_a_copied_column_meeting_an_attribute_is_located(tmp_path):
    from schemawright.errors import SpecErrors
    from schemawright.pipeline import load_spec

    text = COPIED.replace("      placed_at: {type: timestamp, required: true}\n",
                          "      placed_at: {type: timestamp, required: true}\n      customer_email: string\n")
    path = tmp_path / "clash.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecErrors) as caught:
        load_spec(path)
    line = text.splitlines().index("  - name: customer_email") + 1
    assert [i.format() for i in caught.value.issues] == [
        f"{path}:{line}:11: error: copied column 'customer_email' becomes column 'customer_email' of Order, "
        "which is already attribute 'customer_email'\n    hint: give the copy another `name:`"]


# Rules, volumes and roles naming a many-to-many junction, by its relationship's name
# (OrderLine) and by the junction table's name (order_line).
JUNCTION = """\
project: shop
entities:
  Order:
    attributes:
      number: {type: string, max_length: 20, required: true}
  Product:
    attributes:
      sku: {type: text, required: true, unique: true}
      shelf: {type: string, max_length: 8}
relationships:
  - name: OrderLine
    from: Order
    to: Product
    type: many-to-many
    attributes:
      quantity: {type: integer, required: true, min: 1}
      position: {type: integer, required: true}
      unit: {type: string, max_length: 8, required: true}
rules:
  - {name: line_position, entity: OrderLine, unique: [order_id, position]}
  - {name: small_lines, entity: order_line, check: "quantity <= 1000"}
  - name: product_unit
    entity: order_line
    depends: {determinant: [product_id], dependent: [unit]}
    denormalized: the picking list shows the unit without a join
volumes:
  Order: {rows: 1000}
  Product: {rows: 200}
  order_line: {rows: 3000}
security:
  roles:
    - {name: clerk, read: [Order, OrderLine], write: [order_line]}
access_patterns:
  - name: add_line
    query: INSERT INTO order_line (order_id, product_id, quantity, position, unit) VALUES (:o, :p, :q, :n, :u)
"""


def test_rules_volumes_and_roles_name_a_junction(pg_url):
    from schemawright.generation.counts import row_counts

    design = design_of(JUNCTION)
    line = design.table("order_line")
    assert line.kind == "junction" and design.table_for_entity("OrderLine") is line
    assert {r.name: r.entity for r in design.rules} == {
        "line_position": "OrderLine", "small_lines": "OrderLine", "product_unit": "OrderLine"}
    assert [u.columns for u in line.uniques] == [("order_id", "position")]
    assert "quantity <= 1000" in [c.expression for c in line.checks]
    assert {t.name for t in design.triggers if t.table == "order_line"} == {
        "trg_order_line_product_unit_check", "trg_order_line_product_unit_sync"}
    assert [(v.entity, v.rows) for v in design.volumes][-1] == ("OrderLine", 3000)
    assert (design.security.roles[0].read, design.security.roles[0].write) == (("Order", "OrderLine"), ("OrderLine",))
    # The declared volume, not twice the larger parent's 1,000 rows.
    assert row_counts(design, 1.0) == {"orders": 1000, "products": 200, "order_line": 3000}
    report = validate(design, render_up(design), render_down(design), database_url=pg_url, rows=20)
    assert report.passed, _failures(report)
    with scratch_database(pg_url) as url, Database(url) as db:
        assert run_script(db, render_up(design)) is None
        db.execute("INSERT INTO orders (number) VALUES ('A1'); INSERT INTO products (sku) VALUES ('S1')")
        with pytest.raises(DatabaseError, match="ck_order_line_small_lines"):
            db.execute("INSERT INTO order_line (order_id, product_id, quantity, position, unit) VALUES (1, 1, 5000, 1, 'kg')")


def test_unknown_junction_names_are_located_with_a_suggestion(tmp_path):
    from schemawright.errors import SpecErrors
    from schemawright.pipeline import load_spec

    text = (JUNCTION.replace("entity: OrderLine, unique", "entity: OrderLines, unique")
            .replace("write: [order_line]", "write: [order_lines]")
            .replace("  order_line: {rows: 3000}\n", "  order_line: {rows: 3000}\n  OrderLine: {rows: 5}\n  Orderline: {rows: 5}\n"))
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecErrors) as caught:
        load_spec(path)
    lines = text.splitlines()

    def at(prefix: str) -> int:
        return next(i for i, line in enumerate(lines, 1) if line.startswith(prefix))

    neither = "which is neither an entity nor a many-to-many relationship or its junction table"
    assert [i.format() for i in caught.value.issues] == [
        f"{path}:{at('  - {name: line_position')}:35: error: rule names 'OrderLines', {neither}\n"
        "    hint: did you mean 'OrderLine'?",
        f"{path}:{at('  OrderLine:')}:3: error: volume 'OrderLine' is the volume of 'order_line' again (the same "
        "table)\n    hint: give each table one volume",
        f"{path}:{at('  Orderline:')}:3: error: volume names 'Orderline', {neither}, nor a list attribute "
        "(`Entity.attribute`) or its table\n    hint: did you mean 'OrderLine'?",
        f"{path}:{at('    - {name: clerk')}:55: error: role 'clerk' names 'order_lines', {neither}\n"
        "    hint: did you mean 'order_line'?"]


def test_an_orphan_row_with_a_copied_column_is_refused_by_its_foreign_key(pg_url):
    """The copy is NOT NULL and PostgreSQL checks that before the foreign key: the fill trigger
    refuses a row with no parent itself, with the foreign key's SQLSTATE and name, so an
    application sees what is really wrong (not 'null value in column customer_email')."""
    design = design_of(COPIED)
    with scratch_database(pg_url) as url, Database(url) as db:
        assert run_script(db, render_up(design)) is None
        with pytest.raises(DatabaseError) as caught:
            db.execute("INSERT INTO orders (customer_id, placed_at) VALUES (42, now())")
        assert (caught.value.sqlstate, caught.value.constraint) == ("23503", "fk_orders_customer_id")
        assert "orders: customer_id = 42 is not a row of customers" in caught.value.message
        db.execute("INSERT INTO customers (email) VALUES ('ann@example.com')")
        db.execute("INSERT INTO orders (customer_id, placed_at) VALUES (1, now())")
        assert db.query_value("SELECT customer_email::text FROM orders") == "ann@example.com"
