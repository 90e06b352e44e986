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
                            sql="SELECT * FROM customers c WHERE c.id = :id", served_by=("pk_customers",)),
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


@pytest.fixture(scope="module")
def design() -> m.Design:
    return sample_design()


def _column_names(d: m.Design):
    return [(t.name, c.name) for t in d.tables for c in t.columns]


# ------------------------------------------------------------------ Mermaid

# The subset of Mermaid's erDiagram grammar we promise to stay within (see mermaid.py).
_MMD_WORD = r"[A-Za-z_][A-Za-z0-9_\-()\[\]]*"
_MMD_ATTRIBUTE = re.compile(rf'^ {{8}}{_MMD_WORD} {_MMD_WORD}( (PK|FK|UK)(,(PK|FK|UK))*)?( "[^"]*")?$')
_MMD_ENTITY = re.compile(r'^ {4}[A-Za-z][A-Za-z0-9_]*(\["[^"%\\\r\n]+"\])? \{$')
_MMD_RELATION = re.compile(r'^ {4}[A-Za-z][A-Za-z0-9_]* (\|\||\|o)(--|\.\.)(o\{|\|\{|o\||\|\|) [A-Za-z][A-Za-z0-9_]* : "[^"]*"$')


def _assert_mermaid_grammar(text: str) -> None:
    lines = text.splitlines()
    assert lines[0] == "erDiagram"
    for line in lines[1:]:
        assert (line == "    }" or _MMD_ATTRIBUTE.match(line) or _MMD_ENTITY.match(line)
                or _MMD_RELATION.match(line)), f"not in the Mermaid subset: {line!r}"


def test_mermaid_lists_every_table_and_column(design):
    out = to_mermaid(design)
    _assert_mermaid_grammar(out)
    assert out.endswith("}\n") or out.endswith('"\n')
    for table in design.tables:
        if table.name != WEIRD:
            assert f"    {table.name} {{" in out
    for table, column in _column_names(design):
        if table != WEIRD:
            assert re.search(rf"^ {{8}}\S+ {re.escape(column)}\b", out, re.M), (table, column)
    assert "        numeric(12_2) total" in out  # the comma is outside Mermaid 10's attribute words
    assert "        bigint order_id PK,FK" in out
    assert "        text sku UK" in out
    assert '        text email UK "Login and contact address."' in out


def test_mermaid_cardinalities_follow_the_foreign_keys(design):
    out = to_mermaid(design)
    assert '    customers ||..o{ order : "customer_id"' in out  # NOT NULL FK: exactly one parent
    assert '    employees |o..o{ employees : "manager"' in out  # self reference, nullable, labelled by role
    assert '    customers ||..o| customer_profiles : "customer_id"' in out  # unique FK: one-to-one
    assert '    order ||--|{ order_items : "order_id"' in out  # junction leg with at_least_one, identifying
    assert '    products ||--o{ order_items : "product_id"' in out
    assert '    products ||--o{ product_tags : "product_id"' in out
    assert re.search(r'^    customers \|o\.\.o\{ odd_name_b_x : "customer_id"$', out, re.M)


def test_mermaid_aliases_odd_names_and_keeps_the_real_one(design):
    out = to_mermaid(design)
    assert """    odd_name_b_x["odd 'name' & <b>ü|`x`"] {""" in out
    assert '        text a_b_c "a|b`c: says \'hi\'"' in out
    assert '        integer gr__e "größe"' in out


def test_mermaid_keywords_and_collisions_get_distinct_ids():
    tables = tuple(m.Table(name=n, columns=(m.Column(name="pk", semantic="id", sql_type="bigint"),))
                   for n in ("end", "End", "one", "9lives", "a b", "a_b", "users"))
    out = to_mermaid(m.Design(project="p", tables=tables))
    _assert_mermaid_grammar(out)
    heads = [line.strip()[:-2] for line in out.splitlines() if line.endswith(" {")]
    ids = [h.split("[")[0] for h in heads]
    assert len({i.lower() for i in ids}) == len(ids)
    assert 'end_["end"]' in heads and 'one_["one"]' in heads and 't_9lives["9lives"]' in heads
    assert "a_b" in ids and "users" in heads
    assert "        bigint pk_" in out  # a column named PK would be read as a key marker


# ------------------------------------------------------------------ Graphviz

def test_dot_tables_columns_and_escaping(design):
    out = to_dot(design)
    assert out.startswith("digraph erd {\n") and out.endswith("}\n")
    assert "rankdir=LR" in out
    for table in design.tables:
        assert f"<B>{_html(table.name)}</B>" in out
        for column in table.columns:
            assert _html(column.name) in out
    assert "odd &quot;name&quot; &amp; &lt;b&gt;ü|`x`" in out
    labels = out.split("label=<")[1:]
    assert labels and all("<b>ü" not in label.split(">>")[0] for label in labels)  # user text never becomes markup
    assert '"table_0" [label=<' in out  # odd names never become DOT ids
    assert 'tooltip="Stress test <script>alert(1)</script> | pipes"' in out
    assert r'odd \"name\" & <b>ü|`x`(customer_id)' in out  # quotes escaped inside DOT strings
    assert "<B><U>id</U></B>" in out  # primary key columns stand out
    assert "numeric(12,2)" in out


def test_dot_crows_feet(design):
    out = to_dot(design)
    assert '"order":c1e:e -> "customers":c0w:w [arrowhead="teetee", arrowtail="crowodot"' in out
    assert '"employees":c1e:e -> "employees":c0e:e [arrowhead="teeodot", arrowtail="crowodot"' in out
    assert '"customer_profiles":c1e:e -> "customers":c0w:w [arrowhead="teetee", arrowtail="teeodot"' in out
    assert '"order_items":c0e:e -> "order":c0w:w [arrowhead="teetee", arrowtail="crowtee"' in out
    assert '"table_0":c3e:e -> "customers":c0w:w [arrowhead="teeodot", arrowtail="crowodot"' in out


def test_dot_lists_composite_unique_under_the_columns():
    t = m.Table(name="t", columns=(m.Column(name="a", semantic="string", sql_type="text"),
                                   m.Column(name="b", semantic="string", sql_type="text")),
                uniques=(m.Unique(name="uq_t_a_b", columns=("a", "b")),))
    out = to_dot(m.Design(project="p", tables=(t,)))
    assert "UNIQUE (a, b)" in out and "UK" not in out


def _html(s: str) -> str:
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
            .replace("[", "&#91;").replace("]", "&#93;"))


needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")


@needs_dot
def test_render_svg_produces_valid_svg(design):
    svg = render_svg(to_dot(design))
    root = ET.fromstring(svg.encode("utf-8"))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = {"".join(e.itertext()) for e in root.iter("{http://www.w3.org/2000/svg}text")}
    assert {"customers", "order", "order_items", 'odd "name" & <b>ü|`x`', "größe"} <= texts
    assert render_svg(to_dot(design)) == svg  # deterministic for one Graphviz


def test_render_svg_without_graphviz(monkeypatch, design):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert render_svg(to_dot(design)) is None


# ------------------------------------------------------------------ data dictionary

def _md_tables(text: str):
    """Markdown tables as lists of rows of cells (GitHub's rule: `\\|` is not a cell break)."""
    tables, current = [], []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            current.append([c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]])
        elif current:
            tables.append(current)
            current = []
    return tables


def _assert_links_resolve(text: str) -> None:
    targets = set(re.findall(r'<a id="([^"]+)"></a>', text))
    links = set(re.findall(r"\]\(#([^)]+)\)", text))
    assert links and links <= targets, links - targets
    assert len(re.findall(r'<a id="', text)) == len(targets)  # anchors are unique


def _assert_tables_well_formed(text: str) -> None:
    for rows in _md_tables(text):
        assert len({len(r) for r in rows}) == 1, rows


def test_dictionary_covers_every_table_column_and_index(design):
    out = to_data_dictionary(design)
    _assert_links_resolve(out)
    _assert_tables_well_formed(out)
    for table in design.tables:
        if table.name != WEIRD:
            assert f"## `{table.name}`" in out
    assert "## `` odd \"name\" & <b>ü|`x` ``" in out
    cells = {r[0] for rows in _md_tables(out) for r in rows}
    for table, column in _column_names(design):
        name = f"`{column}`" if "`" not in column else "``a\\|b`c``"
        assert any(c == name or c.startswith(name + " ") for c in cells), column
    for index in design.indexes:
        assert f"`{index.name}`" in out and index.reason in out
    assert "| `ix_order_customer_id_placed_at` | B-tree (`customer_id`, `placed_at` DESC) | " \
           "orders of one customer, newest first | `orders_by_customer` |" in out
    assert "| `email` **UK** | `text` (email) | no |  | Login and contact address. | yes |" in out
    assert "| `quantity` | `integer` | no | `1` |" in out
    assert "[`customers`](#table-customers) | entity | 50,000 | 1,000 | People who buy things. |" in out


def test_dictionary_says_cardinality_in_words(design):
    out = to_data_dictionary(design)
    assert ("Each **Order** belongs to exactly one **Customer** (`customer_id` → [`customers`](#table-customers)); "
            "a **Customer** has zero or more **Orders** (*places*).") in out
    assert ("Each **Employee** belongs to at most one **Employee** as its *manager* (`manager_id` → "
            "[`employees`](#table-employees)); an **Employee** is the *manager* of zero or more **Employees**.") in out
    assert "a **Customer** has at most one **CustomerProfile** (one-to-one)" in out
    assert ("Many-to-many through [`order_items`](#table-order-items): each **Order** has one or more "
            "**Products**, and each **Product** has zero or more **Orders**.") in out
    assert "Each row of `product_tags` belongs to exactly one **Product**" in out
    assert "CASCADE: deleting the parent deletes these rows" in out


def test_dictionary_rules_and_escaping(design):
    out = to_data_dictionary(design)
    assert ("`zip_city` (functional dependency): `zip` → `city`: rows with the same `zip` always have the "
            "same `city`. A zip code lies in one city.") in out
    assert "`email_lower` (condition on each row): each row satisfies `email = lower(email)`." in out
    assert "`name_email` (uniqueness): `full_name`, `email` are unique together." in out
    assert "Enforced by: no constraint, index or trigger of this schema." in out  # none here matches them
    assert "`status IN ('active', 'closed')`" in out
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "Stress test &lt;script&gt;alert(1)&lt;/script&gt; \\| pipes" in out  # in the summary cell


# ------------------------------------------------------------------ report

def test_report_lists_every_decision_by_step(design):
    out = to_report(design)
    _assert_links_resolve(out)
    _assert_tables_well_formed(out)
    for d in design.decisions:
        assert f"| `{d.subject}` | {d.choice} | {d.reason} |" in out
    assert out.index("### logical") < out.index("### physical") < out.index("### indexing")


def test_report_says_how_each_pattern_is_served(design):
    out = to_report(design)
    for p in design.access_patterns:
        assert f"### `{p.name}`" in out
        assert f"```sql\n{p.sql}\n```" in out
    assert "4 access patterns (**1 not served**)" in out
    assert ("- **Served by** index `ix_order_customer_id_placed_at` on `order` (`customer_id`, `placed_at` DESC): "
            "orders of one customer, newest first") in out
    assert "**Served by** the primary key `pk_customers` on `customers` (`id`)" in out
    assert "**No index needed**: an insert" in out
    assert "**NOT SERVED**: no index lists it, and its equality filters match no key; expect it to scan `products`." in out
    assert "| [`products_by_name`](#pattern-products-by-name) | read | 1/s | none set | **NOT SERVED** |" in out
    assert "**Frequency:** 50/s · **Latency target (p95):** 20 ms" in out


def test_report_records_volumes_and_needs(design):
    out = to_report(design)
    assert "| Order | `order` | 2,000,000 | 100,000 | 36 months |" in out
    assert "- **Isolation level:** repeatable read" in out
    assert "  - place an order with its items" in out
    security = out[out.index('<a id="security"></a>'):out.index('<a id="availability"></a>')]
    assert "- **PII:** 2 column(s), stored in clear." in security  # this design skipped the security stage
    assert "[security.md](security.md)" in security
    assert "- **RPO (data loss allowed):** 60 s" in out and "- **Replicas:** 2" in out


def test_report_fences_sql_that_contains_backticks():
    p = m.AccessPattern(name="odd", sql="SELECT '```' AS x")
    out = to_report(m.Design(project="p", access_patterns=(p,)))
    assert "````sql\nSELECT '```' AS x\n````" in out


def test_pattern_served_by_unique_key_leading_column():
    t = m.Table(name="t", columns=(m.Column(name="a", semantic="string"), m.Column(name="b", semantic="string")),
                uniques=(m.Unique(name="uq_t_a_b", columns=("a", "b")),))
    p = m.AccessPattern(name="by_a", sql="SELECT * FROM t WHERE a = :a", served_by=("uq_t_a_b",))
    out = to_report(m.Design(project="p", tables=(t,), access_patterns=(p,)))
    assert "**Served by** the unique constraint `uq_t_a_b` on `t` (`a`, `b`)" in out


def test_pattern_analysis_looks_inside_ctes_and_insert_select(design):
    patterns = (
        m.AccessPattern(name="cte", sql="WITH x AS (SELECT * FROM customers WHERE id = :id) SELECT * FROM x ORDER BY 1",
                        served_by=("pk_customers",)),
        m.AccessPattern(name="copy", kind="write", frequency=0.0003,
                        sql="INSERT INTO products (name, sku) SELECT full_name, email FROM customers WHERE status = :s"),
        m.AccessPattern(name="broken", sql="SELEC nonsense FROM ("),
    )
    out = to_report(design.model_copy(update={"access_patterns": patterns}))
    assert "**Served by** the primary key `pk_customers` on `customers` (`id`)" in out
    assert ("**NOT SERVED**: no index lists it, and its equality filters match no key; expect it to scan "
            "`products`, `customers` (~50,000 rows expected).") in out
    assert "| [`copy`](#pattern-copy) | write | 1.08/h |" in out
    assert "**NOT SERVED**: no index lists it, and its SQL could not be analysed" in out


# ------------------------------------------------------------------ model.json

def test_model_json_round_trips_and_is_stable(design):
    out = to_model_json(design)
    assert out.endswith("}\n") and '\n  "access_patterns": [' in out
    assert m.Design.model_validate_json(out) == design
    assert list(json.loads(out)) == sorted(json.loads(out))
    assert "größe" in out  # readable, not \\u escapes


def test_model_json_schema_validates_model_json(design):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(model_json_schema())
    assert schema["$schema"].endswith("2020-12/schema") and "tables" in schema["properties"]
    jsonschema.Draft202012Validator(schema).validate(json.loads(to_model_json(design)))
    assert model_json_schema().endswith("}\n")


# ------------------------------------------------------------------ determinism

def test_every_document_is_deterministic_across_processes(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from test_documentation import sample_design as s;"
        "from schemawright.documentation import *;"
        "d = s(); sys.stdout.write(to_mermaid(d) + to_dot(d) + to_data_dictionary(d) + to_report(d) + to_model_json(d))"
    )
    outs = {subprocess.run([sys.executable, "-c", script, str(Path(__file__).parent)], capture_output=True, check=True,
                           env={"PYTHONHASHSEED": seed, "PATH": ""}).stdout for seed in ("1", "2")}
    assert len(outs) == 1
    d = sample_design()
    for render in (to_mermaid, to_dot, to_data_dictionary, to_report, to_model_json):
        text = render(d)
        assert text.endswith("\n") and not text.endswith("\n\n") and render(d) == text


# ------------------------------------------------------------------ any name a user can write

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_NAMES = st.one_of(
    st.sampled_from(["order", "user", "select", "end", "one", "many", "to", "u", "PK", "fk", "erDiagram",
                     "style", "1", "a b", "x-y", "50%", "back\\slash", 'q"q', "a|b", "<i>", "&amp;", "`tick`",
                     "größe", "名前", "node", "edge", "graph", "]", "a:b", "%%", "--", "||", "o{"]),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=10),
)


@st.composite
def _designs(draw) -> m.Design:
    names = draw(st.lists(_NAMES, min_size=1, max_size=5, unique=True))
    tables = []
    for i, name in enumerate(names):
        cols = draw(st.lists(_NAMES, min_size=1, max_size=4, unique=True))
        columns = tuple(m.Column(name=c, semantic="string", sql_type=draw(st.sampled_from(
            ["text", "numeric(12,2)", "timestamp with time zone", "text[]", '"odd type"'])),
            nullable=draw(st.booleans()), description=draw(st.none() | _NAMES)) for c in cols)
        fks = ()
        if i:
            parent = names[draw(st.integers(0, i))]  # sometimes itself
            fks = (m.ForeignKey(name=f"fk_{i}", columns=(cols[0],), ref_table=parent, ref_columns=(cols[0],)),)
        tables.append(m.Table(name=name, description=draw(st.none() | _NAMES), columns=columns,
                              primary_key=m.PrimaryKey(name=f"pk_{i}", columns=(cols[-1],)), foreign_keys=fks))
    return m.Design(project=draw(_NAMES), tables=tuple(tables))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_designs())
def test_any_names_keep_every_document_well_formed(d):
    _assert_mermaid_grammar(to_mermaid(d))
    dictionary = to_data_dictionary(d)
    _assert_links_resolve(dictionary)
    _assert_tables_well_formed(dictionary)
    assert dictionary.count("\n## ") == len(d.tables) + 1
    dot = to_dot(d)
    for table in d.tables:
        assert "<B>" + _html("".join(ch if ch >= " " else " " for ch in table.name)) + "</B>" in dot


@needs_dot
@settings(max_examples=15, deadline=None)
@given(_designs())
def test_any_names_render_with_graphviz(d):
    ET.fromstring(render_svg(to_dot(d)).encode("utf-8"))


# ------------------------------------------------------------------ the shipped examples

_EXAMPLES = sorted((__import__("pathlib").Path(__file__).parent.parent / "examples").glob("*.yaml"))


@pytest.mark.parametrize("path", _EXAMPLES, ids=lambda p: p.stem)
def test_examples_are_fully_documented(path):
    from schemawright import pipeline
    d = pipeline.design_file(path)
    mermaid = to_mermaid(d)
    _assert_mermaid_grammar(mermaid)
    dictionary, report = to_data_dictionary(d), to_report(d)
    for text in (dictionary, report):
        _assert_links_resolve(text)
        _assert_tables_well_formed(text)
    for table in d.tables:
        assert f"## `{table.name}`" in dictionary
        for column in table.columns:
            assert f"| `{column.name}`" in dictionary
    for index in d.indexes:
        # the reason as the dictionary writes prose: `<>` in a partial index's condition is escaped
        reason = (index.reason or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        assert f"`{index.name}`" in dictionary and reason.replace("|", "\\|") in dictionary
    for p in d.access_patterns:
        assert f"### `{p.name}`" in report
    for decision in d.decisions:
        assert decision.reason.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;") in report.replace("&amp;", "&")
    if shutil.which("dot"):
        ET.fromstring(render_svg(to_dot(d)).encode("utf-8"))


def test_a_referenced_table_that_is_not_described_is_drawn_once():
    t = m.Table(name="child", columns=(m.Column(name="p_id", semantic="fk", sql_type="bigint", nullable=False),),
                foreign_keys=(m.ForeignKey(name="fk_a", columns=("p_id",), ref_table="elsewhere", ref_columns=("id",)),
                              m.ForeignKey(name="fk_b", columns=("p_id",), ref_table="elsewhere", ref_columns=("id",))))
    d = m.Design(project="p", tables=(t,))
    dot = to_dot(d)
    assert dot.count('"elsewhere" [shape=box, style=dashed') == 1
    assert dot.count('"child":c0e:e -> "elsewhere" [') == 2
    mermaid = to_mermaid(d)
    _assert_mermaid_grammar(mermaid)
    assert mermaid.count('    elsewhere ||..o{ child : "p_id"') == 2
    assert "[`elsewhere`]" not in to_data_dictionary(d) and "`elsewhere`" in to_data_dictionary(d)


def test_enum_types_are_listed_and_linked_from_their_columns():
    t = m.Table(name="tickets", columns=(m.Column(name="state", semantic="enum", sql_type="ticket_state",
                                                  nullable=False, default="'open'"),))
    d = m.Design(project="p", tables=(t,), enums=(m.EnumType(name="ticket_state", values=("open", "closed")),))
    out = to_data_dictionary(d)
    _assert_links_resolve(out)
    assert "- `ticket_state`: `open`, `closed`" in out
    assert "| `state` | [`ticket_state`](#enum-ticket-state) (enum) | no | `'open'` |" in out


def test_blank_table_name_still_gives_a_visible_mermaid_label():
    # Found by the property test above: an imported table named " " drew `table[""]`.
    col = m.Column(name="order", semantic="string", sql_type="text", nullable=False)
    table = m.Table(name=" ", columns=(col,), primary_key=m.PrimaryKey(name="pk_0", columns=("order",)))
    text = to_mermaid(m.Design(project="order", tables=(table,)))
    _assert_mermaid_grammar(text)
    assert '["\u2423"]' in text
