"""Property: whatever a spec says, `check` either rejects it with located errors or its
schema.sql applies on PostgreSQL with every constraint it names (issue 9).

tests/test_property_ddl.py builds only valid specs.  This one writes small specs as YAML
text, so YAML's own reading of plain scalars is part of the test (`on`, `1.50`, `007`,
`.inf`, `2024-02-30`), and mixes in the mistakes users make: defaults of the wrong type or
outside the attribute's limits, `min` on a string, names that meet after snake-casing,
checks naming a missing column, unique rules that are empty or repeat the key, foreign key
columns of another type, natural keys with list attributes, partitions by the thousand.
One scratch database serves every example; its schema is dropped in between.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemawright.database import Database
from schemawright.database.scratch import scratch_database
from schemawright.errors import SpecErrors
from schemawright.pipeline import design_from_spec
from schemawright.pipeline import parse_spec
from schemawright.sql.postgresql import render_up
from schemawright.validation.script import run_script

OUTCOMES: Counter[str] = Counter()

# Attribute declarations (flow-mapping bodies), each with defaults of its own type written
# the way a user might, some of them read by YAML as numbers or booleans.
TYPES = {
    "type: integer": ("0", "-1", "'42'", "1.0"), "type: integer, min: 0, max: 10": ("0", "10"),
    "type: bigint": ("3000000000", "-9223372036854775808"), "type: decimal, precision: 5, scale: 2": ("999.99", "1.5", "'-12.345'"),
    "type: money": ("12.5", "0"), "type: string": ("on", "1.50", "007", "''", "~"), "type: string, max_length: 3": ("abc", "1.0"),
    "type: text": ("true", "yes", "2024-02-30"), "type: boolean": ("on", "'on'", "off", "N", "0", "1", "true"),
    "type: date": ("2024-02-29", "today", "20240101"), "type: time": ("'12:30'", "'23:59:59.5'"),
    "type: timestamp": ("now", "2024-01-02T03:04:05Z"), "type: uuid": ("123e4567-e89b-12d3-a456-426614174000",),
    "type: json": ("'{\"a\": 1}'", "'[]'", "1", "true"), "type: email": ("someone@example.com",),
    "type: phone": ("'+14155550123'",), "type: url": ("https://x.org/",),
    "type: enum, values: [a, 'on', '1.0']": ("a", "on", "1.0"), "type: array, of: integer": ("'{1,2}'", "'{}'"),
    "type: list, of: string": (), "type: list, of: integer, min: 1": (),
    "type: string, min: 1": (), "type: date, max: 3": (),
}
# Defaults a careless user writes on any type.
WRONG = ("abc", ".inf", "-.inf", ".nan", "1e400", "2024-02-30", "1.5", "3000000000", "12345", "11", "25:00",
         "'{oops'", "'sql: 1'", "nobody", "abcd", "'x\\0y'", "banana", "b")
NAMES = ("qty", "name", "code", "at", "tags", "price", "note", "kind", "size", "Qty", "Position", "position", "id")
CHECKS = ("{c} IS NOT NULL", "{c} = {c}", "{c} IS DISTINCT FROM NULL", "qtty > 0", "value IS NOT NULL",
          "{c} IN (SELECT 1)")


@st.composite
def attributes(draw: st.DrawFn, indent: str, max_size: int = 4) -> tuple[list[str], list[str]]:
    lines, names = [], []
    for name in draw(st.lists(st.sampled_from(NAMES[:-4] * 3 + NAMES[-4:]), max_size=max_size, unique=True)):
        body = draw(st.sampled_from(sorted(TYPES)))
        good = TYPES[body]
        if draw(st.booleans()):
            wrong = not good or draw(st.integers(0, 5)) == 0
            body += f", default: {draw(st.sampled_from(WRONG if wrong else good))}"
        if draw(st.integers(0, 3)) == 0:
            body += ", required: true"
        if draw(st.integers(0, 4)) == 0 and "list" not in body:
            body += ", unique: true"
        if draw(st.integers(0, 5)) == 0:
            body += f', check: "{draw(st.sampled_from(CHECKS[:3] if draw(st.booleans()) else CHECKS)).format(c=name)}"'
        lines.append(f"{indent}{name}: {{{body}}}")
        if "list" not in body:
            names.append(name)  # a column of the table, for rules to name
    return lines, names


@st.composite
def specs(draw: st.DrawFn) -> str:
    out = ["project: fuzz", "entities:"]
    entities = draw(st.lists(st.sampled_from(("Customer", "Order", "Reading")), min_size=1, max_size=3, unique=True))
    columns: dict[str, list[str]] = {}
    for entity in entities:
        out.append(f"  {entity}:")
        natural = draw(st.integers(0, 3)) == 0
        if natural:
            out.append("    primary_key: [" + draw(st.sampled_from(["code", "code", "code, kind", ""])) + "]")
        attrs, names = draw(attributes("      "))
        if natural and "code" not in names:  # the key column is always there; `kind` only sometimes
            attrs.append("      code: {type: string, required: true}")
            names.append("code")
        if entity == "Reading" and draw(st.integers(0, 5)) == 0:
            interval = draw(st.sampled_from(["1 day", "1 week", "1 month", None]))
            out.append("    partition: {by: range, key: stamp" + (f", interval: {interval}" if interval else "") + "}")
            attrs.append("      stamp: {type: timestamp, required: true}")
        out.append("    attributes:" if attrs else "    attributes: {}")
        out += attrs
        columns[entity] = names
    relationships = []
    for n in range(draw(st.integers(0, 2))):
        parent, child = draw(st.sampled_from(entities)), draw(st.sampled_from(entities))
        kind = draw(st.sampled_from(["one-to-many", "one-to-one", "many-to-many"]))
        line = f"  - {{from: {parent}, to: {child}, type: {kind}, name: r{n}, role: r{n}"
        if parent == child and kind != "many-to-many":
            line += ", required: false"
        if kind != "many-to-many" and columns[child] and draw(st.integers(0, 2)) == 0:
            line += f", columns: [{draw(st.sampled_from(columns[child]))}]"
        if kind == "many-to-many" and draw(st.booleans()):
            attrs, _ = draw(attributes("", max_size=2))
            line += ", attributes: {" + ", ".join(attrs) + "}"
        relationships.append(line + "}")
    if relationships:
        out += ["relationships:"] + relationships
    rules = []
    for entity in entities:
        if draw(st.integers(0, 2)) == 0:
            chosen = draw(st.lists(st.sampled_from(columns[entity] or ["code"]), min_size=draw(st.sampled_from([1] * 9 + [0])),
                                   max_size=2, unique=True))
            rules.append(f"  - {{entity: {entity}, unique: [{', '.join(chosen)}]}}")
        if draw(st.integers(0, 3)) == 0:
            check = draw(st.sampled_from(CHECKS[:3] * 3 + CHECKS)).format(c=draw(st.sampled_from(columns[entity] or ["id"])))
            rules.append(f'  - {{entity: {entity}, check: "{check}"}}')
    if rules:
        out += ["rules:"] + rules
    if "Reading" in entities and draw(st.booleans()):
        retention = draw(st.sampled_from([1, 24, 1200, 30000]))
        out += ["volumes:", f"  Reading: {{rows: 100000000, growth_per_month: 50000000, retention_months: {retention}}}"]
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def db(pg_url: str) -> Iterator[Database]:
    with scratch_database(pg_url) as url, Database(url, statement_timeout_ms=30_000) as database:
        yield database


_CONSTRAINT = re.compile(r'CONSTRAINT ("(?:[^"]|"")+"|\w+) (?:PRIMARY KEY|UNIQUE|CHECK|FOREIGN KEY)')


@settings(max_examples=150, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
@given(text=specs())
def test_check_rejects_with_located_errors_or_the_ddl_applies(text: str, db: Database) -> None:
    lines = text.count("\n")
    try:
        design = design_from_spec(parse_spec(text, "fuzz.yaml"))
    except SpecErrors as errors:
        for issue in errors.issues:
            assert issue.file == "fuzz.yaml" and 1 <= issue.line <= lines and issue.column >= 1, issue.format()
            assert issue.message.strip(), issue
        OUTCOMES["rejected"] += 1
        return
    up = render_up(design)
    db.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
    failure = run_script(db, up)
    assert failure is None, f"check accepted this spec but PostgreSQL refuses its DDL: {failure}\n{text}"
    named = {n.strip('"').replace('""', '"') for n in _CONSTRAINT.findall(up)}
    present = {r[0] for r in db.query("SELECT conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = "
                                      "c.connamespace WHERE n.nspname = 'public'")}
    assert named <= present, f"constraints silently missing: {sorted(named - present)}\n{text}"
    OUTCOMES["applied"] += 1


def test_the_property_saw_both_outcomes() -> None:
    """Guards against a generator that only ever produces one kind of spec."""
    if not OUTCOMES:
        pytest.skip("run together with the property above")
    assert OUTCOMES["applied"] >= 20 and OUTCOMES["rejected"] >= 20, OUTCOMES
