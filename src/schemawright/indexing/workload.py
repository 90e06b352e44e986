"""The workload `advise` costs: a file of SQL statements, or `pg_stat_statements`.

A workload file holds one statement each, separated by `;`, with comments allowed.  A comment
just before a statement may name it and weight it:

    -- name: orders_of_customer
    -- frequency: 12.5
    SELECT * FROM orders WHERE customer_id = $1;

Statements without a name are called `q1`, `q2` ... (their position in the file); without a
frequency they weigh 1.  Parameters may be written `$1`, `:name` or `?`.  Every statement is
checked with PostgreSQL's own parser (pglast), and each one that does not parse is reported
with its file, line and column; the file is rejected as a whole then.

Without a file, `pg_stat_statements` (when the extension is installed and loaded) gives the
statements the server has normalised (`$1` parameters) with their number of calls as weights.

A file's literals are one call's values, not the workload's: `literals_as_parameters` turns the
constants of its predicates into parameters, as `pg_stat_statements` does, before candidates
are made, so `customer_id = 123` never becomes a partial index `WHERE customer_id = 123`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import pglast
from pglast import parser as pg_parser
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from schemawright import model as m
from schemawright.database import Database, DatabaseError
from schemawright.errors import SpecErrors, SpecIssue
from schemawright.files import read_text
from schemawright.indexing.analysis import parse
from schemawright.requirements.placeholders import placeholders_as_constants

_NAME = re.compile(r"--\s*name\s*:\s*(\S.*?)\s*$", re.IGNORECASE)
_FREQUENCY = re.compile(r"--\s*frequency\s*:\s*(\S+)\s*$", re.IGNORECASE)
_WRITES = ("insert", "update", "delete", "merge")
_QUERIES = ("select", "with", "table", "values") + _WRITES
PG_STAT_LIMIT = 200


class WorkloadErrors(SpecErrors):
    """Statements of a workload file that cannot be read, each with its place in the file."""


@dataclass(frozen=True)
class Workload:
    patterns: tuple[m.AccessPattern, ...]
    source: str  # the file, or "pg_stat_statements"
    skipped: tuple[str, ...] = ()  # statements left out (utility commands, catalog queries), with why


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def parse_workload(text: str, file: str) -> Workload:
    """The access patterns of a workload file (raise WorkloadErrors, every problem located)."""
    issues: list[SpecIssue] = []
    try:
        slices = pglast.split(text, with_parser=False, only_slices=True)
    except pg_parser.ParseError as error:
        offset = error.args[1] if len(error.args) > 1 else 0
        line, col = _line_col(text, offset)
        raise WorkloadErrors([SpecIssue(file, line, col, f"cannot split the workload into statements: {error.args[0]}",
                                        "close every quote and comment; end each statement with ;")]) from None
    patterns: list[m.AccessPattern] = []
    names: set[str] = set()
    skipped: list[str] = []
    for part in slices:
        start = part.start
        sql = text[part]
        tokens = pg_parser.scan(sql)
        comments = []
        body = None
        for tok in tokens:
            if tok.name in ("SQL_COMMENT", "C_COMMENT"):
                if body is None:
                    comments.append(tok)
                continue
            body = body or tok
        if body is None:
            continue  # only comments
        statement = sql[body.start:].strip()
        offset = start + body.start
        line, col = _line_col(text, offset)
        name = frequency = None
        for tok in comments:
            comment = sql[tok.start:tok.end + 1]
            if found := _NAME.match(comment):
                name = found.group(1)
            elif found := _FREQUENCY.match(comment):
                where = _line_col(text, start + tok.start)
                try:
                    frequency = float(found.group(1))
                    if not math.isfinite(frequency) or frequency < 0:
                        raise ValueError
                except ValueError:
                    issues.append(SpecIssue(file, *where, f"frequency {found.group(1)!r} is not a number >= 0",
                                            "write e.g. `-- frequency: 12.5` (executions per second, or any weight)"))
        checked = placeholders_as_constants(sql, tokens)
        try:
            pglast.parse_sql(checked)
        except pg_parser.ParseError as error:
            at = error.args[1] if len(error.args) > 1 and isinstance(error.args[1], int) else body.start
            eline, ecol = _line_col(text, start + min(max(at, body.start), len(sql)))
            issues.append(SpecIssue(file, eline, ecol, f"statement does not parse: {error.args[0]}",
                                    "fix the SQL (one statement each, separated by ;); parameters are $1, :name or ?"))
            continue
        verb = statement.split(None, 1)[0].lower().rstrip("(")
        label = name or f"q{len(patterns) + 1}"
        if verb not in _QUERIES:
            skipped.append(f"{file}:{line}:{col}: {verb.upper()} is not a query or a write; left out")
            continue
        if label in names:
            issues.append(SpecIssue(file, line, col, f"two statements are named {label!r}",
                                    "give each statement its own `-- name:`"))
            continue
        names.add(label)
        patterns.append(m.AccessPattern(name=label, sql=statement, frequency=1.0 if frequency is None else frequency,
                                        kind="write" if _is_write(statement) else "read",
                                        description=f"{file}:{line}"))
    if issues:
        raise WorkloadErrors(issues)
    if not patterns:
        raise WorkloadErrors([SpecIssue(file, 1, 1, "the workload holds no query",
                                        "write the application's SELECT/INSERT/UPDATE/DELETE statements, "
                                        "each ended with ;")])
    return Workload(tuple(patterns), file, tuple(skipped))


LIFTED_PREFIX = "sw_lit"


def literals_as_parameters(sql: str) -> str:
    """`sql` with the constants of its predicates (WHERE, JOIN ... ON, HAVING) as `:sw_litN`
    parameters, like pg_stat_statements' `$n`.  Kept: a LIKE pattern (its wildcards decide
    between a prefix B-tree and a trigram index; they are the statement's shape, not a value),
    an INTERVAL's quantity (`interval $1 day` is no SQL), constants elsewhere (select list,
    ORDER BY 1).  SQL the parser cannot read is returned as is."""
    try:
        tree = parse(sql)
    except (ParseError, TokenError):
        return sql
    if tree is None:
        return sql
    lifted = 0
    for literal in list(tree.find_all(exp.Literal)):
        if not _in_predicate(literal) or isinstance(literal.parent, (exp.Interval, exp.Parameter, exp.Placeholder,
                                                                     exp.DataType, exp.DataTypeParam)):
            continue
        if isinstance(literal.parent, (exp.Like, exp.ILike)) and literal.arg_key == "expression":
            continue
        lifted += 1
        literal.replace(exp.var(f":{LIFTED_PREFIX}{lifted}"))
    if not lifted:
        return sql
    for node in list(tree.find_all(exp.Placeholder)):  # sqlglot would print :name as %(name)s
        if node.name and not node.args.get("jdbc"):
            node.replace(exp.var(f":{node.name}"))
    return tree.sql(dialect="postgres")


def _in_predicate(node: exp.Expression) -> bool:
    child, parent = node, node.parent
    while parent is not None:
        if isinstance(parent, (exp.Where, exp.Having)):
            return True
        if isinstance(parent, exp.Join) and child.arg_key == "on":
            return True
        if isinstance(parent, (exp.Select, exp.Subquery)):
            return False
        child, parent = parent, parent.parent
    return False


def _is_write(sql: str) -> bool:
    try:
        tree = pglast.parse_sql(placeholders_as_constants(sql, pg_parser.scan(sql)))
    except pg_parser.ParseError:
        return False
    kind = type(tree[0].stmt).__name__ if tree else ""
    return kind in ("InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt")


def read_workload_file(path: Path) -> Workload:
    text = read_text(path, "workload file", "pass a file of SQL statements separated by ;", WorkloadErrors)
    return parse_workload(text, str(path))


# ---------------------------------------------------------------- pg_stat_statements


class NoStatementStatistics(Exception):
    """pg_stat_statements cannot be read on this database (the message says why and what to do)."""


def pg_stat_statements_available(db: Database) -> str | None:
    """None when pg_stat_statements can be read; else why not."""
    if not db.query_value("SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'"):
        return ("the pg_stat_statements extension is not created in this database "
                "(it needs shared_preload_libraries = 'pg_stat_statements' and CREATE EXTENSION pg_stat_statements)")
    try:
        db.query_value("SELECT count(*) FROM pg_stat_statements")
    except DatabaseError as error:
        return f"pg_stat_statements cannot be read: {error}"
    return None


def read_pg_stat_statements(db: Database, tables: set[str], limit: int = PG_STAT_LIMIT) -> Workload:
    """The most called statements of this database that read or write one of `tables`,
    `calls` as their frequency, in the server's normalised form (`$1` parameters)."""
    why = pg_stat_statements_available(db)
    if why:
        raise NoStatementStatistics(why)
    rows = db.query(
        "SELECT queryid, query, calls FROM pg_stat_statements "
        "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND calls > 0 "
        "ORDER BY calls DESC, queryid LIMIT %s", [limit * 5])
    patterns: list[m.AccessPattern] = []
    skipped: list[str] = []
    lowered = {t.lower() for t in tables}
    for queryid, query, calls in rows:
        text = (query or "").strip().rstrip(";").strip()
        if not text:
            continue
        verb = text.split(None, 1)[0].lower()
        if verb not in _QUERIES:
            continue
        try:
            tree = pglast.parse_sql(text)
        except pg_parser.ParseError:
            skipped.append(f"pg_stat_statements {queryid}: does not parse; left out")
            continue
        if len(tree) != 1:
            continue
        used = _relations(tree[0].stmt)
        if not used or not used <= lowered:
            continue  # catalog queries, other schemas, or tables the design does not hold
        patterns.append(m.AccessPattern(name=f"q{len(patterns) + 1}", sql=text, frequency=float(calls),
                                        kind="write" if _is_write(text) else "read",
                                        description=f"pg_stat_statements queryid {queryid}"))
        if len(patterns) >= limit:
            break
    return Workload(tuple(patterns), "pg_stat_statements", tuple(skipped))


def _relations(stmt: object) -> set[str]:
    """Unqualified (or public-qualified) table names a statement reads or writes; a name in
    another schema makes it unusable (returned as a name that matches no table)."""
    from pglast import ast
    from pglast.visitors import Visitor

    found: set[str] = set()
    ctes: set[str] = set()

    class _Walk(Visitor):
        def visit_CommonTableExpr(self, _ancestors, node):
            ctes.add(node.ctename.lower())

        def visit_RangeVar(self, _ancestors, node: ast.RangeVar):
            if node.schemaname and node.schemaname != "public":
                found.add(f"{node.schemaname}.{node.relname}".lower())
            else:
                found.add(node.relname.lower())

    _Walk()(stmt)
    return found - ctes
