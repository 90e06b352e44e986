"""Unit tests of each pipeline stage on one small spec."""

from __future__ import annotations

import pytest

from helpers import SHOP, design_of
from schemawright.naming import Namer, fit, pluralise, snake
from schemawright.sql.postgresql import render_down, render_up
from schemawright.sql.quoting import quote_ident


@pytest.fixture(scope="module")
def design():
    return design_of(SHOP)


def test_naming_rules():
    assert snake("OrderLine") == "order_line" and snake("HTTPServer") == "http_server"
    assert [pluralise(w) for w in ("category", "box", "day", "order", "status")] == \
        ["categories", "boxes", "days", "orders", "statuses"]
    assert Namer("singular").table("OrderLine") == "order_line"
    long = "x" * 80
    assert len(fit(long).encode()) == 63 and fit(long) != fit(long[:-1] + "y")
    assert quote_ident("order") == '"order"' and quote_ident("Mixed") == '"Mixed"'
    assert quote_ident('a"b') == '"a""b"' and quote_ident("plain_name") == "plain_name"


def test_conceptual_structured_pattern_and_kinds(design):
    patterns = {p.name: p for p in design.access_patterns}
    assert patterns["open_orders"].sql == "SELECT * FROM orders WHERE status = :status ORDER BY placed_at DESC LIMIT 50"
    assert patterns["pay"].kind == "write" and patterns["by_sku"].kind == "read"
    rel = {r.name: r for r in design.relationships}
    assert rel["Employee_Employee_manager"].on_delete == "set null"
    assert rel["OrderLine"].on_delete == "cascade"
    assert rel["Customer_Order"].on_delete == "restrict"


def test_logical_tables_keys_and_junction(design):
    names = [t.name for t in design.tables]
    assert names == ["customers", "customer_tags", "orders", "products", "profiles", "employees", "order_line"]
    orders = design.table("orders")
    assert orders.column("customer_id").nullable is False
    assert [fk.name for fk in orders.foreign_keys] == ["fk_orders_customer_id"]
    assert {u.columns for u in orders.uniques} == {("customer_id", "number")}
    profile = design.table("profiles")
    assert ("customer_id",) in {u.columns for u in profile.uniques}  # one-to-one
    line = design.table("order_line")
    assert line.primary_key.columns == ("order_id", "product_id") and line.kind == "junction"
    assert line.column("quantity").nullable is False
    assert any(c.name == "ck_order_line_quantity_range" and c.expression == "quantity >= 1" for c in line.checks)
    employees = design.table("employees")
    assert employees.column("manager_id").nullable and employees.foreign_keys[0].ref_table == "employees"
    tags = design.table("customer_tags")
    assert tags.kind == "list" and tags.primary_key.columns == ("customer_id", "value")
    assert tags.foreign_keys[0].on_delete == "cascade"
    assert any(r.kind == "depends" and r.dependent == ("name",) for r in design.rules)


def test_physical_types(design):
    customers, orders, products = design.table("customers"), design.table("orders"), design.table("products")
    assert customers.column("email").sql_type == "citext" and "citext" in design.extensions
    assert customers.column("name").sql_type == "text"
    assert any(c.expression == "char_length(name) <= 80" for c in customers.checks)
    assert any(c.expression == "tier IN ('basic', 'gold')" for c in customers.checks)
    assert customers.column("tier").default == "'basic'"
    assert orders.column("total").sql_type == "numeric(19,4)"
    assert orders.column("placed_at").sql_type == "timestamptz" and orders.column("placed_at").default == "now()"
    assert products.column("price").sql_type == "numeric(10,2)"
    assert products.column("id").sql_type == "uuid" and products.column("id").default == "gen_random_uuid()"
    assert design.table("order_line").column("product_id").sql_type == "uuid"  # follows the referenced key
    assert orders.column("id").identity and orders.column("customer_id").sql_type == "bigint"
    subjects = {d.subject for d in design.decisions if d.step == "physical"}
    assert {"type money", "type email", "type enum", "type timestamp", "type string"} <= subjects


def test_enum_as_type_option():
    design = design_of("""\
        project: p
        naming: {enums: type}
        entities:
          Ticket: {attributes: {state: "enum(new, done)"}}
        """)
    assert [(e.name, e.values) for e in design.enums] == [("tickets_state", ("new", "done"))]
    assert design.table("tickets").column("state").sql_type == "tickets_state"
    assert "CREATE TYPE tickets_state AS ENUM ('new', 'done');" in render_up(design)


def test_audit_columns_and_trigger(design):
    assert [c.name for c in design.table("orders").columns][-4:] == ["created_at", "updated_at", "created_by", "updated_by"]
    assert {t.table for t in design.triggers} == {"customers", "orders", "products", "profiles", "employees"}
    assert design.table("order_line").column("created_at") is None


def test_first_cut_indexes(design):
    by_name = {i.name: i for i in design.indexes}
    composite = by_name["ix_orders_customer_id_placed_at"]
    assert [(c.expression, c.descending) for c in composite.columns] == [("customer_id", False), ("placed_at", True)]
    assert composite.patterns == ("orders_of_customer",)
    assert "foreign key" not in composite.reason  # uq_orders_customer_id_number already leads with customer_id
    assert "ix_orders_customer_id" not in by_name
    assert "ix_order_line_product_id" in by_name  # second column of the junction key
    assert "ix_order_line_order_id" not in by_name  # served by the primary key
    assert "ix_profiles_customer_id" not in by_name  # served by the one-to-one unique key
    assert "ix_products_sku" not in by_name  # the unique constraint serves by_sku
    patterns = {p.name: p for p in design.access_patterns}
    assert patterns["by_sku"].served_by == ("uq_products_sku",)
    assert patterns["pay"].served_by == ("pk_orders",)
    # status (an enum of 3 values, compared with a parameter) leads no index; the LIMIT reads placed_at in order
    assert patterns["open_orders"].served_by == ("ix_orders_placed_at",)


def test_ddl_is_deterministic_and_ordered(design):
    up = render_up(design)
    assert up == render_up(design_of(SHOP))
    assert up.index("CREATE EXTENSION") < up.index("CREATE TABLE") < up.index("ADD CONSTRAINT fk_") < up.index("CREATE INDEX")
    assert "COMMENT ON TABLE customers IS 'A buyer.';" in up
    down = render_down(design)
    assert down.index("DROP CONSTRAINT") < down.index("DROP TABLE") < down.index("DROP FUNCTION")
    assert down.strip().endswith("DROP EXTENSION IF EXISTS citext;")


def test_render_generated_columns_exclusions_and_views():
    from schemawright import model as m

    table = m.Table(name="booking", columns=(
        m.Column(name="id", semantic="id", sql_type="bigint", nullable=False, identity=True),
        m.Column(name="room", semantic="integer", sql_type="integer", nullable=False),
        m.Column(name="room_x2", semantic="integer", sql_type="integer", generated="room * 2"),
    ), primary_key=m.PrimaryKey(name="pk_booking", columns=("id",)),
        exclusions=(m.Exclusion(name="ex_booking_room", definition="USING btree (room WITH =)"),))
    design = m.Design(project="p", tables=(table,), views=(m.View(name="rooms", sql="SELECT DISTINCT room FROM booking"),))
    up, down = render_up(design), render_down(design)
    assert "room_x2 integer GENERATED ALWAYS AS (room * 2) STORED" in up
    assert "CONSTRAINT ex_booking_room EXCLUDE USING btree (room WITH =)" in up
    assert "CREATE VIEW rooms AS\nSELECT DISTINCT room FROM booking;" in up
    assert down.index("DROP VIEW rooms;") < down.index("DROP TABLE booking;")


EXISTING = """\
project: legacy
naming: {case: preserve, tables: singular}
entities:
  country:
    primary_key: [code]
    attributes:
      code: {type: string, sql_type: "char(2)", required: true}
      name: {type: string, sql_type: "varchar(80)", required: true}
  city:
    primary_key: [country_code, name]
    attributes:
      country_code: {type: string, sql_type: "char(2)", required: true}
      name: {type: string, sql_type: "varchar(80)", required: true}
      state: {type: enum, values: [open, closed], enum_type: place_state, required: true}
    indexes:
      - {columns: ["(lower(name))"], unique: true, name: uq_city_lower_name}
      - {columns: [state, name desc], where: "state = 'open'"}
  shop:
    attributes:
      city_country: {type: string, sql_type: "char(2)"}
      city_name: {type: string, sql_type: "varchar(80)"}
      serial_no: {type: integer, identity: true, required: true}
relationships:
  - {from: country, to: city, type: one-to-many, columns: [country_code]}
  - {from: city, to: shop, type: one-to-many, required: false, columns: [city_country, city_name]}
"""


def test_natural_keys_explicit_foreign_keys_and_declared_indexes():
    design = design_of(EXISTING)
    city, shop = design.table("city"), design.table("shop")
    assert city.primary_key.columns == ("country_code", "name") and city.column("id") is None
    assert [c.name for c in city.columns] == ["country_code", "name", "state"]  # reused, not added
    assert city.column("country_code").sql_type == "char(2)" and city.column("state").sql_type == "place_state"
    assert [(e.name, e.values) for e in design.enums] == [("place_state", ("open", "closed"))]
    fk = shop.foreign_keys[0]
    assert (fk.columns, fk.ref_table, fk.ref_columns) == (("city_country", "city_name"), "city", ("country_code", "name"))
    assert shop.column("serial_no").identity and shop.column("id").identity
    by_name = {i.name: i for i in design.indexes}
    assert by_name["uq_city_lower_name"].unique and by_name["uq_city_lower_name"].columns[0].expression == "(lower(name))"
    partial = by_name["ix_city_state_name"]
    assert partial.where == "state = 'open'" and partial.columns[1].descending
    assert "ix_city_country_code" not in by_name  # the primary key's leading column serves the foreign key
    up = render_up(design)
    assert "CONSTRAINT pk_city PRIMARY KEY (country_code, name)" in up
    assert "FOREIGN KEY (city_country, city_name)\n    REFERENCES city (country_code, name)" in up


def test_bad_keys_and_references_are_located():
    from schemawright.errors import SpecErrors

    bad = EXISTING.replace("primary_key: [code]", "primary_key: [cod]").replace(
        "columns: [city_country, city_name]}", "columns: [city_country]}")
    with pytest.raises(SpecErrors) as info:
        design_of(bad)
    messages = [(i.line, i.message) for i in info.value.issues]
    assert (5, "primary key column 'cod' is not a column of country") in messages
    assert any("1 foreign key column(s) for 2 referenced column(s)" in m for _, m in messages)


def test_existing_style_design_applies_and_rolls_back(pg_url):
    import psycopg

    from schemawright.database import scratch_database

    design = design_of(EXISTING)
    with scratch_database(pg_url) as url, psycopg.connect(url, autocommit=True) as conn:
        conn.execute(render_up(design))
        conn.execute("INSERT INTO country VALUES ('FR', 'France')")
        conn.execute("INSERT INTO city (country_code, name, state) VALUES ('FR', 'Paris', 'open')")
        conn.execute("INSERT INTO shop (city_country, city_name) VALUES ('FR', 'Paris')")
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            conn.execute("INSERT INTO shop (city_country, city_name) VALUES ('FR', 'Lyon')")
        conn.execute(render_down(design))
        left = conn.execute("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace").fetchone()[0]
        assert left == 0


def test_structured_order_by_keeps_trailing_spaces_of_a_column_name():
    # Found by the property test: "  padded  desc" sorted by "  padded" instead of "  padded ".
    design = design_of("""\
        project: p
        entities:
          Thing: {attributes: {x: {type: integer, column: "  padded "}}}
        access_patterns:
          - {name: s, entity: Thing, order_by: ["  padded  desc"]}
        """)
    assert design.access_patterns[0].sql == 'SELECT * FROM things ORDER BY "  padded " DESC'
