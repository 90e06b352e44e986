"""Hostile and careless inputs for the fuzz tests (tests/test_fuzz.py) and benchmarks/fuzz.py.

Every mutator takes a `random.Random`, so one integer seed reproduces one input. Specs are
mutated as YAML trees (a value, a key, a whole entry replaced, removed or repeated) and as
text (cut, doubled lines, stray characters); SQL and DBML as text; CSV files are drawn whole.
The interesting values are the ones seen breaking the tool: dollar quotes and statement
breaks in names, YAML 1.1 booleans, dates that do not exist, huge numbers, control bytes.
"""

from __future__ import annotations

import copy
import random
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

# A small spec that uses every feature a mutation could break: partitioning with retention,
# a kept dependency (triggers), a copied column, a view, a kept function, a many-to-many with
# attributes, a list attribute, rules of each kind, patterns of each shape, security.
FEATURE_SPEC = """\
project: fuzz
audit: true
naming: {tables: plural, keys: identity, enums: check}
entities:
  Customer:
    description: A buyer.
    attributes:
      email: {type: email, required: true, unique: true, pii: true}
      full_name: {type: string, max_length: 80, required: true}
      tier: {type: enum, values: [bronze, silver, gold], default: bronze, required: true}
      tags: list(string)
      zip: string(10)
      city: string(60)
  Order:
    attributes:
      status: {type: enum, values: [pending, paid, shipped], required: true, default: pending}
      placed_at: {type: timestamp, required: true, default: "sql: now()"}
      total: {type: money, precision: 12, scale: 2, min: 0, required: true, default: 0}
      note: {type: text, check: "char_length(note) < 500"}
  Product:
    attributes:
      sku: {type: string, max_length: 20, required: true, unique: true}
      price: {type: decimal, precision: 10, scale: 2, required: true, min: 0}
      launched_on: {type: date, default: 2024-01-01}
  Reading:
    partition: {by: range, key: recorded_at, interval: 1 month}
    attributes:
      recorded_at: {type: timestamp, required: true}
      value: {type: decimal, precision: 8, scale: 3}
relationships:
  - {from: Customer, to: Order, type: one-to-many}
  - {from: Product, to: Reading, type: one-to-many}
  - name: order_items
    from: Order
    to: Product
    type: many-to-many
    attributes:
      quantity: {type: integer, required: true, default: 1, min: 1}
      position: {type: integer, required: true, default: 0}
rules:
  - {name: total_positive, entity: Order, check: "total >= 0"}
  - {name: name_per_zip, entity: Customer, unique: [full_name, zip]}
  - name: zip_city
    entity: Customer
    depends: {determinant: [zip], dependent: [city]}
    denormalized: the address form shows the city without a join
denormalizations:
  - {name: customer_email, kind: copied_column, entity: Order, source: Customer.email, reason: the order list shows it}
views:
  - {name: paid_orders, sql: "SELECT id, total FROM orders WHERE status = 'paid'"}
objects:
  - kind: function
    name: order_count
    sql: "CREATE FUNCTION order_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM orders $$"
access_patterns:
  - name: order_history
    query: "SELECT id, status, total FROM orders WHERE customer_id = :customer_id ORDER BY placed_at DESC LIMIT 20"
    frequency: 20
    latency_p95_ms: 10
  - name: place_order
    query: "INSERT INTO orders (customer_id, status, total) VALUES (:customer_id, 'pending', :total)"
    frequency: 5
  - {name: by_email, entity: Customer, where: {email: "="}, limit: 1}
  - name: recent_readings
    query: "SELECT value FROM readings WHERE product_id = :product_id AND recorded_at >= :since"
volumes:
  Customer: {rows: 100000, growth_per_month: 1000}
  Order: {rows: 2000000, growth_per_month: 50000}
  Reading: {rows: 30000000, growth_per_month: 5000000, retention_months: 12}
security:
  tenant_column: null
  pii: mask
  roles:
    - {name: app, read: ["*"], write: [Order]}
availability: {replicas: 1, rpo_seconds: 60}
"""

# Values that broke the tool before, or that sit on a boundary of what it accepts.
INTERESTING: list[object] = [
    "", " ", "0", "-1", "x", "id", "select", "user", "Order", "order", "Position", "position",
    "$$", "$fn$", "$fn$;DROP ROLE IF EXISTS schemawright_fuzz_sentinel;SELECT $fn$",
    "a$$; DROP ROLE IF EXISTS schemawright_fuzz_sentinel; --",
    "qty > 0)); DROP ROLE IF EXISTS schemawright_fuzz_sentinel; CREATE TEMP TABLE p (c int CHECK (true",
    "x'); DROP TABLE customers; --", "*/ DROP TABLE customers; /*", "a\nb", "trailing\n", "tab\there",
    "nul\x00byte", "bell\x07", "\\N", "\\.", "back\\slash", "cr\rlf", "é名前", "a" * 70, 'quo"te', "'",
    "%zz", "{{ x }}", "`", "sql: now()", "sql: 1; DROP ROLE IF EXISTS schemawright_fuzz_sentinel",
    "sql:", "on", "off", "yes", "no", "null", "~", "true", "2024-02-30", "9999-12-31", "0001-01-01",
    "1 month", "1 century", "range(recorded_at, 1 day)", "hash(id, 0)", "list(status)",
    "enum(a, a)", "string(0)", "decimal(1001, 2)", "list(list)", "array(enum)",
    0, 1, -1, 2, 63, 64, 2**31, 2**63, 10**20, int("9" * 60), 0.5, 1e308, float("inf"), float("nan"),
    True, False, None, [], {}, [[[[[]]]]], {"a": {"b": {"c": {}}}}, ["x", "x"],
]

# Keys the spec format knows, so mutations reach deep validation instead of "unknown key".
KNOWN_KEYS = [
    "type", "required", "unique", "default", "max_length", "precision", "scale", "values", "of", "min", "max",
    "check", "description", "pii", "column", "sql_type", "enum_type", "identity", "generated", "data", "table",
    "primary_key", "exclusions", "indexes", "partition", "key", "audit", "attributes", "retention_months",
    "rows", "growth_per_month", "anchor", "interval", "by", "ahead", "bounds", "columns", "references",
    "on_delete", "role", "name", "query", "frequency", "latency_p95_ms", "kind", "where", "order_by", "limit",
    "unique", "depends", "denormalized", "source", "entity", "refresh", "sql", "materialized", "tenant_column",
]


# Values that keep a spec readable but move its meaning, by the key they go under: a type
# the attribute was not meant to have, a check or default of the wrong kind, a column name
# that collides.  They reach the design and the DDL, where the KNOWN_KEYS values mostly
# stop at the first validation.
_TYPES = ["id", "string", "text", "integer", "bigint", "decimal", "money", "boolean", "date", "time", "timestamp",
          "uuid", "email", "phone", "url", "enum", "json", "array", "list"]
_CHECKS = ["qty > 0", "id > 0", "true", "false", "null", "0", "1 + 1", "'abc'", "'yes'", "value > 0",
           "now() > '2024-01-01'", "char_length(email) < 5", "status IN ('a', 'b')", "id IS NOT NULL",
           "total >= 0 AND total < 10", "hash(id, 0)", "position > 0", "created_at < now()", "sku ~ '^[A-Z]'",
           "lower(full_name) = full_name", "recorded_at > '2024-02-30'", "total::text", "coalesce(note, '')",
           "CASE WHEN total > 0 THEN 1 ELSE 0 END", "quantity > 0", "price >= 0", "NOT pii", "id = ANY('{1,2}')"]
_DEFAULTS = ["sql: now()", "sql: 1", "sql: gen_random_uuid()", "sql: current_date", "sql: 'x'", "sql: nextval('s')",
             "sql: total + 1", "sql: (SELECT 1)", "0", 0, -1, 1.5, 10**20, "abc", "2024-02-29", "2024-02-30",
             "2024-01-01 10:00", True, "on", "yes", "t", "", "x" * 300, "00:00", "25:00", "{}", "[]", "pending",
             "bronze", "ZZ", "1e400", "-0", "nan", "now", "today", "00000000-0000-0000-0000-000000000000"]
_NUMBERS = [0, 1, 2, 5, 10, 38, 1000, 1001, 10**6, -5, 0.5, 2**31, -(2**31)]
BY_KEY: dict[str, list[object]] = {
    "type": _TYPES, "of": _TYPES, "check": _CHECKS, "default": _DEFAULTS, "generated": [
        "total * 2", "lower(email)", "now()", "id + 1", "char_length(full_name)", "value", "'x'", "1 / 0"],
    "max_length": _NUMBERS, "precision": _NUMBERS, "scale": _NUMBERS, "min": _NUMBERS + [1e308, -1.5],
    "max": _NUMBERS + [1e308, -1.5], "values": [["a", "b"], ["a", "A"], ["x"], ["it's", "b"], ["", "b"], ["pending"],
                                                 ["on", "off"], ["a b", "a-b"], [str(i) for i in range(70)]],
    "sql_type": ["text", "int", "varchar(10)", "numeric(10,2)", "timestamptz", "int[]", "citext", "geometry", "jsonb",
                 "bit(3)", "money", "serial", "tsvector", "inet", "char", "bool", "date", "interval", "uuid"],
    "column": ["id", "Position", "position", "created_at", "updated_at", "x", "a b", "select", "customer_id", "value"],
    "name": ["id", "Position", "position", "orders", "customers", "x", "a b", "select", "Order", "order_items"],
    "table": ["orders", "customers", "Order", "order_items", "x", "a b", "select", "pg_class", "products"],
    "unique": [True, False, ["id"], ["email", "email"], [], ["id", "email"], ["zip"]],
    "primary_key": [["id"], [], ["email"], ["x"], ["email", "email"], ["recorded_at"], ["sku", "price"]],
    "on_delete": ["cascade", "restrict", "set null", "no action", "set default"],
    "where": ["total > 0", "deleted_at IS NULL", "status = 'paid'", {"email": "="}, {"total": "between"}],
    "interval": ["1 month", "1 day", "1 week", "1 year", "7 days", "1 hour", "3 months", "1 minute"],
    "retention_months": [0, 1, 12, 600, 1200], "ahead": [0, 1, 3, 100], "anchor": ["2024-01-01", "2024-02-29"],
    "partition": ["range(recorded_at, 1 day)", "hash(id, 4)", "list(status)", "range(placed_at, 1 year)",
                  {"by": "hash", "key": "id", "partitions": 8}, {"by": "list", "key": "status"}],
    "key": ["id", "email", "recorded_at", "status", "placed_at", "identity", "uuid"],
    "enum_type": ["mood", "status", "orders", "x"], "identity": [True, False], "required": [True, False],
    "pii": [True, False], "audit": [True, False], "columns": [["id"], ["email"], ["customer_id"], ["x", "y"], []],
    "rows": [0, 1, 10**6, 10**9], "growth_per_month": [0, 1, 10**6],
}

ATTRIBUTE_KEYS = ["type", "of", "check", "default", "generated", "max_length", "precision", "scale", "min", "max",
                  "values", "sql_type", "column", "unique", "enum_type", "identity", "required", "pii"]
RELATIONSHIP_TYPES = ["one-to-one", "one-to-many", "many-to-many"]


def seed_specs() -> list[str]:
    """The bundled examples, the `init` template and the feature spec: where mutations start."""
    texts = [FEATURE_SPEC]
    texts += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples").glob("*.yaml"))]
    template = ROOT / "src" / "schemawright" / "requirements" / "example.yaml"
    if template.exists():
        texts.append(template.read_text(encoding="utf-8"))
    return texts


def seed_sql() -> list[str]:
    """SQL to mutate: the existing-schema examples, plus the DDL the examples design to."""
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples").rglob("*.sql"))]
    texts.append(_FEATURE_DDL_FALLBACK)
    return texts


_FEATURE_DDL_FALLBACK = """\
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE customers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL UNIQUE CHECK (email ~ '^[^@]+@[^@]+$'),
    "select" text DEFAULT 'it''s',
    feeling mood,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE orders (
    id bigint GENERATED ALWAYS AS IDENTITY,
    customer_id bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    placed_at timestamptz NOT NULL,
    total numeric(12,2) CHECK (total >= 0),
    PRIMARY KEY (id, placed_at)
) PARTITION BY RANGE (placed_at);
CREATE TABLE orders_2026 PARTITION OF orders FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE INDEX ix_orders_customer ON orders (customer_id, placed_at DESC) INCLUDE (total) WHERE total > 0;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $body$ BEGIN NEW.placed_at := now(); RETURN NEW; END $body$;
CREATE TRIGGER trg_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch();
CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 1000;
COMMENT ON TABLE customers IS 'People; -- not a comment';
"""

SEED_DBML = """\
Project fuzz { database_type: 'PostgreSQL' }
Enum status {
  pending
  paid
  "on hold"
}
Table customers {
  id bigint [pk, increment]
  email varchar(255) [not null, unique, note: 'login']
  "select" text [default: 'x']
  Note: 'People'
}
Table orders {
  id bigint [pk]
  customer_id bigint [not null, ref: > customers.id]
  status status [not null, default: 'pending']
  total "numeric(12,2)" [default: 0]
  indexes {
    (customer_id, status) [name: 'ix_orders_customer_status']
    total [unique]
  }
}
Table order_lines {
  order_id bigint [ref: > orders.id]
  line_number int
  quantity int [not null]
  indexes {
    (order_id, line_number) [pk]
  }
}
"""


# --- tree mutations of a YAML spec -------------------------------------------------------

def _paths(node: object, path: tuple = ()) -> list[tuple]:
    """Every path into the tree (mapping keys and list positions)."""
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _paths(value, path + (i,))
    return found


def _parent(root: object, path: tuple) -> object:
    node = root
    for part in path[:-1]:
        node = node[part]  # type: ignore[index]
    return node


def _value(rng: random.Random) -> object:
    return copy.deepcopy(rng.choice(INTERESTING))


def _value_like(old: object, rng: random.Random, key: object = None) -> object:
    """Mostly a value of the same kind as `old` or one that fits under `key` (so the spec stays
    valid enough to reach the deeper stages), sometimes any interesting value."""
    if key in BY_KEY and rng.random() < 0.6:
        return copy.deepcopy(rng.choice(BY_KEY[key]))  # type: ignore[index]
    if rng.random() < 0.3:
        return _value(rng)
    same = [v for v in INTERESTING if type(v) is type(old)]
    if isinstance(old, str) and rng.random() < 0.5:  # an edit of the text itself: a name that collides or breaks
        return rng.choice([old.upper(), old.capitalize(), old + rng.choice(["$$", "\n", " ", "'", "_"]), old * 2,
                           old[: max(1, len(old) // 2)], old + str(rng.randrange(3))])
    if isinstance(old, bool):
        return not old
    if isinstance(old, int) and rng.random() < 0.5:
        return rng.choice([old + 1, old - 1, -old, old * 1000, 0])
    return copy.deepcopy(rng.choice(same)) if same else _value(rng)


def mutate_tree(root: object, rng: random.Random) -> object:
    """One tree edit: replace, delete, rename, duplicate, swap or add an entry."""
    root = copy.deepcopy(root)
    paths = [p for p in _paths(root) if p]
    if not paths:
        return _value(rng)
    path = rng.choice(paths)
    parent = _parent(root, path)
    key = path[-1]
    action = rng.choice([0, 0, 0, 1, 2, 3, 4, 5, 6])
    if action == 0:  # replace a value, mostly by one of the same kind
        parent[key] = _value_like(parent[key], rng, key)  # type: ignore[index]
    elif action == 1:  # delete an entry
        del parent[key]  # type: ignore[arg-type, union-attr]
    elif action == 2 and isinstance(parent, dict):  # rename a key: interesting, known, or a typo
        new = rng.choice([rng.choice(KNOWN_KEYS), str(rng.choice(INTERESTING)), str(key)[:-1] or "k"])
        parent[new] = parent.pop(key)
    elif action == 3:  # repeat a subtree somewhere else
        target = rng.choice(paths)
        node = _parent(root, target)
        if isinstance(node, dict):
            node[f"{target[-1]}_copy"] = copy.deepcopy(parent[key])  # type: ignore[index]
        elif isinstance(node, list):
            node.append(copy.deepcopy(parent[key]))  # type: ignore[index]
    elif action == 4:  # swap two values
        other = rng.choice(paths)
        other_parent = _parent(root, other)
        try:
            a, b = parent[key], other_parent[other[-1]]  # type: ignore[index]
            parent[key], other_parent[other[-1]] = copy.deepcopy(b), copy.deepcopy(a)  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            pass
    elif action == 5 and isinstance(parent[key], dict):  # add a known key with an odd value
        added = rng.choice(KNOWN_KEYS)
        fits = added in BY_KEY and rng.random() < 0.6
        parent[key][added] = copy.deepcopy(rng.choice(BY_KEY[added])) if fits else _value(rng)  # type: ignore[index]
    else:  # replace with a value of another shape
        parent[key] = rng.choice([[_value(rng)], {rng.choice(KNOWN_KEYS): _value(rng)}, str(_value(rng))])
    return root


def nudge_tree(root: object, rng: random.Random) -> object:
    """One edit that keeps the spec's shape: a value under a key the format knows is replaced by
    another that fits the key (BY_KEY), or an attribute gains such a key.  Most results still
    pass the schema, so they test the checks that stand between a spec and its DDL."""
    root = copy.deepcopy(root)
    paths = [p for p in _paths(root) if p and p[-1] in BY_KEY]
    attributes = [p for p in _paths(root) if len(p) > 1 and p[-2] == "attributes" and isinstance(_at(root, p), dict)]
    if attributes and (not paths or rng.random() < 0.3):
        attribute = _at(root, rng.choice(attributes))
        key = rng.choice(ATTRIBUTE_KEYS)
        attribute[key] = copy.deepcopy(rng.choice(BY_KEY[key]))  # type: ignore[index]
    elif paths:
        path = rng.choice(paths)
        pool = RELATIONSHIP_TYPES if path[0] == "relationships" and path[-1] == "type" and len(path) == 3 else \
            BY_KEY[path[-1]]
        _parent(root, path)[path[-1]] = copy.deepcopy(rng.choice(pool))  # type: ignore[index]
    return root


def _at(root: object, path: tuple) -> object:
    return _parent(root, path)[path[-1]]  # type: ignore[index]


def mutate_text(text: str, rng: random.Random) -> str:
    """One text edit: cut, a repeated or dropped line, stray characters, odd indentation."""
    lines = text.splitlines(keepends=True) or [""]
    action = rng.randrange(6)
    if action == 0:
        return text[: rng.randrange(len(text) + 1)]
    if action == 1:
        i = rng.randrange(len(lines))
        return "".join(lines[: i + 1] + lines[i:])
    if action == 2:
        i = rng.randrange(len(lines))
        return "".join(lines[:i] + lines[i + 1:])
    if action == 3:
        i = rng.randrange(len(text) + 1)
        return text[:i] + rng.choice(["'", '"', "{", "[", ":", "&a ", "*a", "!!", "\t", "\x00", "$$", ";", "(", "--",
                                      "/*", "\\", "%", "#", "\n- ", "\ufeff"]) + text[i:]
    if action == 4:
        i = rng.randrange(len(lines))
        lines[i] = " " * rng.randrange(1, 5) + lines[i]
        return "".join(lines)
    i, j = sorted(rng.randrange(len(text) + 1) for _ in range(2))
    return text[:i] + text[j:]


def mutated_spec(seeds: list[str], rng: random.Random, edits: int | None = None) -> str:
    """A seed spec after a few tree edits (dumped back to YAML), sometimes followed by text edits.
    Two in five get edits that keep the spec's shape (nudge_tree), the others any edit."""
    text = rng.choice(seeds)
    tree = yaml.safe_load(text)
    mutate = nudge_tree if rng.random() < 0.4 else mutate_tree
    for _ in range(edits if edits is not None else rng.choice([1, 1, 2, 3])):
        tree = mutate(tree, rng)
    text = yaml.safe_dump(tree, allow_unicode=True, sort_keys=False, width=10_000)
    if rng.random() < 0.1:
        text = mutate_text(text, rng)
    return text


SQL_TOKENS = ["'", '"', "$$", "$x$", ";", "(", ")", ",", "--", "/*", "*/", "CREATE TABLE t (", "REFERENCES",
              "PRIMARY KEY", "DEFAULT", "CHECK (", "CONSTRAINT", "NOT NULL", "UNIQUE", "INDEX", "ON", "PARTITION BY",
              "E'\\''", "\\", "\x00", "é", "`", "[", "]", "int", "numeric(1001,2)", "varchar(0)", "GO", "DELIMITER //"]


def mutated_sql(seeds: list[str], rng: random.Random) -> str:
    """SQL with a few token-level edits: stray quotes, dropped parentheses, cut statements."""
    text = rng.choice(seeds)
    for _ in range(rng.randint(1, 4)):
        if rng.random() < 0.4:
            text = replace_word(text, rng)
        elif rng.random() < 0.5:
            i = rng.randrange(len(text) + 1)
            text = text[:i] + " " + rng.choice(SQL_TOKENS) + " " + text[i:]
        else:
            text = mutate_text(text, rng)
    return text


DBML_TOKENS = ["{", "}", "[", "]", "'", '"', "`", ":", ",", "pk", "ref: > x.y", "ref: < customers.id", "not null",
               "Table t {", "indexes {", "checks {", "Enum e {", "note: '''", "\\", "\x00", "increment", "default: ",
               "Ref: orders.id > customers.id", "TableGroup g {", "(a, b)", "int", "bigint [pk, pk]"]


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|'[^'\n]*'|\"[^\"\n]*\"|\b\d+\b")
_WORDS = ["id", "select", "order", "Table", "pk", "null", "ref", "x" * 70, "é", "a b", "0", "-1", "99999999999999999999",
          "int", "numeric(1001, 2)", "varchar(0)", "'it''s'", '"q""q"', "'$$'", "`now()`", "true"]


def replace_word(text: str, rng: random.Random) -> str:
    """One name, number or quoted value swapped for another: the syntax stays, the meaning moves."""
    words = list(_WORD.finditer(text))
    if not words:
        return text
    found = rng.choice(words)
    new = rng.choice(_WORDS + [found.group(0)[:-1] or "_", found.group(0).upper(), f'"{rng.choice(INTERESTING)}"'])
    return text[: found.start()] + str(new) + text[found.end():]


def mutated_dbml(seeds: list[str], rng: random.Random) -> str:
    text = rng.choice(seeds)
    if rng.random() < 0.6:  # names and values only, so most inputs get past the parser
        for _ in range(rng.randint(1, 3)):
            text = replace_word(text, rng)
        return text
    for _ in range(rng.randint(1, 4)):
        if rng.random() < 0.5:
            text = replace_word(text, rng)
        elif rng.random() < 0.5:
            i = rng.randrange(len(text) + 1)
            text = text[:i] + " " + rng.choice(DBML_TOKENS) + " " + text[i:]
        else:
            text = mutate_text(text, rng)
    return text


CSV_CELLS = ["", " ", "0", "1", "-1", "x", "a,b", '"q"', "'", "\\N", "NULL", "null", "é", "1.5", "1e400", "nan",
             "2024-02-30", "2024-01-01", "true", "\t", "9" * 40, "\x00", "a\nb", "=1+1"]


def random_csv(rng: random.Random) -> str:
    """A whole CSV: zero to 30 rows, 1 to 12 columns, cells from odd values and small integers."""
    columns = rng.randint(1, 12)
    rows = rng.randint(0, 30)
    header = rng.random() < 0.8
    delimiter = rng.choice([",", ",", ";", "\t", "|"])
    out = []
    if header:
        names = [rng.choice(["id", "name", "", "a b", "id", "é", "x" * 80, f"c{i}"]) for i in range(columns)]
        out.append(delimiter.join(_csv_cell(n, delimiter) for n in names))
    distinct = rng.randint(1, 6)
    for _ in range(rows):
        cells = [str(rng.randrange(distinct)) if rng.random() < 0.7 else rng.choice(CSV_CELLS) for _ in range(columns)]
        out.append(delimiter.join(_csv_cell(c, delimiter) for c in cells))
    text = "\n".join(out) + ("\n" if rng.random() < 0.9 else "")
    if rng.random() < 0.2:
        text = mutate_text(text, rng)
    return text


def _csv_cell(value: str, delimiter: str) -> str:
    if any(ch in value for ch in (delimiter, '"', "\n", "\r")):
        return '"' + value.replace('"', '""') + '"'
    return value
