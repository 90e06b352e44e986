"""`validate`: prove a design on a real PostgreSQL, in a scratch database that is dropped after.

Steps: create the scratch database, snapshot its catalog, apply the up migration,
insert synthetic rows, run every access pattern, apply the down migration, check the
catalog matches the snapshot, drop the scratch database.  Every problem becomes a FAIL
check carrying PostgreSQL's message; no exception escapes for a bad design.

All of the spec's SQL runs as a throw-away role that owns only the scratch database
(database/sandbox.py), so hostile SQL in a spec fails with "permission denied" instead of
reaching the rest of the server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from schemawright import model as m
from schemawright.database import (
    Database,
    DatabaseError,
    EmbeddedServerError,
    Sandbox,
    embedded_server,
    redact,
    sandboxed_database,
)
from schemawright.database.sandbox import without_statements_on
from schemawright.security.names import run_roles, scoped
from schemawright.sql.postgresql import render_down, render_up
from schemawright.validation.at_rest import at_rest_checks
from schemawright.validation.emptiness import compare, snapshot
from schemawright.validation.patterns import RUNS, run_patterns
from schemawright.validation.plaintext import use_test_key
from schemawright.validation.report import Check, ValidationReport
from schemawright.validation.rule_load import balance_groups, rules_paused
from schemawright.validation.script import run_script
from schemawright.validation.synthetic import DEFAULT_ROWS, design_enums, fill_tables

SHORT_FRACTION = 0.01  # a table given more than 1 % fewer rows than asked for fails (as bench's tables)

Progress = Callable[[str], None]
# The checks run after the access patterns on the loaded database (pipeline.CHECKS, which holds
# checks of steps above this package): (db, design, enums=, seed=, member_url=) -> checks; member_url
# is the login that acts as one design role at a time (database/sandbox.py), None without design roles.
Checks = Callable[..., Iterable[Check]]
# What the connection that runs spec SQL may do beyond owning the scratch database (nothing, in a sandbox).
_POWERS = """
SELECT current_user::text,
       array_remove(ARRAY[CASE WHEN rolsuper THEN 'SUPERUSER' END, CASE WHEN rolcreaterole THEN 'CREATEROLE' END,
                          CASE WHEN rolcreatedb THEN 'CREATEDB' END, CASE WHEN rolreplication THEN 'REPLICATION' END,
                          CASE WHEN rolbypassrls THEN 'BYPASSRLS' END], NULL),
       ARRAY(SELECT 'member of ' || m.roleid::regrole::text FROM pg_auth_members m WHERE m.member = r.oid ORDER BY 1)
FROM pg_roles r WHERE rolname = current_user
"""
STATEMENT_TIMEOUT_MS = 60_000  # a runaway pattern fails instead of hanging the run

_ENUMS = """
SELECT format_type(t.oid, NULL), t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder)::text[]
FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.oid, t.typname
"""


# Where to find an extension a server lacks, for the message that says so.
_EXTENSION_SOURCES = {"pgcrypto": "Debian's postgresql-15 has it", "citext": "Debian's postgresql-15 has it",
                      "hypopg": "Debian: postgresql-15-hypopg"}


def extension_problem(server_url: str, extensions: Iterable[str], embedded: bool) -> str | None:
    """Why the design cannot be applied on this server (an extension it lacks), before anything
    is created: said plainly instead of the up migration's raw error."""
    wanted = list(dict.fromkeys(extensions))
    if not wanted:
        return None
    with Database(server_url) as admin:
        have = {r[0] for r in admin.query("SELECT name FROM pg_available_extensions WHERE name = ANY(%s)", [wanted])}
    missing = [e for e in wanted if e not in have]
    if not missing:
        return None
    where = [_EXTENSION_SOURCES[e] for e in missing if e in _EXTENSION_SOURCES]
    return (f"the {'embedded ' if embedded else ''}server has no {', '.join(missing)}, which the design needs; pass "
            f"--database-url of a server with {'it' if len(missing) == 1 else 'them'}"
            + (f" ({'; '.join(dict.fromkeys(where))})" if where else ""))


@contextmanager
def use_server(database_url: str | None, progress: Progress) -> Iterator[str]:
    if database_url:
        yield database_url
        return
    progress("Starting embedded PostgreSQL")
    with embedded_server() as url:
        yield url


def validate(
    design: m.Design,
    up_sql: str,
    down_sql: str,
    database_url: str | None = None,
    progress: Progress | None = None,
    *,
    rows: int = DEFAULT_ROWS,
    runs: int = RUNS,
    seed: int = 0,
    checks: Checks | None = None,
) -> ValidationReport:
    """Apply, load, exercise and remove `design` on a scratch database; report PASS/FAIL checks.

    `database_url` names a server (any database on it; only a new scratch database is
    touched); None starts the embedded PostgreSQL.  `progress` receives step descriptions;
    `checks` adds checks of the loaded database (pipeline.validate passes pipeline.CHECKS).
    """
    say = progress or (lambda _step: None)
    report = ValidationReport(server=redact(database_url) if database_url else "embedded PostgreSQL")
    try:
        with use_server(database_url, say) as server_url:
            missing = extension_problem(server_url, design.extensions, embedded=database_url is None)
            if missing:
                report.add("extensions available", False, missing)
                return report
            say("Creating scratch database")
            with sandboxed_database(server_url, design.extensions, run_roles(design)) as box:
                if design.roles:  # the run's own roles, never the server's real ones (security/names.py)
                    design = scoped(design, box.database)
                    up_sql, down_sql = render_up(design), render_down(design)
                with Database(box.url, statement_timeout_ms=STATEMENT_TIMEOUT_MS) as db:
                    _sandbox_checks(db, box, report, design)
                    if not _may_prove_security(db, box, design, report):
                        return report
                    report.server_version = db.query_value("SHOW server_version")
                    down = without_statements_on(down_sql, box.preinstalled)
                    _exercise(db, design, up_sql, down, report, say, rows=rows, runs=runs, seed=seed, checks=checks,
                              member_url=box.member_url, admin_url=server_url)
                say("Dropping scratch database")
            report.add("scratch database dropped", not _exists(server_url, "pg_database", "datname", box.database),
                       box.database)
            if box.role:
                report.add("sandbox role dropped", not _exists(server_url, "pg_roles", "rolname", box.role), box.role)
    except EmbeddedServerError as error:
        report.add("start embedded PostgreSQL", False, str(error))
    except DatabaseError as error:  # the server refused us: connection, permissions, ...
        report.add("database server", False, str(error))
    return report


def _exercise(db: Database, design: m.Design, up_sql: str, down_sql: str, report: ValidationReport, say: Progress,
              *, rows: int, runs: int, seed: int, checks: Checks | None, member_url: str | None = None,
              admin_url: str | None = None) -> None:
    before = snapshot(db)
    say("Applying up migration")
    error = run_script(db, up_sql)
    report.add("up migration applies", error is None, str(error) if error else f"{len(design.tables)} tables")
    if error is not None:
        return  # nothing to load or measure; the scratch database is dropped as it is
    use_test_key(db, design)  # pii: encrypt: rows are written and patterns run with the run's own key
    try:
        enums = design_enums(design)
        for formatted, typname, labels in db.query(_ENUMS):
            enums.setdefault(formatted, tuple(labels))
            enums.setdefault(typname, tuple(labels))
        with rules_paused(db, design):
            fills = fill_tables(db, design, rows=rows, seed=seed, enums=enums, progress=say)
            report.notes.extend(balance_groups(db, design))
        report.tables.extend(fills)
        for fill in fills:  # loaded against asked for: a table more than 1 % short fails, with the refusal
            ok = fill.rows >= fill.wanted * (1 - SHORT_FRACTION)
            detail = f"{fill.rows}/{fill.wanted} rows"
            if not ok:
                detail += f" ({100 * (fill.wanted - fill.rows) / fill.wanted:.0f} % short)"
            if fill.error:
                detail += f"; {fill.error}"
            report.add(f"synthetic rows: {fill.table}", ok, detail)
        with db.untimed():  # a sample per table, but of every table: past the timeout on a full-volume load
            db.execute("ANALYZE")  # plans should reflect the loaded rows, as they would in production
        patterns = run_patterns(db, design, runs=runs, enums=enums, seed=seed, progress=say)
        report.patterns.extend(patterns)
        for result in patterns:
            report.checks.append(Check(f"pattern: {result.name}", result.status, result.detail))
        if checks is not None:
            report.checks.extend(checks(db, design, enums=enums, seed=seed, member_url=member_url))
        if admin_url is not None:  # the data files are read by the admin, from its own connection
            report.checks.extend(at_rest_checks(db, admin_url, design))
    except DatabaseError as exc:  # unexpected: keep going so the down migration is still checked
        report.add("synthetic data and patterns", False, str(exc))
    except Exception as exc:  # a bug of ours must not hide whether the down migration works
        report.add("synthetic data and patterns", False, f"internal error: {type(exc).__name__}: {exc}")
    say("Applying down migration")
    error = run_script(db, down_sql)
    report.add("down migration applies", error is None, str(error) if error else "")
    say("Checking the database is empty again")
    difference = compare(before, snapshot(db))
    report.add("database empty after down migration", difference.empty, difference.describe() or "nothing left behind")


def _may_prove_security(db: Database, box: Sandbox, design: m.Design, report: ValidationReport) -> bool:
    """The design's roles need a login that may create them, and rows under FORCE'd row-level
    security need BYPASSRLS to load, which only a superuser may give: say so rather than fail
    on the first CREATE ROLE or INSERT."""
    if design.roles and box.role is None:
        report.add("security: the design's roles made for the run", False,
                   f"{box.user} may not create roles (CREATEROLE), so the design's roles, grants and the attacks on "
                   "them cannot be proven; validate with a login that has CREATEROLE, or without --database-url "
                   "(the embedded server)")
        return False
    if design.row_security and not db.query_value("SELECT rolbypassrls FROM pg_roles WHERE rolname = current_user"):
        report.add("security: synthetic rows under row-level security", False,
                   f"{box.user} is not a superuser, so the run's role cannot get BYPASSRLS to load rows into the "
                   "tables whose row-level security is forced; validate with a superuser login, or without "
                   "--database-url (the embedded server)")
        return False
    return True


def _sandbox_checks(db: Database, box: Sandbox, report: ValidationReport, design: m.Design) -> None:
    if box.note:
        report.notes.append(box.note)
    if box.role:
        user, powers, memberships = db.query(_POWERS)[0]
        # The design's own roles, made for this run, and BYPASSRLS to load rows under FORCE'd
        # row-level security: both confined to the scratch database.
        allowed = {f"member of {r.name}" for r in design.roles} | ({"BYPASSRLS"} if design.roles else set())
        powers = [p for p in powers if p not in allowed]
        memberships = [p for p in memberships if p not in allowed]
        sandboxed = user == box.role and not powers and not memberships
        report.add("spec SQL sandboxed", sandboxed, f"ran as {user}, " + (
            "a throw-away role owning only the scratch database" if sandboxed else ", ".join(powers + memberships)))
    for extension in box.preinstalled:
        report.notes.append(f"extension {extension} was created by {box.user} before the run (the sandbox role may "
                            "not create it), so the down migration's DROP EXTENSION for it was skipped")


def _exists(server_url: str, catalog: str, column: str, name: str) -> bool:
    with Database(server_url) as admin:
        return bool(admin.query(f"SELECT 1 FROM pg_catalog.{catalog} WHERE {column} = %s", [name]))
