"""The specs schemawright ships: every file in examples/ and the `schemawright init` template.

Each one must load without a single error, cover what it promises (the examples are the
format's showcase and the template is how developers learn it), design cleanly, and hold up
on a real PostgreSQL: the DDL applies, every access pattern is accepted by the server's own
parser and planner against the designed tables, and the down migration leaves nothing.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pglast
import pytest
import sqlglot

from helpers import server_for
from schemawright.database.connection import Database
from schemawright.database.scratch import scratch_database
from schemawright.errors import SpecErrors
from schemawright.pipeline import deliverables, design_from_spec
from schemawright.pipeline import load_spec
from schemawright.requirements.spec import Spec
from schemawright.security.names import scoped
from schemawright.sql.postgresql import render_down, render_up

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
TEMPLATE = Path(str(resources.files("schemawright.requirements").joinpath("example.yaml")))
ALL_SPECS = [*EXAMPLES, TEMPLATE]
# Benchmark workloads follow their benchmark's schema, and the business-rule examples stay
# small around their rules, not the format tour: every other check below still applies.
WORKLOADS = {"tpcc", "ticketing", "warehouse"}
SHOWCASES = [p for p in EXAMPLES if p.stem not in WORKLOADS]


def _id(path: Path) -> str:
    return "init-template" if path == TEMPLATE else path.stem


_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


def _numbered(sql: str) -> tuple[str, list[str]]:
    """`:name` parameters -> `$1, $2 ...` (the same name keeps its number)."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    return _PARAM.sub(number, sql), names


@pytest.fixture(scope="module", params=ALL_SPECS, ids=_id)
def loaded(request: pytest.FixtureRequest) -> tuple[Path, Spec]:
    return request.param, load_spec(request.param)


def test_there_are_at_least_three_examples() -> None:
    assert {p.stem for p in EXAMPLES} >= {"shop", "saas_tracker", "iot_telemetry"}


def test_spec_loads_without_errors(loaded: tuple[Path, Spec]) -> None:
    path, spec = loaded
    assert isinstance(spec, Spec), path
    assert spec.entities


@pytest.mark.parametrize("path", SHOWCASES, ids=_id)
def test_example_is_a_full_showcase(path: Path) -> None:
    spec = load_spec(path)
    rels = spec.relationships
    assert len(spec.entities) >= 8
    assert any(r.type == "many-to-many" and r.attributes and r.name for r in rels), "many-to-many with attributes"
    assert all(r.name for r in rels if r.type == "many-to-many"), "every many-to-many names its junction table"
    assert any(r.from_ == r.to for r in rels), "a self-relationship"
    assert any(r.type == "one-to-one" for r in rels), "a one-to-one"
    assert any(r.unique and len(r.unique) > 1 for r in spec.rules), "a multi-column unique rule"
    assert any(r.check for r in spec.rules), "a cross-column check"
    assert any(r.depends for r in spec.rules), "a functional dependency"
    patterns = spec.access_patterns
    assert len(patterns) >= 10
    assert sum(p.query is not None for p in patterns) > len(patterns) / 2, "mostly SQL"
    assert sum(p.entity is not None for p in patterns) >= 2, "a couple in the structured form"
    assert any(p.query and re.match(r"\s*(INSERT|UPDATE|DELETE)\b", p.query, re.I) for p in patterns), "a write"
    assert all(p.latency_p95_ms for p in patterns), "every pattern has a latency target"
    assert set(spec.volumes) == set(spec.entities), "a volume for every entity"
    assert any(v.growth_per_month for v in spec.volumes.values())
    assert spec.transactions.atomic and spec.security.roles
    assert spec.availability.rpo_seconds is not None and spec.availability.rto_seconds is not None
    types = {a.type for e in spec.entities.values() for a in e.attributes.values()}
    assert types >= {"email", "phone", "url", "money", "enum", "json", "timestamp", "uuid", "decimal"}
    assert types & {"list", "array"}
    attrs = [a for e in spec.entities.values() for a in e.attributes.values()]
    assert any(a.pii for a in attrs) and any(a.description for a in attrs)


def test_saas_example_is_multi_tenant() -> None:
    spec = load_spec(ROOT / "examples" / "saas_tracker.yaml")
    assert spec.security.tenant_column == "organization_id"
    design = design_from_spec(spec)
    tenant_tables = [t.name for t in design.tables if t.column("organization_id")]
    assert {"projects", "issues", "comments", "labels", "sprints", "attachments"} <= set(tenant_tables)


def test_iot_example_has_a_big_time_series_with_retention() -> None:
    spec = load_spec(ROOT / "examples" / "iot_telemetry.yaml")
    readings = spec.volumes["Reading"]
    assert readings.rows >= 100_000_000 and readings.retention_months


def test_init_template_touches_every_feature() -> None:
    spec = load_spec(TEMPLATE)
    text = TEMPLATE.read_text(encoding="utf-8")
    assert 4 <= len(spec.entities) <= 6, "short"
    for key in Spec.model_fields:
        assert re.search(rf"^{key}:", text, re.M), f"top-level key {key!r} is shown"
    for key in ("tables", "keys", "case", "enums"):
        assert re.search(rf"^\s+{key}:", text, re.M), f"naming.{key} is shown"
    attrs = [a for e in spec.entities.values() for a in e.attributes.values()]
    for feature in ("required", "unique", "default", "max_length", "precision", "min", "max", "check",
                    "description", "pii", "column", "values", "of"):
        assert any(getattr(a, feature) not in (None, False) for a in attrs), f"attribute key {feature!r} is shown"
    assert any(isinstance(a.default, str) and a.default.startswith("sql:") for a in attrs), "an SQL default"
    entities = spec.entities.values()
    assert any(e.key for e in entities) and any(e.table for e in entities) and any(e.audit for e in entities)
    assert any(e.description for e in entities)
    rels = spec.relationships
    assert {r.type for r in rels} == {"one-to-one", "one-to-many", "many-to-many"}
    assert any(r.from_ == r.to and r.role for r in rels) and any(r.attributes for r in rels)
    assert any(r.on_delete for r in rels) and any(not r.required for r in rels)
    from schemawright.requirements.spec import RULE_KINDS
    assert {r.kind for r in spec.rules} == set(RULE_KINDS)  # every kind of business rule, once at least
    patterns = spec.access_patterns
    assert any(p.query for p in patterns) and any(p.entity and p.where and p.order_by and p.limit for p in patterns)
    assert any(p.kind == "write" for p in patterns)
    assert any(v.retention_months for v in spec.volumes.values())
    assert spec.transactions.atomic and spec.security.roles and spec.availability.replicas
    shorthand = re.findall(r"^\s+\w+: (\w+)\(.*\)\s*(?:#.*)?$", text, re.M)
    assert {"string", "enum", "money", "decimal", "list", "array"} <= set(shorthand), "the shorthand is shown"


def test_init_template_explains_every_key() -> None:
    """Developers learn the format from this file: every key of the format appears, and
    at its first use or another one it carries a comment (or follows a comment line)."""
    from schemawright.requirements import spec as models

    keys = {field.alias or name
            for model in (models.Spec, models.Naming, models.Entity, models.Attribute, models.Relationship,
                          models.Rule, models.FunctionalDependency, models.Denormalization, models.AccessPattern, models.Volume,
                          models.Transactions, models.Role, models.Security, models.Availability, models.Machine)
            for name, field in model.model_fields.items()}
    lines = TEMPLATE.read_text(encoding="utf-8").splitlines()
    unexplained = []
    for key in sorted(keys):
        as_key = re.compile(rf"(^\s*(- )?|[{{,]\s*){key}:")
        uses = [i for i, line in enumerate(lines) if as_key.search(line.split("#")[0])]
        assert uses, f"key {key!r} does not appear in the template"
        if not any("#" in lines[i] or lines[i - 1].lstrip().startswith("#") for i in uses):
            unexplained.append(key)
    assert not unexplained, f"keys without a comment: {unexplained}"


def _sql_patterns() -> list:
    """One test per SQL access pattern; a spec that does not load is reported by
    test_spec_loads_without_errors rather than breaking collection here."""
    out = []
    for path in ALL_SPECS:
        try:
            patterns = load_spec(path).access_patterns
        except SpecErrors:
            continue
        out += [pytest.param(p.query, id=f"{_id(path)}-{p.name}") for p in patterns if p.query is not None]
    return out


@pytest.mark.parametrize("sql", _sql_patterns())
def test_access_pattern_sql_parses(sql: str) -> None:
    numbered, _ = _numbered(sql)
    assert pglast.parse_sql(numbered)  # PostgreSQL's own parser
    assert sqlglot.parse_one(_PARAM.sub("1", sql), read="postgres") is not None


def test_every_example_modeline_points_at_the_published_schema() -> None:
    for path in EXAMPLES:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
        assert match, f"{path.name}: first line should be the yaml-language-server modeline"
        assert (path.parent / match.group(1)).resolve() == ROOT / "docs" / "spec.schema.json"


def test_designs_and_writes_every_deliverable(loaded: tuple[Path, Spec]) -> None:
    _, spec = loaded
    design = design_from_spec(spec)
    files = deliverables(design)
    assert {"schema.sql", "migrations/0001_initial.up.sql", "migrations/0001_initial.down.sql",
            "erd.mmd", "data-dictionary.md", "report.md", "model.json"} <= set(files)
    assert design_from_spec(spec) == design, "deterministic"
    for pattern in design.access_patterns:
        assert pattern.name in files["report.md"]


# ------------------------------------------------------------------ real PostgreSQL


def test_applies_on_postgresql_and_runs_every_pattern(loaded: tuple[Path, Spec], pg_url: str) -> None:
    """On the session's real server (tests/conftest.py: embedded, or SCHEMAWRIGHT_TEST_DATABASE_URL); a
    design that needs an extension it lacks (pii: encrypt needs pgcrypto) on the local PostgreSQL 15."""
    _path, spec = loaded
    design = design_from_spec(spec)
    server = server_for(design, pg_url)
    with scratch_database(server) as url, Database(url) as db:
        if server != pg_url:  # a shared server: the design's roles named for this scratch database only
            design = scoped(design, db.query_value("SELECT current_database()"))
        db.execute(render_up(design))
        for pattern in design.access_patterns:
            sql, _ = _numbered(pattern.sql)
            # PREPARE parses, resolves every table and column, infers parameter types and plans.
            db.execute(f"PREPARE pattern AS {sql}")
            db.execute("DEALLOCATE pattern")
        db.execute(render_down(design))
        leftovers = db.query(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' UNION ALL "
            "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
            "WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'c') UNION ALL "
            "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'")
        assert leftovers == [], f"{path.name}: the down migration leaves {leftovers}"
