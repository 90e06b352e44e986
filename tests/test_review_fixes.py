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
