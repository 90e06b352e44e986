"""Property: every valid spec yields DDL that applies to a real PostgreSQL, and a down
script that removes everything the up script created.

Hypothesis builds random specs as Python data: entity, attribute, role, relationship and
project names that are SQL reserved words, MixedCase, unicode, or carry quotes, spaces and
hyphens; every semantic type with its options (lengths, precision/scale, enum values with
quotes, defaults of the matching type, min/max, arrays and lists of scalars);
one-to-one, one-to-many (self-references included), many-to-many with attributes;
unique rules, structured and SQL access patterns (which drive indexes); and every naming
option.  The spec is dumped as JSON (which is YAML) and read by `parse_spec` exactly as a
file would be; it is designed, every deliverable is rendered, and the up and down scripts
run on a scratch database of this module's own inside one transaction that is always
rolled back (all of this DDL is transactional).

Names are generated distinct after the naming rules (snake_case or as written, plural or
singular) and clear of generated columns, so the spec is valid.  The rare collisions the
generator does not foresee (a pluralised name meeting a list or junction table, say) are
exactly the ones the spec rejects with a located error, and only those are discarded.

Bugs this property found are pinned by reproducers at the end of the module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pglast
import psycopg
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from schemawright import model as m
from schemawright.database.scratch import scratch_database
from schemawright.errors import SpecErrors
from schemawright.naming import Namer
from schemawright.pipeline import deliverables, design_from_spec
from schemawright.pipeline import parse_spec
from schemawright.sql.postgresql import render_down, render_up


# ------------------------------------------------------------------ names

RESERVED = ("select", "order", "user", "table", "group", "from", "where", "limit", "check", "column",
            "default", "primary", "references", "end", "desc", "all", "case", "time", "values", "to",
            "constraint", "window", "natural", "returning", "offset", "analyse", "both", "current_date",
            "session_user", "int", "char", "timestamp", "index", "key")
MIXED = ("CustomerOrder", "XMLHttpRequest", "OrderLine", "userID", "iPhone", "HTTPServer", "ABC", "Camel")
UNICODE = ("café", "Straße", "日本", "naïve", "Ωmega", "über", "señor", "Ærø", "東京駅", "ß", "Ñandú")
QUOTED = ('a"b', "o'brien", '"quoted"', "it's", "x''y", 'say "hi"', "back\\slash")
SPACED = ("first name", "e-mail", "line - item", "two  spaces", "  padded ", "a-b c", "dash-ed", "1st place")
PLAIN = ("customer", "item", "note", "price", "amount", "widget", "label", "tag", "kind", "stamp", "size", "bus")

AUDIT_COLUMNS = {"created_at", "updated_at", "created_by", "updated_by"}

# Free text (descriptions, enum values, string defaults): anything YAML can carry.
_TEXT = st.text(st.characters(exclude_categories=("Cs", "Cc", "Cn", "Zl", "Zp"), include_characters="\n\t"),
                max_size=24)


@st.composite
def names(draw: st.DrawFn) -> str:
    """One user-written name: a tricky token, or two or three joined by a separator."""
    parts = draw(st.lists(st.sampled_from(RESERVED + MIXED + UNICODE + QUOTED + SPACED + PLAIN),
                          min_size=1, max_size=3))
    name = draw(st.sampled_from(["", " ", "-", "_"])).join(parts)
    name = draw(st.sampled_from([name, name, name.upper(), name.title()]))
    return name if name.strip(" -_") else "x"


# ------------------------------------------------------------------ attributes

SCALARS = ("string", "text", "integer", "bigint", "decimal", "money", "boolean", "date", "time", "timestamp",
           "uuid", "email", "phone", "url", "json")
ELEMENTS = tuple(t for t in SCALARS if t != "json")


def _effective_numeric(kind: str, precision: int | None, scale: int | None) -> tuple[int | None, int]:
    """(precision, scale) of the numeric type the physical stage gives decimal and money."""
    if kind == "money":
        return precision or 19, 4 if scale is None else scale
    return precision, scale or 0


@st.composite
def numeric_default(draw: st.DrawFn, precision: int | None, scale: int) -> float | int | str:
    """A value that fits numeric(precision, scale), as a number or as text."""
    if precision is not None and scale > precision:
        return 0
    whole_digits = 6 if precision is None else min(precision - scale, 12)
    whole = draw(st.integers(0, 10**whole_digits - 1)) if whole_digits > 0 else 0
    frac_digits = min(scale, 6)
    frac = draw(st.integers(0, 10**frac_digits - 1)) if frac_digits else 0
    text = f"{whole}.{frac:0{frac_digits}d}" if frac_digits else str(whole)
    negative = draw(st.booleans())
    value = -float(text) if negative else float(text)
    return draw(st.sampled_from([value, "-" + text if negative else text, value if frac else int(value)]))


@st.composite
def attribute(draw: st.DrawFn, kind: str | None = None, *, element: bool = False) -> dict:
    """A spec attribute of `kind` (random when None) with its options and a matching default."""
    kind = kind or draw(st.sampled_from(SCALARS + ("enum", "array", "list")))
    spec: dict = {"type": kind}
    default = None
    not_sql = _TEXT.filter(lambda s: not s.strip().lower().startswith("sql:"))
    if kind == "string":
        if draw(st.booleans()):
            spec["max_length"] = draw(st.integers(1, 300))
        default = draw(not_sql)[: spec.get("max_length", 24)]
    elif kind == "text":
        default = draw(not_sql)
    elif kind in ("integer", "bigint"):
        limit = 2**31 - 1 if kind == "integer" else 2**53
        low = draw(st.integers(-limit, limit))
        high = draw(st.integers(low, limit))
        if draw(st.booleans()):
            spec["min"] = low
        if draw(st.booleans()):
            spec["max"] = high
        default = draw(st.integers(low, high))
    elif kind in ("decimal", "money"):
        if draw(st.booleans()):
            spec["precision"] = draw(st.integers(1, 30))
        if draw(st.booleans()):
            spec["scale"] = draw(st.integers(0, spec.get("precision", 30)))
        default = draw(numeric_default(*_effective_numeric(kind, spec.get("precision"), spec.get("scale"))))
        if draw(st.booleans()):
            spec["min"] = -1000.5
            spec["max"] = draw(st.sampled_from([0, 99.25, 10**9]))
            if not spec["min"] <= float(default) <= spec["max"]:  # check refuses a default its own range refuses
                default = 0
    elif kind == "boolean":
        default = draw(st.booleans())
    elif kind == "date":
        default = draw(st.sampled_from(["2024-02-29", "today", "1970-01-01"]))
    elif kind == "time":
        default = draw(st.sampled_from(["12:34:56", "00:00", "23:59:59.5"]))
    elif kind == "timestamp":
        default = draw(st.sampled_from(["now", "2024-01-02T03:04:05+00:00", "2000-01-01 00:00:00"]))
    elif kind == "uuid":
        default = draw(st.sampled_from(["sql: gen_random_uuid()", "123e4567-e89b-12d3-a456-426614174000"]))
    elif kind == "email":
        default = draw(st.sampled_from(["o'hara@example.com", "Someone@Example.ORG"]))
    elif kind == "phone":
        default = "+14155550123"
    elif kind == "url":
        default = draw(st.sampled_from(["https://example.com/it's?q=1", "http://日本.example/"]))
    elif kind == "json":
        default = draw(st.sampled_from(['{"a": [1, "it\'s"]}', "[]", 0, True, '"text"']))
    elif kind == "enum":
        tricky = st.sampled_from(["it's", 'say "hi"', "a, b", "日本", "", " padded ", "UPPER", "o''k",
                                  "back\\slash", "line\nbreak", "x" * 63, "é" * 31])
        values = draw(st.lists(st.one_of(tricky, _TEXT), min_size=1, max_size=5, unique=True))
        spec["values"] = values
        default = draw(st.sampled_from(values))
    elif kind in ("array", "list"):
        spec["of"] = draw(st.sampled_from(ELEMENTS))
        options = ("max_length", "precision", "scale")
        options += ("min", "max")
        spec.update({k: v for k, v in draw(attribute(spec["of"], element=True)).items() if k in options})
    if element:
        return spec
    if default is not None and draw(st.booleans()):
        spec["default"] = default
    if draw(st.booleans()):
        spec["required"] = True
    if kind != "list" and draw(st.integers(0, 4)) == 0:
        spec["unique"] = True
    if draw(st.integers(0, 3)) == 0:
        spec["description"] = draw(_TEXT)
    if draw(st.integers(0, 5)) == 0:
        spec["pii"] = True
    return spec


@st.composite
def attribute_sets(draw: st.DrawFn, namer: Namer, max_size: int = 6, lists: bool = True) -> dict[str, dict]:
    """Attributes whose columns stay distinct and clear of `id`, audit and `*_id` key columns."""
    out: dict[str, dict] = {}
    taken: set[str] = set()
    for _ in range(draw(st.integers(0, max_size))):
        name = draw(names())
        definition = draw(attribute())
        if not lists and definition["type"] == "list":  # a junction keeps no list attributes
            definition["type"] = "array"
        if draw(st.integers(0, 6)) == 0:
            definition["column"] = draw(names())
        column = namer.column(name, definition.get("column"))
        if name in out or column in taken or column == "id" or column in AUDIT_COLUMNS or column.endswith("_id"):
            continue
        out[name] = definition
        taken.add(column)
    return out


# ------------------------------------------------------------------ whole specs


def _quote(name: str) -> str:
    """How a careful user quotes a name in hand-written SQL: always."""
    return '"' + name.replace('"', '""') + '"'


@st.composite
def relationships(draw: st.DrawFn, entity_names: list[str], namer: Namer) -> list[dict]:
    out = []
    for _ in range(draw(st.integers(0, 6))):
        parent, child = draw(st.sampled_from(entity_names)), draw(st.sampled_from(entity_names))
        kind = draw(st.sampled_from(["one-to-one", "one-to-many", "one-to-many", "many-to-many"]))
        rel: dict = {"from": parent, "to": child, "type": kind}
        if draw(st.booleans()):
            rel["name"] = draw(names())
        if draw(st.booleans()):
            rel["role"] = draw(names())
        if kind == "many-to-many":  # the key columns of a junction can be neither emptied nor reset
            on_delete = [None, "cascade", "restrict", "no action"]
        else:
            required = parent != child and draw(st.booleans())  # a self-reference is optional
            if not required:
                rel["required"] = False
            on_delete = [None, "cascade", "restrict", "no action", "set default"] + ([] if required else ["set null"])
            if draw(st.integers(0, 3)) == 0:
                rel["at_least_one"] = True
        if (choice := draw(st.sampled_from(on_delete))) is not None:
            rel["on_delete"] = choice
        if kind == "many-to-many" and draw(st.booleans()):
            rel["attributes"] = draw(attribute_sets(namer, max_size=3, lists=False))
        if draw(st.integers(0, 3)) == 0:
            rel["description"] = draw(_TEXT)
        out.append(rel)
    return out


@st.composite
def specs(draw: st.DrawFn) -> dict:
    naming = {
        "tables": draw(st.sampled_from(["plural", "singular"])),
        "keys": draw(st.sampled_from(["identity", "uuid"])),
        "case": draw(st.sampled_from(["snake", "snake", "preserve"])),
        "enums": draw(st.sampled_from(["check", "type"])),
    }
    namer = Namer(naming["tables"], naming["case"])
    entity_names = draw(st.lists(names(), min_size=1, max_size=5,
                                 unique_by=(lambda n: namer.table(n), lambda n: namer.singular(n))))
    entities: dict[str, dict] = {}
    for name in entity_names:
        entity: dict = {"attributes": draw(attribute_sets(namer))}
        if draw(st.booleans()):
            entity["audit"] = draw(st.booleans())
        if draw(st.integers(0, 3)) == 0:
            entity["key"] = draw(st.sampled_from(["identity", "uuid"]))
        if draw(st.integers(0, 3)) == 0:
            entity["description"] = draw(_TEXT)
        entities[name] = entity

    # A project name is a name: check refuses control characters in it (a newline is tested in descriptions).
    project = draw(st.one_of(names(), _TEXT.map(lambda s: s if s.strip() and s.isprintable() else "project")))
    spec: dict = {"project": project, "naming": naming, "audit": draw(st.booleans()),
                  "entities": entities, "relationships": draw(relationships(entity_names, namer))}
    if draw(st.booleans()):
        spec["description"] = draw(_TEXT)

    # Rules and access patterns name final columns and tables, as docs/spec.md tells users.
    scalar_columns = {e: [namer.column(a, d.get("column")) for a, d in ent["attributes"].items()
                          if d["type"] != "list"] for e, ent in entities.items()}
    rules, patterns = [], []
    for e, columns in scalar_columns.items():
        if len(columns) >= 2 and draw(st.integers(0, 2)) == 0:
            rules.append({"entity": e, "unique": columns[:2]})
        sortable = columns
        if sortable and draw(st.booleans()):
            ops = st.sampled_from(["=", ">=", "<", "in", "is null", "between", "like"])
            where = draw(st.dictionaries(st.sampled_from(columns), ops, min_size=1, max_size=2))
            order = draw(st.sampled_from(sortable)) + draw(st.sampled_from(["", " desc", " asc"]))
            patterns.append({"name": f"structured {len(patterns)}", "entity": e, "where": where,
                             "order_by": [order], "limit": 10})
        if columns and draw(st.booleans()):
            where, sort = draw(st.sampled_from(columns)), draw(st.sampled_from(columns))
            patterns.append({"name": f"sql {len(patterns)}", "frequency": 3, "latency_p95_ms": 20,
                             "query": f"SELECT * FROM {_quote(namer.table(e))} WHERE {_quote(where)} = :value "
                                      f"ORDER BY {_quote(sort)} DESC LIMIT 20"})
    if rules:
        spec["rules"] = rules
    if patterns:
        spec["access_patterns"] = patterns
    spec["volumes"] = {e: {"rows": 1000, "growth_per_month": 10} for e in entity_names[:2]}
    return spec


# ------------------------------------------------------------------ the database


@pytest.fixture(scope="module")
def scratch(pg_url: str) -> Iterator[psycopg.Connection]:
    """A scratch database of this module's own, created once and dropped afterwards."""
    with scratch_database(pg_url) as url, psycopg.connect(url, autocommit=False) as conn:
        conn.add_notice_handler(lambda _diag: None)
        conn.execute("SET statement_timeout = '30s'")
        conn.execute("SET lock_timeout = '10s'")
        conn.commit()
        yield conn


LEFTOVERS = """
SELECT 'relation ' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'public'
UNION ALL
SELECT 'type ' || t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'c', 'r', 'm') AND t.typrelid = 0
UNION ALL
SELECT 'function ' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'public'
UNION ALL
SELECT 'extension ' || extname FROM pg_extension WHERE extname <> 'plpgsql'
"""


def apply(conn: psycopg.Connection, script: str) -> str | None:
    """Run `script` statement by statement; the first failure, described, or None."""
    try:
        statements = pglast.split(script)
    except pglast.parser.ParseError:
        statements = (script,)  # PostgreSQL will say what is wrong with it
    for statement in statements:
        try:
            conn.execute(statement)
        except psycopg.Error as error:
            return f"{type(error).__name__}: {error.diag.message_primary}\nstatement: {statement}"
    return None


def design_of(spec: dict) -> m.Design:
    return design_from_spec(parse_spec(json.dumps(spec, ensure_ascii=False, indent=1), "random.yaml"))


def check_on_postgresql(conn: psycopg.Connection, spec: dict) -> None:
    """Design `spec`, render every deliverable, apply the up then the down script and check
    that nothing is left; all in one transaction that is rolled back."""
    text = json.dumps(spec, ensure_ascii=False, indent=1)
    design = design_of(spec)
    files = deliverables(design)  # every document renders, whatever the names
    up, down = render_up(design), render_down(design)
    assert files["schema.sql"] == up
    try:
        with conn.transaction(force_rollback=True):
            for label, script in (("up", up), ("down", down)):
                failure = apply(conn, script)
                if failure:
                    pytest.fail(f"the {label} script fails on PostgreSQL: {failure}\nspec:\n{text}")
            leftovers = [row[0] for row in conn.execute(LEFTOVERS).fetchall()]
            assert not leftovers, f"the down script leaves {leftovers}\nspec:\n{text}"
    finally:
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.rollback()


_COLLISION = re.compile(r"^duplicate (table|relationship) name|which is already|longer than 63 bytes")


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(spec=specs())
def test_random_valid_spec_applies_and_rolls_back(spec: dict, scratch: psycopg.Connection) -> None:
    text = json.dumps(spec, ensure_ascii=False, indent=1)
    try:
        design_of(spec)
    except SpecErrors as errors:
        # Only name collisions the generator does not foresee may be discarded.
        unexpected = [i for i in errors.issues if not _COLLISION.search(i.message)]
        assert not unexpected, "a valid spec was rejected:\n" + "\n".join(i.format() for i in unexpected) + "\n" + text
        assume(False)
    check_on_postgresql(scratch, spec)


# ------------------------------------------------------------------ reproducers of open bugs
#
# Minimal specs the property (or a probe next to it) found.  Each is valid input that must
# either be rejected with a located error or yield DDL that applies; today it does neither.


def rejected_or_applies(conn: psycopg.Connection, spec: dict) -> None:
    try:
        parse_spec(json.dumps(spec, ensure_ascii=False), "reproducer.yaml")
    except SpecErrors:
        return  # a located error is a fine answer to doubtful input
    check_on_postgresql(conn, spec)


def test_bug_array_min_max(scratch: psycopg.Connection) -> None:
    rejected_or_applies(scratch, {"project": "p", "entities": {
        "Reading": {"attributes": {"samples": {"type": "array", "of": "integer", "min": 0}}}}})


def test_bug_two_relationships_same_fk_column(scratch: psycopg.Connection) -> None:
    rejected_or_applies(scratch, {"project": "p", "entities": {"Person": {}, "Letter": {}}, "relationships": [
        {"name": "sender", "from": "Person", "to": "Letter", "type": "one-to-many"},
        {"name": "recipient", "from": "Person", "to": "Letter", "type": "one-to-many"}]})


def test_bug_structured_order_by_whitespace(scratch: psycopg.Connection) -> None:
    check_on_postgresql(scratch, {"project": "p", "entities": {"Thing": {"attributes": {
        "rank": {"type": "integer", "column": "sort  key"}}}},
        "access_patterns": [{"name": "ranked", "entity": "Thing", "order_by": ["sort  key desc"]}]})


def test_bug_constraint_names_meet_across_tables(scratch: psycopg.Connection) -> None:
    check_on_postgresql(scratch, {"project": "p", "naming": {"tables": "singular"}, "entities": {
        "Order": {"attributes": {"line_sku": {"type": "string", "unique": True}}},
        "OrderLine": {"attributes": {"sku": {"type": "string", "unique": True}}}}})


def test_bug_enum_type_meets_table(scratch: psycopg.Connection) -> None:
    check_on_postgresql(scratch, {"project": "p", "naming": {"tables": "singular", "enums": "type"}, "entities": {
        "Order": {"attributes": {"status": "enum(open, closed)"}},
        "OrderStatus": {"attributes": {"label": "text"}}}})


def test_bug_long_enum_label(scratch: psycopg.Connection) -> None:
    rejected_or_applies(scratch, {"project": "p", "naming": {"enums": "type"}, "entities": {
        "Thing": {"attributes": {"kind": {"type": "enum", "values": ["x" * 64, "short"]}}}}})


def test_bug_newline_in_project_name() -> None:
    """Once a statement smuggled into the header comment; now refused where it is written."""
    with pytest.raises(SpecErrors, match="control character"):
        design_of({"project": "shop\nSELECT 1/0; --", "entities": {"Thing": {}}})


def test_bug_enum_value_with_placeholder(scratch: psycopg.Connection) -> None:
    design = design_of({"project": "p", "entities": {"Thing": {"attributes": {"kind": "enum({col}, other)"}}}})
    with scratch.transaction(force_rollback=True):
        assert apply(scratch, render_up(design)) is None
        failure = apply(scratch, "INSERT INTO things (kind) VALUES ('{col}')")
    assert failure is None, failure


def test_bug_integer_bounds_lose_precision() -> None:
    design = design_of({"project": "p", "entities": {"Thing": {"attributes": {
        "n": {"type": "bigint", "min": 9007199254740993}}}}})
    assert "9007199254740993" in render_up(design)
