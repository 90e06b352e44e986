"""`--normalize` as a database reviewer tried it (issue 11, section 4): the DDL of a split
design applies, constraints follow their columns or are dropped with a reason, and report.md
never says a split was made that was not, naming the same table as the split it proposes."""

from __future__ import annotations

import re

import pytest

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


# --------------------------------------------------------------------------- splits not made


def _spec(body: str, normalize: bool) -> str:
    return "project: review\n" + ("normalize: true\n" if normalize else "") + body


def _made(design: m.Design) -> set[str]:
    return {t.name for t in design.tables} - {"customers", "orders", "events", "enrols", "regions"}


def _lines(report: str) -> list[str]:
    return [line for line in report.splitlines() if line.startswith("- Breaks")]


BLOCKED = {
    # A moved column in the primary key: BCNF would change the key.
    "primary key": ("""\
entities:
  Enrol:
    primary_key: [student, course]
    attributes:
      student: {type: string, max_length: 20, required: true}
      course: {type: string, max_length: 20, required: true}
      teacher: {type: string, max_length: 20, required: true}
rules:
  - {name: teacher_course, entity: Enrol, depends: {determinant: [teacher], dependent: [course]}}
""", "course is part of the primary key of enrols"),
    # The partition key of a partitioned table.
    "partition key": ("""\
entities:
  Event:
    partition: {by: list, key: site, values: {a: [x], b: [y]}}
    attributes:
      device: {type: string, max_length: 20, required: true}
      site: {type: string, max_length: 20, required: true}
rules:
  - {name: device_site, entity: Event, depends: {determinant: [device], dependent: [site]}}
""", "site is the partition key of events"),
    # A generated column that would read a column of the other table.
    "generated column": ("""\
entities:
  Customer:
    attributes:
      zip: {type: string, max_length: 10, required: true}
      city: {type: string, max_length: 80, required: true}
      label: {type: string, max_length: 200, generated: "zip || ' ' || city"}
rules:
  - {name: zip_city, entity: Customer, depends: {determinant: [zip], dependent: [city]}}
""", "generated column label reads city"),
}


@pytest.mark.parametrize("case", sorted(BLOCKED))
def test_a_split_that_cannot_be_made_is_reported_as_not_made(case, pg_url):
    body, reason = BLOCKED[case]
    for normalize in (False, True):
        design = design_of(_spec(body, normalize))
        assert not _made(design), case  # no table was split out
        report = deliverables(design)["report.md"]
        breaks = _lines(report)
        assert breaks and all("applies it" not in line for line in breaks), breaks
        assert any(f"`--normalize` does not split it: {reason}" in line for line in breaks), breaks
        if normalize:
            assert any(d.choice == "not split" and reason in d.reason for d in design.decisions)
            _apply(pg_url, design)


def test_a_dependency_lost_to_an_earlier_split_is_not_proposed():
    """Two dependencies with the same dependent: after zip -> city moves city out, phone -> city
    spans two tables; report.md must not promise a `phones` table --normalize never makes."""
    body = """\
entities:
  Customer:
    attributes:
      zip: {type: string, max_length: 10, required: true}
      city: {type: string, max_length: 80, required: true}
      phone: {type: string, max_length: 20, required: true}
rules:
  - {name: zip_city, entity: Customer, depends: {determinant: [zip], dependent: [city]}}
  - {name: phone_city, entity: Customer, depends: {determinant: [phone], dependent: [city]}}
"""
    proposed = _lines(deliverables(design_of(_spec(body, False)))["report.md"])
    assert any("Proposed split: `zips`" in line for line in proposed), proposed
    phone = [line for line in proposed if "rule `phone_city`" in line]
    assert phone and "Proposed split" not in phone[0] and "does not split it" in phone[0], phone
    made = design_of(_spec(body, True))
    assert _made(made) == {"zips"}
    assert "rule phone_city" in _dropped(made)


SAME_NAME = {
    # The determinant is a foreign key: the columns go to the table it references.
    "foreign key": """\
entities:
  Customer:
    attributes:
      email: {type: email, required: true, unique: true}
  Order:
    attributes:
      placed_at: {type: timestamp, required: true}
      customer_email: {type: email, required: true}
relationships:
  - {from: Customer, to: Order, type: one-to-many, required: true}
rules:
  - {name: customer_email, entity: Order, depends: {determinant: [customer_id], dependent: [customer_email]}}
access_patterns:
  - {name: order_page, query: "SELECT id, placed_at, customer_email FROM orders WHERE id = :id"}
""",
    # A foreign key inside a composite determinant: the new table references the same parent.
    "foreign key in the determinant": """\
entities:
  Customer:
    attributes:
      email: {type: email, required: true, unique: true}
  Order:
    attributes:
      zip: {type: string, max_length: 10, required: true}
      city: {type: string, max_length: 80, required: true}
relationships:
  - {from: Customer, to: Order, type: one-to-many, required: true}
rules:
  - {name: customer_zip_city, entity: Order, depends: {determinant: [customer_id, zip], dependent: [city]}}
""",
    # The natural name is taken: proposal and split agree on the next one.
    "name taken": """\
entities:
  Zip:
    table: zips
    attributes:
      code: {type: string, max_length: 10, required: true}
  Customer:
    attributes:
      zip: {type: string, max_length: 10, required: true}
      city: {type: string, max_length: 80, required: true}
rules:
  - {name: zip_city, entity: Customer, depends: {determinant: [zip], dependent: [city]}}
""",
    # A determinant named in another order than the table's columns (shop.yaml's addresses).
    "determinant order": """\
entities:
  Address:
    attributes:
      postal_code: {type: string, max_length: 20, required: true}
      country_code: {type: string, max_length: 2, required: true}
      region: {type: string, max_length: 100}
rules:
  - {name: region, entity: Address, depends: {determinant: [country_code, postal_code], dependent: [region]}}
""",
    # A moved column that is itself a foreign key: the relationship moves with it.
    "foreign key moved": """\
entities:
  Region:
    attributes:
      label: {type: string, max_length: 80, required: true}
  Customer:
    attributes:
      zip: {type: string, max_length: 10, required: true}
relationships:
  - {from: Region, to: Customer, type: one-to-many, required: true}
rules:
  - {name: zip_region, entity: Customer, depends: {determinant: [zip], dependent: [region_id]}}
""",
}


@pytest.mark.parametrize("case", sorted(SAME_NAME))
def test_the_proposal_names_the_table_the_split_makes(case, pg_url):
    body = SAME_NAME[case]
    proposed = _lines(deliverables(design_of(_spec(body, False)))["report.md"])
    names = {n for line in proposed for n in re.findall(r"Proposed split: `([^`]+)` \(([^)]*)\)", line)}
    assert len(names) == 1, proposed
    (table, columns), = names
    design = design_of(_spec(body, True))
    made = {t.name: t for t in design.tables}
    assert table in made, (table, sorted(made))
    for column in columns.split(", "):
        assert made[table].column(column) is not None, (table, column)
    assert all(f.level == "BCNF" for f in design.normal_forms), [(f.table, f.level) for f in design.normal_forms]
    assert not _lines(deliverables(design)["report.md"])
    _apply(pg_url, design)


def test_moving_into_the_referenced_table_rewrites_reads():
    design = design_of(_spec(SAME_NAME["foreign key"], True))
    tables = {t.name: t for t in design.tables}
    assert tables["customers"].column("customer_email") and tables["orders"].column("customer_email") is None
    sql = {p.name: p.sql for p in design.access_patterns}["order_page"]
    assert sql == ("SELECT orders.id, placed_at, customers.customer_email FROM orders "
                   "JOIN customers ON customers.id = orders.customer_id WHERE orders.id = :id")


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
