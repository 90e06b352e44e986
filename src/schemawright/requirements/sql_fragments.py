"""SQL written inside a spec holds exactly the one thing its field claims.

A `check:` is one expression, a `sql:` default one expression, a pattern, view or summary
query one statement, an `objects:` entry at most one statement.  Each is read by
PostgreSQL's own parser (pglast) inside the statement it will end up in, so text such as
`qty > 0)); DROP ROLE x; CREATE TEMP TABLE p (c int CHECK (true` is refused at `check`
time, located, instead of running as extra statements later.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pglast
from pglast import parser as pg_parser

from schemawright.errors import SpecIssue
from schemawright.naming import Namer
from schemawright.requirements.pattern_sql import structured_sql
from schemawright.requirements.placeholders import placeholders_as_constants
from schemawright.requirements.spec import Immutable, Rule, Spec

if TYPE_CHECKING:
    from schemawright.requirements.loader import Locator

_QUERY_KINDS = ("SelectStmt", "InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt")
_METHOD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ONE_EXPRESSION = ("write one SQL expression, e.g. `qty > 0`: parentheses that balance, and no `;` or `--` comment "
                   "outside a string")
_ONE_QUERY = "write one SQL statement, without `;` between statements; put each query in its own entry"


def check_sql_fragments(spec: Spec, at: Locator) -> tuple[list[SpecIssue], Spec, Locator]:
    """The problems, and the spec without the list items refused (with a locator that still maps
    the rest to the file), so the checks that build the design never meet that SQL."""
    from schemawright.requirements.loader import _RemappedLocator

    out, refused = _problems(spec, at)
    if not refused:
        return out, spec, at
    keep = {key: [i for i in range(len(getattr(spec, key))) if i not in refused.get(key, ())] for key in _LISTS}
    cleaned = spec.model_copy(update={key: [getattr(spec, key)[i] for i in kept] for key, kept in keep.items()})
    inner = getattr(at, "kept", {})
    mapped = {key: [inner[key][i] if key in inner else i for i in kept] for key, kept in keep.items()}
    return out, cleaned, _RemappedLocator(at, {**inner, **mapped})


_LISTS = ("rules", "access_patterns", "views", "denormalizations", "objects")


def _problems(spec: Spec, at: Locator) -> tuple[list[SpecIssue], dict[str, set[int]]]:
    out: list[SpecIssue] = []
    refused: dict[str, set[int]] = {}
    for path, what, context, text in _expressions(spec):
        if problem := expression_problem(text, context):
            out.append(at.issue(path, f"{what} {problem}", _ONE_EXPRESSION if context != "index column" else
                                "write one expression in parentheses, e.g. `(lower(email))`, then ASC/DESC, "
                                "an operator class or COLLATE if needed"))
            if path[0] == "rules":
                refused.setdefault("rules", set()).add(int(path[1]))
    for owner, attributes in _attribute_owners(spec):
        for attr_name, attr in attributes.items():
            if attr.sql_type is not None and (problem := expression_problem(attr.sql_type, "type")):
                out.append(at.issue(owner + ("attributes", attr_name, "sql_type"), f"sql_type {problem}",
                                    "write one PostgreSQL type, e.g. `varchar(40)` or `numeric(10,2)[]`"))
    for name, entity in spec.entities.items():
        for i, index in enumerate(entity.indexes):
            if not _METHOD.fullmatch(index.using):
                out.append(at.issue(("entities", name, "indexes", i, "using"), f"index method {index.using!r} is "
                                    "not a name", "write btree, gin, gist, brin, hash or another access method"))
        for i, exclusion in enumerate(entity.exclusions):
            if problem := _clause_problem(f"CREATE TABLE t (CONSTRAINT x EXCLUDE {exclusion.definition}, d int)",
                                          "CreateStmt", lambda s: len(s.tableElts) == 2):
                out.append(at.issue(("entities", name, "exclusions", i, "definition"), f"exclusion {problem}",
                                    "write what follows EXCLUDE, e.g. `USING gist (room WITH =, during WITH &&)`"))
        for part, bound in ((entity.partition.bounds or {}) if entity.partition else {}).items():
            if problem := _clause_problem(f"CREATE TABLE p PARTITION OF t {bound};\nSELECT", "CreateStmt",
                                          lambda s: s.partbound is not None and not s.tableElts and not s.partspec):
                out.append(at.issue(("entities", name, "partition", "bounds", part), f"partition bound {problem}",
                                    "write the bound as PostgreSQL does: FOR VALUES FROM (...) TO (...), "
                                    "FOR VALUES IN (...), FOR VALUES WITH (...) or DEFAULT"))
    namer = Namer(spec.naming.tables, spec.naming.case)
    for i, pattern in enumerate(spec.access_patterns):
        key = "query" if pattern.query is not None else "where"
        sql = pattern.query if pattern.query is not None else structured_sql(pattern, spec, namer)
        if problem := query_problem(sql, _QUERY_KINDS, parameters=True):
            refused.setdefault("access_patterns", set()).add(i)
            out.append(at.issue(("access_patterns", i, key), f"access pattern {pattern.name!r} {problem}", _ONE_QUERY
                                if key == "query" else "each `where:` operator is one of =, <, <=, >, >=, in, like, "
                                "between, is null"))
    for i, view in enumerate(spec.views):
        if problem := query_problem(view.sql, ("SelectStmt",)):
            refused.setdefault("views", set()).add(i)
            out.append(at.issue(("views", i, "sql"), f"view {view.name!r} {problem}",
                                "write the one SELECT that defines the view"))
    for i, item in enumerate(spec.denormalizations):
        if item.query is not None and (problem := query_problem(item.query, ("SelectStmt",))):
            refused.setdefault("denormalizations", set()).add(i)
            out.append(at.issue(("denormalizations", i, "query"), f"{item.kind} {item.name!r} {problem}",
                                "write the one SELECT that computes it"))
    for i, obj in enumerate(spec.objects):
        if problem := _object_problem(obj.sql):
            refused.setdefault("objects", set()).add(i)
            out.append(at.issue(("objects", i, "sql"), f"{obj.kind} {obj.name!r} {problem}",
                                "one entry per object: split the SQL into one `objects:` entry per statement"))
    return out, refused


def _attribute_owners(spec: Spec) -> list[tuple[tuple, dict]]:
    """(path, attributes) of each entity and each relationship (a many-to-many carries attributes)."""
    return [(("entities", name), entity.attributes) for name, entity in spec.entities.items()] + \
        [(("relationships", i), rel.attributes) for i, rel in enumerate(spec.relationships)]


def _expressions(spec: Spec) -> Iterator[tuple[tuple, str, str, str]]:
    """(path, what, context, text) of every SQL expression the spec holds."""
    for owner, attributes in _attribute_owners(spec):
        for attr_name, attr in attributes.items():
            at = owner + ("attributes", attr_name)
            if attr.check is not None:
                yield at + ("check",), "check", "check", attr.check
            if attr.generated is not None:
                yield at + ("generated",), "generated expression", "generated", attr.generated
            if isinstance(attr.default, str) and attr.default.strip().lower().startswith("sql:"):
                yield at + ("default",), "`sql:` default", "default", attr.default.strip()[4:]
    for name, entity in spec.entities.items():
        for i, index in enumerate(entity.indexes):
            if index.where is not None:
                yield ("entities", name, "indexes", i, "where"), "index predicate", "where", index.where
            for column in (c for c in index.columns if c.startswith("(")):
                yield ("entities", name, "indexes", i, "columns"), "index column", "index column", column
    for i, rule in enumerate(spec.rules):
        if rule.check is not None:
            yield ("rules", i, "check"), "check", "check", rule.check
        for key, what, context, text in _rule_sql(rule):
            yield ("rules", i) + key, what, context, text


def _rule_sql(rule: Rule) -> Iterator[tuple[tuple, str, str, str]]:
    """The SQL conditions of a business rule, each in the statement integrity/invariants.py
    puts it in: a partial index, an exclusion, a CHECK or a SELECT inside a trigger function."""
    one = rule.at_most_one or rule.exactly_one
    if one is not None:
        kind = "at_most_one" if rule.at_most_one else "exactly_one"
        yield (kind, "where"), f"{kind}.where", "where", one.where
    if rule.no_overlap is not None and rule.no_overlap.where is not None:
        yield ("no_overlap", "where"), "no_overlap.where", "exclusion where", rule.no_overlap.where
    if rule.aggregate is not None:
        yield ("aggregate", "check"), "aggregate check", "select", rule.aggregate.check
    if isinstance(rule.immutable, Immutable):
        yield ("immutable", "when"), "immutable.when", "select", rule.immutable.when
    for key in ("when", "then"):
        if getattr(rule, key) is not None:
            yield (key,), f"`{key}`", "check", getattr(rule, key)
    if rule.parent_check is not None:
        yield ("parent_check", "check"), "parent check", "select", rule.parent_check.check


def _parse(sql: str) -> tuple[list, str | None]:
    try:
        return [raw.stmt for raw in pglast.parse_sql(sql)], None
    except pg_parser.ParseError as error:
        return [], str(error.args[0] if error.args else error)


# Where each kind of text ends up, as the renderer writes it (something follows on the same
# line, so a `--` comment in the text is caught too), and the parts of the parsed statements
# that hold the text: those are left out of the comparison with a harmless stand-in.
CONTEXTS = {
    "check": ("CREATE TABLE t (CONSTRAINT c CHECK ({}), d int)", ("raw_expr",)),
    "default": ("CREATE TABLE t (c int DEFAULT {} NOT NULL, d int)", ("raw_expr",)),
    "generated": ("CREATE TABLE t (c int GENERATED ALWAYS AS ({}) STORED, d int)", ("raw_expr",)),
    "where": ("CREATE INDEX i ON t (c) WHERE {};\nSELECT", ("whereClause",)),
    "exclusion where": ("CREATE TABLE t (CONSTRAINT x EXCLUDE USING gist (c WITH &&) WHERE ({}), d int)",
                        ("where_clause",)),
    "select": ("SELECT ({}) FROM t WHERE c = 1", ("targetList",)),  # the SELECT ... INTO of a trigger function
    "index column": ("CREATE INDEX i ON t ({}) INCLUDE (d)", ("indexParams",)),
    "type": ("CREATE TABLE t (c {} NOT NULL, d int)", ("typeName", "collClause")),
}
_STAND_IN = {"type": "int"}


def expression_problem(text: str, context: str = "check") -> str | None:
    """None when `text` is one SQL expression (or type) where `context` puts it, else what is wrong."""
    if not text.strip():
        return "is empty"
    template, holes = CONTEXTS[context]
    found, error = _parse(template.format(text))
    meant = _parse(template.format(_STAND_IN.get(context, "(c)")))[0]
    if error is None and [_skeleton(s, holes) for s in found] == [_skeleton(s, holes) for s in meant]:
        return None
    what = "one type" if context == "type" else "one SQL expression"
    many = _statements_problem(text)
    if many or error:
        return many or f"is not {what} ({error})"
    return f"is not {what}: it goes on past its end (a closing parenthesis, a comma or a `--` comment)"


def _skeleton(node: object, holes: tuple[str, ...]) -> object:
    """The parsed statement without positions and with only the size of the parts that hold the text."""
    def strip(value: object) -> object:
        if isinstance(value, dict):
            return {k: (len(v) if isinstance(v, (list, tuple)) else None) if k in holes else strip(v)
                    for k, v in value.items() if k != "location"}
        if isinstance(value, (list, tuple)):
            return [strip(v) for v in value]
        return value
    return strip(node(skip_none=True))  # type: ignore[operator]


def _clause_problem(sql: str, kind: str, shape) -> str | None:  # noqa: ANN001 - a predicate on the node
    """None when `sql` parses as one statement of `kind` with the `shape` asked (then a bare SELECT
    when the template has one: the clause did not hide the `;` after it)."""
    found, error = _parse(sql)
    tail = ["SelectStmt"] if sql.endswith(";\nSELECT") else []
    if (error is None and [type(s).__name__ for s in found] == [kind] + tail and shape(found[0])):
        return None
    return "is not one clause" + (f" ({error})" if error else ": it ends its statement and continues")


def query_problem(sql: str, kinds: tuple[str, ...], parameters: bool = False) -> str | None:
    """None when `sql` is exactly one statement of one of `kinds`.  With `parameters` (an access
    pattern: `:name` allowed), statements are counted by the scanner and SQL that does not parse
    is left to the pattern checks, which name the table or column at fault."""
    checked = sql
    if parameters:
        try:
            count = len(pglast.split(sql, with_parser=False, only_slices=True))
            checked = placeholders_as_constants(sql, pg_parser.scan(sql))
        except pg_parser.ParseError as error:
            return f"does not parse ({error.args[0] if error.args else error})"
        if count != 1:
            return "holds no SQL statement" if not count else f"holds {count} SQL statements, not one"
    found, error = _parse(checked)
    if error is not None:
        return None if parameters else f"does not parse ({error})"
    if len(found) != 1:
        return "holds no SQL statement" if not found else f"holds {len(found)} SQL statements, not one"
    kind = type(found[0]).__name__
    if kind not in kinds:
        return f"is a {kind.removesuffix('Stmt')} statement, not " + " or ".join(k.removesuffix("Stmt").upper()
                                                                                  for k in kinds)
    return None


def _object_problem(sql: str) -> str | None:
    """An object holds one statement (or none: an object kept from MySQL or SQLite is only comments)."""
    found, error = _parse(sql)
    if error is not None:
        return f"does not parse ({error})"
    return f"holds {len(found)} SQL statements, not one" if len(found) > 1 else None


def _statements_problem(text: str) -> str | None:
    """`holds N SQL statements` when the text itself reads as several statements."""
    found, error = _parse(text)
    return f"holds {len(found)} SQL statements, not one expression" if error is None and len(found) > 1 else None
