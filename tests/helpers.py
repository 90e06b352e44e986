"""Small builders shared by the tests."""

from __future__ import annotations

import textwrap

from schemawright import model as m
from schemawright.pipeline import design_from_spec
from schemawright.pipeline import parse_spec


def design_of(text: str) -> m.Design:
    return design_from_spec(parse_spec(textwrap.dedent(text), "test.yaml"))


SHOP = """\
project: mini
audit: true
entities:
  Customer:
    description: A buyer.
    attributes:
      email: {type: email, required: true, unique: true, pii: true}
      name: {type: string, max_length: 80, required: true}
      tier: {type: enum, values: [basic, gold], default: basic, required: true}
      tags: {type: list, of: string, max_length: 20}
  Order:
    attributes:
      number: {type: string, max_length: 20, required: true}
      status: enum(open, paid, shipped)
      total: money
      placed_at: {type: timestamp, required: true, default: now}
  Product:
    key: uuid
    attributes:
      sku: {type: string, max_length: 32, required: true, unique: true}
      price: {type: decimal, precision: 10, scale: 2, min: 0}
  Profile:
    attributes:
      bio: text
  Employee:
    attributes:
      name: text
relationships:
  - {from: Customer, to: Order, type: one-to-many, required: true}
  - {from: Customer, to: Profile, type: one-to-one}
  - name: OrderLine
    from: Order
    to: Product
    type: many-to-many
    attributes:
      quantity: {type: integer, required: true, min: 1}
  - {from: Employee, to: Employee, type: one-to-many, required: false, role: manager}
rules:
  - {entity: Order, unique: [customer_id, number]}
  - {entity: Order, name: paid_has_total, check: "status <> 'paid' OR total IS NOT NULL"}
  - {entity: Customer, depends: {determinant: [email], dependent: [name]}}
access_patterns:
  - name: orders_of_customer
    query: SELECT * FROM orders WHERE customer_id = :customer_id AND placed_at >= :since ORDER BY placed_at DESC LIMIT 20
    frequency: 50
    latency_p95_ms: 10
  - name: by_sku
    query: SELECT * FROM products WHERE sku = :sku
  - name: open_orders
    entity: Order
    where: {status: "="}
    order_by: [placed_at desc]
    limit: 50
  - name: pay
    query: UPDATE orders SET status = 'paid' WHERE id = :id
"""


# The machine's own PostgreSQL 15 (trust auth), used where a test needs HypoPG or a
# second server version beside the embedded one.
LOCAL_PG15_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def local_pg15_reachable() -> bool:
    import psycopg

    try:
        psycopg.connect(LOCAL_PG15_URL, connect_timeout=2).close()
        return True
    except psycopg.OperationalError:
        return False


def require_pg15_hypopg() -> None:
    """Skip the calling test unless the local PostgreSQL 15 is up and offers HypoPG."""
    import pytest

    from schemawright.database import Database, DatabaseError

    try:
        with Database(LOCAL_PG15_URL) as db:
            if not db.query_value("SELECT 1 FROM pg_available_extensions WHERE name = 'hypopg'"):
                pytest.skip("HypoPG is not installed on PostgreSQL 15 (apt-get install postgresql-15-hypopg)")
    except DatabaseError as error:
        pytest.skip(f"no PostgreSQL at {LOCAL_PG15_URL}: {error}")


def server_for(design, pg_url: str) -> str:  # noqa: ANN001 - a model.Design
    """`pg_url`, or the local PostgreSQL 15 when the design needs an extension `pg_url`'s server
    lacks (pii: encrypt needs pgcrypto, which the embedded server is built without); skips
    the test when neither has it."""
    import pytest

    from schemawright.database import Database

    with Database(pg_url) as admin:
        available = {name for (name,) in admin.query("SELECT name FROM pg_available_extensions")}
    if set(design.extensions) <= available:
        return pg_url
    if not local_pg15_reachable():
        pytest.skip(f"needs {sorted(set(design.extensions) - available)}: no PostgreSQL 15 on 127.0.0.1:5432")
    return LOCAL_PG15_URL
