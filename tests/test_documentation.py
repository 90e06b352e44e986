"""Documentation deliverables: ERDs (Mermaid, DOT, SVG), data dictionary, report, model.json."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET

import pytest

from schemawright import model as m
from schemawright.documentation import (
    model_json_schema,
    render_svg,
    to_data_dictionary,
    to_dot,
    to_mermaid,
    to_model_json,
    to_report,
)

WEIRD = 'odd "name" & <b>ü|`x`'


def _col(name, sql_type, nullable=True, **kw):
    return m.Column(name=name, semantic=kw.pop("semantic", "string"), sql_type=sql_type, nullable=nullable, **kw)


def _id(table):
    return m.Column(name="id", semantic="id", sql_type="bigint", nullable=False, identity=True,
                    description="Surrogate primary key.")


def _pk(table, *cols):
    return m.PrimaryKey(name=f"pk_{table}", columns=cols or ("id",))


def _fk(table, col, ref, rel, on_delete="restrict"):
    return m.ForeignKey(name=f"fk_{table}_{col}", columns=(col,), ref_table=ref, ref_columns=("id",),
                        on_delete=on_delete, relationship=rel)


def sample_design() -> m.Design:
    """A small shop with every shape the diagrams must draw: one-to-many, a self
    relationship, a one-to-one, a many-to-many junction with at_least_one, a list table,
    a reserved-word table name and a name full of quotes, markup and unicode."""
    customers = m.Table(
        name="customers", entity="Customer", description="People who buy things.",
        columns=(_id("customers"),
                 _col("email", "text", False, semantic="email", pii=True, description="Login and contact address."),
                 _col("full_name", "varchar(120)", description="Name as the customer writes it.", pii=True),
                 _col("status", "text", False, semantic="enum", default="'active'")),
        primary_key=_pk("customers"),
        uniques=(m.Unique(name="uq_customers_email", columns=("email",), reason="email is unique"),),
        checks=(m.Check(name="ck_customers_status", expression="status IN ('active', 'closed')",
                        reason="enum status as a CHECK"),),
    )
    order = m.Table(
        name="order", entity="Order", description="A checkout.",
        columns=(_id("order"),
                 _col("customer_id", "bigint", False, semantic="fk", description="The Customer this Order belongs to."),
                 _col("placed_at", "timestamptz", False, semantic="timestamp", default="now()"),
                 _col("total", "numeric(12,2)", False, semantic="money")),
        primary_key=_pk("order"),
        foreign_keys=(_fk("order", "customer_id", "customers", "customer_orders"),),
    )
    employees = m.Table(
        name="employees", entity="Employee",
        columns=(_id("employees"), _col("manager_id", "bigint", semantic="fk"), _col("name", "text", False)),
        primary_key=_pk("employees"),
        foreign_keys=(_fk("employees", "manager_id", "employees", "reports_to", "set null"),),
    )
    profiles = m.Table(
        name="customer_profiles", entity="CustomerProfile",
        columns=(_id("customer_profiles"), _col("customer_id", "bigint", False, semantic="fk"), _col("bio", "text")),
        primary_key=_pk("customer_profiles"),
        foreign_keys=(_fk("customer_profiles", "customer_id", "customers", "customer_profile", "cascade"),),
        uniques=(m.Unique(name="uq_customer_profiles_customer_id", columns=("customer_id",),
                          reason="one-to-one relationship customer_profile"),),
    )
    products = m.Table(
        name="products", entity="Product",
        columns=(_id("products"), _col("name", "text", False), _col("sku", "text", False)),
        primary_key=_pk("products"),
        uniques=(m.Unique(name="uq_products_sku", columns=("sku",)),),
    )
    items = m.Table(
        name="order_items", kind="junction", entity="order_items", description="Products in an order.",
        columns=(_col("order_id", "bigint", False, semantic="fk"), _col("product_id", "bigint", False, semantic="fk"),
                 _col("quantity", "integer", False, semantic="integer", default="1")),
        primary_key=_pk("order_items", "order_id", "product_id"),
        foreign_keys=(_fk("order_items", "order_id", "order", "order_items", "cascade"),
                      _fk("order_items", "product_id", "products", "order_items", "cascade")),
    )
    tags = m.Table(
        name="product_tags", kind="list", entity="Product.tags",
        columns=(_col("product_id", "bigint", False, semantic="fk"), _col("value", "text", False)),
        primary_key=_pk("product_tags", "product_id", "value"),
        foreign_keys=(_fk("product_tags", "product_id", "products", "Product.tags", "cascade"),),
    )
    weird = m.Table(
        name=WEIRD, entity="Weird", description="Stress test <script>alert(1)</script> | pipes",
        columns=(_id(WEIRD), _col("a|b`c", "text", description='says "hi"'), _col("größe", "integer"),
                 _col("customer_id", "bigint", semantic="fk")),
        primary_key=_pk("weird"),
        foreign_keys=(_fk("weird", "customer_id", "customers", None, "set null"),),
    )
    return m.Design(
        project="Tiny shop",
        description="A shop used by the documentation tests.",
        entities=(
            m.Entity(name="Customer", description="People who buy things.", attributes=(
                m.Attribute(name="email", type="email", required=True, unique=True, pii=True),
                m.Attribute(name="zip", type="string"), m.Attribute(name="city", type="string"))),
            m.Entity(name="Order"), m.Entity(name="Employee"), m.Entity(name="CustomerProfile"),
            m.Entity(name="Product"), m.Entity(name="Weird"),
        ),
        relationships=(
            m.Relationship(name="customer_orders", parent="Customer", child="Order", cardinality="one-to-many",
                           description="places"),
            m.Relationship(name="reports_to", parent="Employee", child="Employee", cardinality="one-to-many",
                           required=False, role="manager", on_delete="set null"),
            m.Relationship(name="customer_profile", parent="Customer", child="CustomerProfile",
                           cardinality="one-to-one", on_delete="cascade"),
            m.Relationship(name="order_items", parent="Order", child="Product", cardinality="many-to-many",
                           at_least_one=True, on_delete="cascade"),
        ),
        rules=(
            m.Rule(name="zip_city", entity="Customer", kind="depends", columns=("zip",), dependent=("city",),
                   description="A zip code lies in one city."),
            m.Rule(name="email_lower", entity="Customer", kind="check", expression="email = lower(email)"),
            m.Rule(name="name_email", entity="Customer", kind="unique", columns=("full_name", "email")),
        ),
        access_patterns=(
            m.AccessPattern(name="orders_by_customer", frequency=50, latency_p95_ms=20,
                            sql="SELECT * FROM \"order\" WHERE customer_id = :customer_id ORDER BY placed_at DESC LIMIT 20"),
            m.AccessPattern(name="customer_by_id", frequency=200, latency_p95_ms=5,
                            sql="SELECT * FROM customers c WHERE c.id = :id"),
            m.AccessPattern(name="new_order", kind="write", frequency=5,
                            sql="INSERT INTO \"order\" (customer_id, total) VALUES (:customer_id, :total)"),
            m.AccessPattern(name="products_by_name", frequency=1,
                            sql="SELECT * FROM products WHERE name ILIKE :q"),
        ),
        volumes=(m.Volume(entity="Customer", rows=50_000, growth_per_month=1_000),
                 m.Volume(entity="Order", rows=2_000_000, growth_per_month=100_000, retention_months=36)),
        transactions={"isolation": "repeatable read", "atomic": ["place an order with its items"]},
        security={"roles": [{"name": "app", "description": "The web app", "read": ["*"], "write": ["Order"]}],
                  "tenant_column": None, "pii": "mask"},
        availability={"replicas": 2, "rpo_seconds": 60, "rto_seconds": 300},
        tables=(customers, order, employees, profiles, products, items, tags, weird),
        indexes=(
            m.Index(name="ix_order_customer_id_placed_at", table="order",
                    columns=(m.IndexColumn(expression="customer_id"), m.IndexColumn(expression="placed_at", descending=True)),
                    reason="orders of one customer, newest first", patterns=("orders_by_customer",)),
            m.Index(name="ix_employees_manager_id", table="employees", columns=(m.IndexColumn(expression="manager_id"),),
                    reason="foreign key employees.manager_id: deletes of a manager and joins"),
            m.Index(name="ix_order_items_product_id", table="order_items",
                    columns=(m.IndexColumn(expression="product_id"),), reason="foreign key to products"),
        ),
        decisions=(
            m.Decision(step="physical", subject="order.total", choice="numeric(12,2)", reason="money needs exact decimals"),
            m.Decision(step="logical", subject="relationship order_items", choice="junction table order_items",
                       reason="many-to-many needs its own table"),
            m.Decision(step="indexing", subject="ix_order_customer_id_placed_at", choice="btree (customer_id, placed_at DESC)",
                       reason="equality column first, then the sort"),
        ),
    )
