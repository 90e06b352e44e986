"""`--normalize` as a database reviewer tried it (issue 11, section 4): the DDL of a split
design applies, constraints follow their columns or are dropped with a reason."""

from __future__ import annotations

from schemawright import model as m
from schemawright.database import Database, scratch_database
from schemawright.pipeline import deliverables
from schemawright.sql.postgresql import render_up
from schemawright.validation.script import run_script
from helpers import design_of

# Every kind of constraint that can read a moved column: one of each moves with city to
# `zips`, one of each reads name (stays) and city (moves) and cannot be created on either.
CONSTRAINTS = """\
project: crm
normalize: true
entities:
  Customer:
    attributes:
      name: {type: string, max_length: 100, required: true, check: "name <> city"}
      zip: {type: string, max_length: 10, required: true, check: "zip ~ '^[0-9]+$'"}
      city: {type: string, max_length: 80, required: true, check: "city <> ''"}
      county: {type: string, max_length: 80}
      email: {type: email, required: true, unique: true}
    indexes:
      - {columns: [city]}
      - {columns: [name, city]}
      - {columns: ["(lower(city))"], where: "zip <> ''"}
    exclusions:
      - {name: ex_city_zip, definition: "USING btree (city WITH =, zip WITH =)"}
      - {name: ex_name_city, definition: "USING btree (name WITH =, city WITH =)"}
rules:
  - name: zip_city
    entity: Customer
    depends: {determinant: [zip], dependent: [city, county]}
  - {name: city_nonblank, entity: Customer, check: "length(city) > 0"}
  - {name: name_not_city, entity: Customer, check: "name <> city"}
  - {name: county_unique, entity: Customer, unique: [county]}  # nullable: not a key
  - {name: name_city_unique, entity: Customer, unique: [name, city]}
  - {name: name_determines_city, entity: Customer, depends: {determinant: [name], dependent: [city]}}
"""


def _apply(pg_url: str, design: m.Design) -> None:
    with scratch_database(pg_url) as url, Database(url) as db:
        error = run_script(db, render_up(design))
        assert error is None, error


def _dropped(design: m.Design) -> dict[str, str]:
    return {d.subject: d.reason for d in design.decisions if d.choice.startswith("dropped by the split")}


def test_constraints_follow_their_columns_and_the_ddl_applies(pg_url):
    design = design_of(CONSTRAINTS)
    tables = {t.name: t for t in design.tables}
    customers, zips = tables["customers"], tables["zips"]
    assert customers.column("city") is None and zips.column("city") is not None
    # Moved with city: rules, the attribute's own check, the index and exclusion on zips' columns.
    rules = {r.name: r.entity for r in design.rules}
    assert rules["city_nonblank"] == rules["county_unique"] == "Zip"
    assert {c.expression for c in zips.checks} >= {"city <> ''", "length(city) > 0"}
    assert [x.name for x in zips.exclusions] == ["ex_city_zip"] and not customers.exclusions
    assert any(u.columns == ("county",) for u in zips.uniques)
    on_zips = [i for i in design.indexes if i.table == "zips"]
    assert {tuple(c.expression for c in i.columns) for i in on_zips} >= {("city",), ("(lower(city))",)}
    # Read both tables: dropped, each with its reason.
    dropped = _dropped(design)
    assert {"rule name_not_city", "rule name_city_unique", "rule name_determines_city", "exclusion ex_name_city",
            "index (name, city)", "Customer.name check"} <= set(dropped)
    assert "reads name of customers and city, which the split of rule zip_city moved to zips" in \
        dropped["rule name_not_city"]
    assert "name_not_city" not in rules and "name_city_unique" not in rules
    assert not any("city" in c.expression for c in customers.checks)
    # The zip check stays on customers and is not copied onto zips' key when it reads other columns.
    assert any(c.expression == "zip ~ '^[0-9]+$'" for c in customers.checks)
    _apply(pg_url, design)


def test_rules_of_other_kinds_follow_their_columns(pg_url):
    text = CONSTRAINTS + """\
  - name: one_open_per_city
    entity: Customer
    at_most_one: {per: [city], where: "zip LIKE '9%'"}
  - name: one_per_name
    entity: Customer
    at_most_one: {per: [name], where: "city = 'Paris'"}
"""
    design = design_of(text)
    rules = {r.name: r.entity for r in design.rules}
    assert rules["one_open_per_city"] == "Zip" and "one_per_name" not in rules
    assert "rule one_per_name" in _dropped(design)
    _apply(pg_url, design)


def test_the_same_spec_reports_the_drops_in_report_md():
    report = deliverables(design_of(CONSTRAINTS))["report.md"]
    assert "dropped by the split of rule zip_city" in report


def test_the_reviewers_check_moves_with_its_columns(pg_url):
    """The case the review hit: a CHECK left on customers after city moved to zips."""
    design = design_of("""\
project: crm
normalize: true
entities:
  Customer:
    attributes:
      zip: {type: string, max_length: 10, required: true}
      city: {type: string, max_length: 80, required: true}
rules:
  - {name: zip_city, entity: Customer, depends: {determinant: [zip], dependent: [city]}}
  - {name: city_nonblank, entity: Customer, check: "city <> ''"}
""")
    assert "CONSTRAINT ck_zips_city_nonblank CHECK (city <> '')" in render_up(design)
    _apply(pg_url, design)
