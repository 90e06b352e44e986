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
