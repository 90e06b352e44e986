"""`schemawright advise`: the planner-checked advisor on a live PostgreSQL database.

Safe on a production database: it changes nothing unless asked with `--apply`.

- Every connection of the advice run is READ ONLY (`default_transaction_read_only`), so no
  DDL or DML can reach the database even by mistake; the what-if indexes are HypoPG's
  hypothetical ones (backend memory only), never real builds; statistics are not frozen
  (no `ALTER TABLE ... autovacuum_enabled`, no `CREATE STATISTICS`, no `ANALYZE`: the
  planner's current statistics are used as they are).
- Parameter values come from `pg_stats` and, for a column without statistics, from a
  `TABLESAMPLE` capped in rows (validation.table_reads.SampledTables): no table is read in
  full.  The report says what was read.
- HypoPG must be created in the database beforehand (`CREATE EXTENSION hypopg`, which needs
  the server package, Debian: `postgresql-NN-hypopg`): creating it would be a change.
- `--apply` runs the `CREATE INDEX CONCURRENTLY` statements one by one, outside any
  transaction, and drops the invalid index a failed concurrent build leaves behind.
- The budget is real bytes: B-tree sizes come from indexing.btree_size (within 10 % of built
  sizes), not from HypoPG (about twice too large).  The workload's literals become parameters
  before candidates are made, as pg_stat_statements records statements (no partial index
  `WHERE customer_id = 123`).  An index with idx_scan = 0 that a plan in the report's cost
  table uses is listed as "planned" (keep it), never as "unused".  The advisor's own time is
  printed (and bounded: select.MAX_SECONDS).

Exit codes: 0 advice given (and applied), 1 an index could not be created, 2 bad input or a
database the advisor cannot work on (no HypoPG, no workload, cannot connect).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from schemawright import model as m
from schemawright.commands.output import err, out
from schemawright.database import Database, DatabaseError, redact
from schemawright.database.urls import connection_problem, setting, with_query
from schemawright.errors import SpecErrors
from schemawright.indexing.advise_report import (
    AdviseReport,
    ExistingIndex,
    render_json,
    render_text,
    statements,
)
from schemawright.indexing.workload import (
    NoStatementStatistics,
    read_pg_stat_statements,
    read_workload_file,
)
from schemawright.sql.postgresql import PostgresGenerator
from schemawright.sql.quoting import quote_ident
from schemawright.validation.table_reads import SampledTables

_READ_ONLY = "-c default_transaction_read_only=on"
_SQL = PostgresGenerator()
_UNITS = {"": 1, "b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3, "tb": 1024**4}
_KV_OPTIONS = re.compile(r"\boptions\s*=\s*('(?:[^'\\]|\\.)*'|\S+)")
_BUDGET = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(%|[kKmMgGtT]?[bB]?)\s*$")


class AdviseFailure(Exception):
    """Why advise cannot run; printed as is, exit 2."""


def read_only_url(url: str) -> str:
    """`url` with every transaction of its sessions READ ONLY (libpq `options`)."""
    if "://" not in url:
        found = _KV_OPTIONS.search(url)
        given = found.group(1) if found else ""
        if given.startswith("'"):
            given = re.sub(r"\\(.)", r"\1", given[1:-1])
        value = " ".join(v for v in (_READ_ONLY, given) if v).replace("\\", "\\\\").replace("'", "\\'")
        rest = _KV_OPTIONS.sub("", url).strip() if found else url
        return f"{rest} options='{value}'"
    given = setting(url, "options")
    return with_query(url, options=" ".join(v for v in (_READ_ONLY, given) if v))


def parse_budget(text: str | None) -> tuple[float | None, int | None]:
    """`10%` -> (0.1, None); `500MB` or `1048576` -> (None, bytes); None -> (None, None)."""
    if text is None:
        return None, None
    found = _BUDGET.match(text)
    if not found:
        raise AdviseFailure(f"--budget {text!r}: write a share of the tables' size (`10%`) or bytes "
                            "(`1048576`, `500MB`, `2GB`)")
    number, unit = float(found.group(1)), found.group(2).lower()
    if unit == "%":
        return number / 100.0, None
    return None, int(number * _UNITS[unit if unit.endswith("b") or not unit else unit + "b"])


def _hypopg_problem(db: Database) -> str | None:
    if db.query_value("SELECT 1 FROM pg_extension WHERE extname = 'hypopg'"):
        return None
    major = db.server_version // 10000
    if db.query_value("SELECT 1 FROM pg_available_extensions WHERE name = 'hypopg'"):
        return (f"HypoPG is installed on the server but not created in database {db.dbname!r}; "
                "advise changes nothing in the database, so it does not create it itself.\n"
                f"hint: run `CREATE EXTENSION hypopg;` in {db.dbname!r} (it adds only functions), then run advise again")
    return ("the server has no HypoPG extension, which advise needs to cost hypothetical indexes "
            "without building anything.\n"
            f"hint: install the server package (Debian/Ubuntu: apt-get install postgresql-{major}-hypopg; "
            "other systems: https://github.com/HypoPG/hypopg), then run `CREATE EXTENSION hypopg;` "
            "in the database (CREATE EXTENSION hypopg needs the package on the server)")


def _existing(db: Database, design: m.Design) -> tuple[list[ExistingIndex], str | None]:
    """Unused (idx_scan = 0), duplicate and prefix-redundant indexes already in the database;
    the last two from lint rules SW302 and SW303."""
    from schemawright.lint.context import Context
    from schemawright.lint.rules.indexing import DuplicateIndex, RedundantPrefixIndex

    schema = design.source.schema_name or "public"
    out: list[ExistingIndex] = []
    for name, table, size in db.query(
            "SELECT s.indexrelname, s.relname, pg_relation_size(s.indexrelid) FROM pg_stat_user_indexes s "
            "JOIN pg_index i ON i.indexrelid = s.indexrelid WHERE s.schemaname = %s AND s.idx_scan = 0 "
            "AND NOT i.indisunique AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = s.indexrelid) "
            "ORDER BY s.relname, s.indexrelname", [schema]):
        out.append(ExistingIndex(name, table, "unused", "never scanned (idx_scan = 0)",
                                 _drop_concurrently(name).removesuffix(";")
                                 + " (once sure no query or replica uses it)",
                                 int(size)))
    ctx = Context(design)
    for kind, rule in (("duplicate", DuplicateIndex), ("redundant", RedundantPrefixIndex)):
        for hit in rule().check(ctx):
            found = re.match(r"^(?:index|primary key|unique constraint) (.+?) on ", hit.message)
            name = found.group(1) if found else hit.table or ""
            size = db.query_value("SELECT pg_relation_size(to_regclass(%s))", [quote_ident(name)])
            out.append(ExistingIndex(name, hit.table or "", kind, hit.message, hit.fix or rule.fix,
                                     int(size) if size is not None else None))
    reset = db.query_value("SELECT stats_reset::text FROM pg_stat_database WHERE datname = current_database()")
    return out, reset


def _data_bytes(db: Database, design: m.Design) -> int:
    total = 0
    for table in design.tables:
        total += int(db.query_value("SELECT coalesce(pg_table_size(to_regclass(%s)), 0)", [quote_ident(table.name)]))
    return total


def build_report(database_url: str, workload_file: Path | None, budget: str | None,
                 say=lambda _s: None) -> AdviseReport:
    from schemawright.importers.postgresql_live import import_postgresql_database
    from schemawright.indexing.select import advise

    fraction, budget_bytes = parse_budget(budget)
    workload = read_workload_file(workload_file) if workload_file is not None else None  # raises WorkloadErrors
    shown = redact(database_url)
    problem = connection_problem(database_url)
    if problem:  # before read_only_url rewrites it
        raise AdviseFailure(problem)
    url = read_only_url(database_url)
    try:
        with Database(url) as db:
            problem = _hypopg_problem(db)
            if problem:
                raise AdviseFailure(problem)
            version = str(db.query_value("SHOW server_version"))
            say("Reading the schema")
            design = import_postgresql_database(url)
            if workload is None:
                say("Reading pg_stat_statements")
                try:
                    workload = read_pg_stat_statements(db, {t.name for t in design.tables})
                except NoStatementStatistics as why:
                    raise AdviseFailure(f"no workload: {why}.\nhint: pass --workload FILE.sql with the application's "
                                        "queries (one statement each, separated by ;)") from None
                if not workload.patterns:
                    raise AdviseFailure("no workload: pg_stat_statements holds no query on this database's tables "
                                        "yet.\nhint: pass --workload FILE.sql, or run the application for a while")
            existing, reset = _existing(db, design)
            if fraction is not None:
                budget_bytes = int(fraction * _data_bytes(db, design))
    except DatabaseError as error:
        raise AdviseFailure(f"cannot read {shown}: {error}") from None
    design = design.model_copy(update={"access_patterns": workload.patterns})
    say("Costing the workload with hypothetical indexes")
    try:
        advice = advise(design, url, budget_bytes=budget_bytes, whatif="hypopg", allow_builds=False, freeze=False, analyze=False,
                        progress=say, reads=SampledTables(), lift_literals=True)
    except ValueError as error:
        raise AdviseFailure(str(error)) from None
    except DatabaseError as error:
        raise AdviseFailure(f"the advisor failed on {shown}: {error}") from None
    return AdviseReport(advice, shown, workload.source, reconcile(existing, advice.patterns), reset, workload.skipped,
                        server_version=version)


def reconcile(existing: list[ExistingIndex], patterns) -> list[ExistingIndex]:  # noqa: ANN001 - [PatternCost]
    """An index with idx_scan = 0 that a plan of this very report uses (with or without the
    advice) is no "unused, drop it": idx_scan counts executions since the last reset, EXPLAIN
    counts none, so both are read from the same EXPLAIN data as the cost table."""
    users: dict[str, list[str]] = {}
    for p in patterns:
        for name in dict.fromkeys(tuple(p.indexes) + tuple(p.before_indexes)):
            users.setdefault(name, []).append(p.name)
    out = []
    for e in existing:
        if e.kind == "unused" and e.name in users:
            e = ExistingIndex(e.name, e.table, "planned",
                              f"idx_scan is 0, but the workload's plans use it ({', '.join(users[e.name])})",
                              "keep it: the plans in the cost table choose it (idx_scan counts only executions "
                              "since the last statistics reset)", e.size_bytes)
        out.append(e)
    return out


def _drop_concurrently(name: str, if_exists: bool = False) -> str:
    """DROP INDEX without blocking writes (it cannot run inside a transaction block)."""
    return _SQL.drop_index_sql(name, concurrently=True, if_exists=if_exists)


def apply(report: AdviseReport, database_url: str) -> None:
    """CREATE INDEX CONCURRENTLY each recommended index, one at a time, in autocommit mode."""
    with Database(database_url) as db:
        for sql, index in statements(report.advice):
            if db.query_value("SELECT to_regclass(%s) IS NOT NULL", [quote_ident(index.name)]):
                report.apply_errors.append(f"{index.name}: a relation of that name already exists; not created")
                continue
            try:
                db.execute(sql)
            except DatabaseError as error:
                report.apply_errors.append(f"{index.name}: {error}")
                if db.query_value("SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)",
                                  [quote_ident(index.name)]):
                    try:
                        db.execute(_drop_concurrently(index.name, if_exists=True))
                    except DatabaseError:
                        report.apply_errors.append(f"{index.name}: the invalid index left by the failed build could "
                                                   f"not be dropped: {_drop_concurrently(index.name).removesuffix(';')}")
                continue
            report.applied.append(index.name)


@dataclass(frozen=True)
class AdviseOptions:
    database_url: str
    workload: Path | None = None
    budget: str | None = None
    format: str = "text"
    apply: bool = False


def run(options: AdviseOptions) -> int:
    database_url, workload_file, budget = options.database_url, options.workload, options.budget
    fmt, do_apply = options.format, options.apply
    if fmt not in ("text", "json"):
        err.print(f"--format {fmt!r}: use text or json", markup=False)
        return 2
    try:
        with err.status("advise") as status:
            report = build_report(database_url, workload_file, budget,
                                  say=lambda text: status.update(text))
    except SpecErrors as exc:
        for issue in exc.issues:
            err.print(issue.format(), markup=False, soft_wrap=True)
        err.print(f"{len(exc.issues)} error(s); nothing was analysed.", markup=False)
        return 2
    except AdviseFailure as failure:
        err.print(f"error: {failure}", markup=False, soft_wrap=True)
        return 2
    if do_apply:
        try:
            apply(report, database_url)
        except DatabaseError as error:
            report.apply_errors.append(f"cannot connect to {redact(database_url)}: {error}")
    text = render_json(report) if fmt == "json" else render_text(report)
    out.file.write(text)
    out.file.flush()
    return 1 if report.apply_errors else 0
