"""DBML: import (every construct dbdiagram.io users write), located errors, export, and the
round trip model -> DBML -> model; imported schemas are applied to a real PostgreSQL."""

from __future__ import annotations

import pytest
from helpers import SHOP, design_of

from schemawright import model as m
from schemawright.database import Database, DatabaseError, scratch_database
from schemawright.errors import SpecErrors
from schemawright.exporters.dbml import to_dbml
from schemawright.importers.dbml import import_dbml
from schemawright.importers.sqlglot_sql import import_sql
from schemawright.sql.postgresql import render_up

SHOP_DBML = """\
Project shop {
  database_type: 'PostgreSQL'
  Note: 'A small shop'
}

// Enums become PostgreSQL enum types
enum order_status {
  open
  paid [note: 'money received']
  "in transit"
}

Table users as U {
  id integer [pk, increment]
  email varchar(255) [not null, unique, note: 'Login e-mail']
  name varchar(80) [default: 'anonymous']
  score int [default: 5, null]
  active boolean [default: true]
  created_at timestamptz [not null, default: `now()`]
  legacy_flag tinyint(1) [default: 1]
  seen datetime
  Note: 'People who log in'
}

Table orders {
  id bigint [pk, increment]
  user_id integer [not null, ref: > U.id]
  status order_status [not null, default: 'open']
  total "numeric(10,2)" [check: `total >= 0`]
  placed_at timestamp [not null, default: `CURRENT_TIMESTAMP`]

  indexes {
    (user_id, placed_at) [name: 'ix_orders_user_placed']
    status [type: hash]
    `date_trunc('day', placed_at)` [name: 'ix_orders_day']
    (user_id, `placed_at desc`) [name: 'ix_orders_recent']
  }

  checks {
    `placed_at > '2000-01-01'` [name: 'placed_recently']
  }
}

Table products {
  id int [pk]
  sku varchar(32) [not null]
  name text

  indexes {
    sku [unique, name: 'uq_products_sku', note: 'unique constraint']
    `to_tsvector('simple'::regconfig, name)` [name: 'ix_products_name', note: 'using gin where name IS NOT NULL']
  }
}

Table profiles {
  user_id integer [pk]
  bio text
}

Table "order notes" {
  "order id" bigint
  "the note" text [not null]
}

Ref: orders.id <> products.id [delete: cascade]
Ref profile_user: users.id - profiles.user_id [delete: cascade]
Ref: orders.id < "order notes"."order id"

TableGroup sales {
  orders
  products
}
"""


def structure(design: m.Design) -> dict:
    """What a DBML round trip must keep: tables, columns, keys, constraints, indexes, enums."""
    return {
        "project": design.project, "description": design.description, "extensions": design.extensions,
        "enums": design.enums,
        "tables": [(t.name, t.description,
                    [(c.name, c.sql_type, c.nullable, c.default, c.identity, c.description) for c in t.columns],
                    t.primary_key, [(f.name, f.columns, f.ref_table, f.ref_columns, f.on_delete) for f in t.foreign_keys],
                    [(u.name, u.columns) for u in t.uniques], [(c.name, c.expression) for c in t.checks])
                   for t in design.tables],
        "indexes": sorted((i.table, i.name, i.columns, i.unique, i.method, i.where, i.include) for i in design.indexes),
    }


def test_import_everything_dbml_says() -> None:
    design = import_dbml(SHOP_DBML, "shop.dbml")
    assert design.project == "shop" and design.description == "A small shop"
    assert design.source == m.Source(kind="dbml", path="shop.dbml", dialect="dbml", database_type="PostgreSQL",
                                     table_groups={"sales": ("orders", "products")})
    assert design.enums == (m.EnumType(name="order_status", values=("open", "paid", "in transit")),)
    users = design.table("users")
    assert users.description == "People who log in"
    assert users.primary_key == m.PrimaryKey(name="users_pkey", columns=("id",))
    user_id = users.column("id")
    assert user_id.identity and not user_id.nullable and user_id.semantic == "id"
    email = users.column("email")
    assert (email.sql_type, email.nullable, email.description) == ("varchar(255)", False, "Login e-mail")
    assert users.uniques == (m.Unique(name="users_email_key", columns=("email",)),)
    assert [(c.name, c.default) for c in users.columns if c.default] == [
        ("name", "'anonymous'"), ("score", "5"), ("active", "true"), ("created_at", "now()"), ("legacy_flag", "true")]
    assert users.column("legacy_flag").sql_type == "boolean"  # MySQL spelling translated, with a decision
    assert users.column("seen").sql_type == "timestamp"
    assert any(d.subject == "users.seen" for d in design.decisions)
    orders = design.table("orders")
    assert orders.column("status").sql_type == "order_status" and orders.column("status").semantic == "enum"
    assert orders.column("total").sql_type == "numeric(10,2)"
    assert [(f.name, f.columns, f.ref_table, f.ref_columns, f.on_delete) for f in orders.foreign_keys] == [
        ("orders_user_id_fkey", ("user_id",), "users", ("id",), "no action")]
    assert {(c.name, c.expression) for c in orders.checks} == {("placed_recently", "placed_at > '2000-01-01'"),
                                                               ("orders_total_check", "total >= 0")}
    indexes = {i.name: i for i in design.indexes}
    assert indexes["ix_orders_user_placed"].columns == (m.IndexColumn(expression="user_id"),
                                                        m.IndexColumn(expression="placed_at"))
    assert indexes["orders_status_idx"].method == "hash"
    assert indexes["ix_orders_day"].columns == (m.IndexColumn(expression="(date_trunc('day', placed_at))"),)
    assert indexes["ix_orders_recent"].columns[1] == m.IndexColumn(expression="placed_at", descending=True)
    gin = indexes["ix_products_name"]
    assert (gin.method, gin.where) == ("gin", "name IS NOT NULL")
    assert design.table("products").uniques == (m.Unique(name="uq_products_sku", columns=("sku",)),)
    # one-to-one: the key side is referenced; many-to-many: a junction table; `<`: the right side refers.
    profiles = design.table("profiles")
    assert [(f.name, f.columns, f.ref_table, f.on_delete) for f in profiles.foreign_keys] == [
        ("profile_user", ("user_id",), "users", "cascade")]
    junction = design.table("orders_products")
    assert junction.kind == "junction" and junction.primary_key.columns == ("orders_id", "products_id")
    assert [c.sql_type for c in junction.columns] == ["bigint", "int"]  # the types of the keys, as written
    assert {(f.ref_table, f.on_delete) for f in junction.foreign_keys} == {("orders", "cascade"), ("products", "cascade")}
    notes = design.table("order notes")
    assert notes.foreign_keys[0].columns == ("order id",) and notes.foreign_keys[0].ref_table == "orders"
    assert {e.name for e in design.entities} >= {"User", "Order", "Product"}
    assert design.import_notes == ()


def test_imported_dbml_applies_to_postgresql(pg_url: str) -> None:
    design = import_dbml(SHOP_DBML, "shop.dbml")
    with scratch_database(pg_url) as url, Database(url) as db:
        db.execute(render_up(design))
        db.execute("INSERT INTO users (email) VALUES ('a@b.c')")
        db.execute("INSERT INTO orders (user_id, total) VALUES (1, 3)")
        with pytest.raises(DatabaseError) as error:
            db.execute("INSERT INTO orders (user_id, total) VALUES (1, -3)")
        assert error.value.is_integrity_error


@pytest.mark.parametrize(("text", "line", "column", "message"), [
    ("Table a {\n  id int [pk]\n}\n\nRef: a.id > b.id\n", 5, 13, "reference to table b, which is not defined"),
    ("Table a {\n  id int [pk]\n  x int [ref: > a.nope]\n}\n", 3, 19, "reference to column a.nope"),
    ("Table a {\n  id int [pk]\n}\nTable a {\n  id int\n}\n", 4, 1, "table a is defined twice"),
    ("Table a {\n  id int [pk, foo]\n}\n", 2, 15, "unknown setting 'foo'"),
    ("Table a {\n  id int [default: -1]\n}\n", 2, 20, "DBML syntax error"),
    ("Table a {\n  id int [pk]\n  indexes {\n    (id, zz) [unique]\n  }\n}\n", 4, 10, "names column zz"),
    ("Table a {\n  id int [pk]\n}\nTableGroup g {\n  a\n  b\n}\n", 6, 3, "names table b"),
    ("Table a {\n  id int [pk]\n", 3, 1, "expected '}'"),
    ("Table a {\n  id int\n  id text\n}\n", 3, 3, "column id appears twice"),
])
def test_errors_are_located(text: str, line: int, column: int, message: str) -> None:
    with pytest.raises(SpecErrors) as error:
        import_dbml(text, "bad.dbml")
    issue = error.value.issues[0]
    assert (issue.file, issue.line, issue.column) == ("bad.dbml", line, column)
    assert message in issue.message
    assert issue.hint


def test_every_error_is_reported_at_once_with_a_suggestion() -> None:
    text = ("Table users {\n  id int [pk]\n}\nTable posts {\n  id int [pk]\n  user_id int [ref: > user.id]\n"
            "  owner int [ref: > users.idd]\n}\n")
    with pytest.raises(SpecErrors) as error:
        import_dbml(text, "posts.dbml")
    issues = error.value.issues
    assert [(i.line, i.column) for i in issues] == [(6, 23), (7, 27)]
    assert issues[0].hint == "did you mean 'users'?" and issues[1].hint == "did you mean 'id'?"
    assert str(error.value).startswith("posts.dbml:6:23: error: reference to table user")


def test_round_trip_of_a_designed_model() -> None:
    design = design_of(SHOP)
    text = to_dbml(design)
    assert to_dbml(design) == text  # deterministic
    again = import_dbml(text, "shop.dbml")
    assert structure(again) == structure(design)
    # What DBML cannot say is listed, not lost silently.
    assert "// function set_audit_columns: not expressible in DBML" in text
    assert "// view customers_masked: not expressible in DBML" in text  # pii: mask
    assert to_dbml(again) == text.split("\n// view")[0].rstrip("\n") + "\n"


def test_round_trip_of_imported_dbml() -> None:
    design = import_dbml(SHOP_DBML, "shop.dbml")
    text = to_dbml(design)
    again = import_dbml(text, "shop.dbml")
    assert structure(again) == structure(design)
    assert again.source == design.source
    assert to_dbml(again) == text


def test_round_trip_of_a_mysql_dump_and_sqlite_schema(pg_url: str) -> None:
    """Exotic names (CONSTRAINT_1, `order notes`), expression and GIN indexes, partial
    indexes and descending keys survive DBML; generated columns are listed as comments."""
    from test_import_mysql_sqlite import MYSQLDUMP, SQLITE_DDL

    for text, dialect in ((MYSQLDUMP, "mysql"), (SQLITE_DDL, "sqlite")):
        design = import_sql(text, "x.sql", dialect)
        dbml = to_dbml(design)
        again = import_dbml(dbml, "x.dbml")
        plain = design.model_copy(update={"tables": tuple(
            t.model_copy(update={"columns": tuple(c.model_copy(update={"generated": None}) for c in t.columns)})
            for t in design.tables)})
        assert structure(again) == structure(plain), dialect
        assert "generated always as" in dbml
        with scratch_database(pg_url) as url, Database(url) as db:
            db.execute(render_up(again))


def test_dbml_spelling() -> None:
    design = m.Design(project="odd names", tables=(
        m.Table(name="table", columns=(
            m.Column(name="weird col", semantic="text", sql_type="double precision", nullable=False,
                     description="it's \"quoted\"\nand two lines"),
            m.Column(name="n", semantic="integer", sql_type="integer", default="-1"),
            m.Column(name="price", semantic="decimal", sql_type="numeric(10,2)", default="0.00"),
            m.Column(name="label", semantic="text", sql_type="text", default="'it''s'"),
        ), primary_key=m.PrimaryKey(name="order_key", columns=("weird col",))),
    ))
    text = to_dbml(design)
    assert 'Table "table" {' in text and '"weird col" "double precision"' in text
    assert "default: `-1`" in text and "default: `0.00`" in text and "default: 'it\\'s'" in text
    assert "[pk, name: 'order_key']" in text
    assert structure(import_dbml(text, "odd.dbml")) == structure(design)


def test_security_objects_are_listed_not_lost() -> None:
    design = design_of(SHOP + "security:\n  tenant_column: customer_id\n  roles:\n    - {name: app, read: ['*']}\n")
    text = to_dbml(design)
    assert "// role mini_app (group, " in text and "// role mini_owner (owner, 0 grant(s))" in text
    assert "// row-level security on orders (forced, 4 policies): not expressible in DBML" in text
