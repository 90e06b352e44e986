"""Proof that monitoring/queries.yml's custom queries work on the design's schema.

A scratch PostgreSQL (the machine's binaries, database/configured_server.py) starts with
pg_stat_statements preloaded; the design's schema is applied; each read pattern runs once with
its tag comment first and NULL for every parameter (rows are not needed: pg_stat_statements
counts the execution); then the queries of queries.yml run as postgres_exporter would run them.
PASS when the pattern query reports every pattern that ran under its own name (so the tag
survives into pg_stat_statements' text) and the partitions query a figure for every range table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import yaml

from schemawright import model as m
from schemawright.database import Database, DatabaseError
from schemawright.database.configured_server import ServerError, configured_server, debian_binaries
from schemawright.sql.postgresql import render_up
from schemawright.validation.operations.context import OperationsRun
from schemawright.validation.params import positional
from schemawright.validation.report import FAIL, NOT_TRIED, PASS, Check

QUERIES = "monitoring/queries.yml"
CONF = "postgresql.monitoring.conf"
HBA = "local all postgres trust\n"
NAME = "operations: monitoring: custom queries on PostgreSQL"
TAG = "/* pattern:{name} */ "


def checks(run: OperationsRun) -> Iterator[Check]:
    text = run.files.get(QUERIES)
    if text is None:
        yield Check(NAME, FAIL, f"the plan wrote no {QUERIES}")
        return
    queries = yaml.safe_load(text) or {}
    binaries = debian_binaries("pg_stat_statements")
    if binaries is None:
        yield Check(NAME, NOT_TRIED, "no PostgreSQL with pg_stat_statements under /usr/lib/postgresql "
                                     "(Debian: apt-get install postgresql-15)")
        return
    files = {"pg_hba.conf": HBA.encode(), CONF: b"shared_preload_libraries = 'pg_stat_statements'\n"}
    try:
        run.say("monitoring: the custom queries on a scratch server")
        with configured_server(binaries, files, include=CONF) as server, \
                Database(f"postgresql://postgres@/postgres?host={server.directory}&port={server.port}") as db:
            db.execute(render_up(run.design))
            db.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            db.execute("SELECT pg_stat_statements_reset()")
            ran, refused = run_tagged(db, run.design)
            yield judge(db, queries, run.design, ran, refused)
    except (ServerError, DatabaseError) as error:
        yield Check(NAME, FAIL, f"could not run them: {error}")


def run_tagged(db: Database, design: m.Design) -> tuple[list[str], list[str]]:
    """Each timed read pattern once, tagged, every parameter NULL; (ran, refused by the server)."""
    ran, refused = [], []
    for pattern in design.access_patterns:
        if pattern.kind != "read" or not pattern.latency_p95_ms:
            continue
        sql = re.sub(r"\$\d+", "NULL", positional(pattern.sql).sql)
        try:
            db.query(TAG.format(name=pattern.name) + sql)  # no parameters: a % is not a placeholder
            ran.append(pattern.name)
        except DatabaseError:
            refused.append(pattern.name)
    return ran, refused


def judge(db: Database, queries: dict, design: m.Design, ran: list[str], refused: list[str]) -> Check:
    problems, found_patterns, found_tables = [], set(), set()
    for name, query in queries.items():
        try:
            rows = db.query(query["query"])
        except DatabaseError as error:
            problems.append(f"{name} fails: {error}")
            continue
        labels = [next(iter(metric)) for metric in query["metrics"]
                  if next(iter(metric.values()))["usage"] == "LABEL"]
        if name == "schemawright_pattern":
            found_patterns |= {row[0] for row in rows if row[1]}
        elif name == "schemawright_partitions":
            found_tables |= {row[0] for row in rows if row[1] is not None}
        if not labels:
            problems.append(f"{name} has no label column")
    missing = [p for p in ran if p not in found_patterns]
    if missing:
        problems.append("pg_stat_statements lost the tag of " + ", ".join(missing))
    ranges = [t.name for t in design.tables if t.partitioning is not None and t.partitioning.method == "range"]
    if [t for t in ranges if t not in found_tables]:
        problems.append("no partitions-ahead figure for " + ", ".join(t for t in ranges if t not in found_tables))
    if not ran and [p for p in design.access_patterns if p.latency_p95_ms and p.kind == "read"]:
        problems.append("no read pattern ran (" + ", ".join(refused) + ")")
    detail = (f"{len(found_patterns)} tagged patterns found in pg_stat_statements, partitions ahead for "
              f"{len(found_tables)} range tables" + (f"; not run with NULL parameters: {', '.join(refused)}"
                                                     if refused else ""))
    return Check(NAME, FAIL if problems else PASS, "; ".join(problems) if problems else detail)
