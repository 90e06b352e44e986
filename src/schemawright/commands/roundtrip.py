"""Round trip of an existing PostgreSQL schema: import -> spec -> design -> database.

The original is read from the catalogs (a live database, or a SQL file applied to a
scratch database first, so both sides are read by the same importer); the exported spec
is designed and applied to another scratch database and read back; the two catalogs are
compared.  Everything happens in scratch databases that are dropped afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pglast

from schemawright import model as m
from schemawright.database import Database, DatabaseError, EmbeddedServerError, sandboxed_database
from schemawright.database.sandbox import without_statements_on
from schemawright.exporters.spec import not_exported, to_spec_yaml
from schemawright.validation.compare import Difference, compare_designs
from schemawright.validation.run import use_server
from schemawright.validation.script import run_script

Progress = Callable[[str], None]
_OWNER_TO = re.compile(r"ALTER [A-Z ]+ .* OWNER TO .*;\s*$")  # one line each in pg_dump output


@dataclass
class RoundTrip:
    differences: list[Difference] = field(default_factory=list)
    not_exported: list[str] = field(default_factory=list)
    error: str | None = None
    tables: int = 0

    @property
    def passed(self) -> bool:
        return self.error is None and not self.differences


def roundtrip(sql: str | None = None, *, source_url: str | None = None, server_url: str | None = None,
              progress: Progress | None = None) -> RoundTrip:
    """Round-trip the schema in `sql` (applied to a scratch database) or in the live
    database `source_url`; scratch databases go on `server_url`, else on the source's
    server, else on the embedded PostgreSQL."""
    from schemawright.importers.postgresql_live import import_postgresql_database
    from schemawright.pipeline import design_from_spec
    from schemawright.pipeline import parse_spec
    from schemawright.sql.postgresql import render_up

    say = progress or (lambda _step: None)
    result = RoundTrip()
    try:
        with use_server(server_url or source_url, say) as server:
            if source_url is not None:
                say("Reading the source database")
                original = import_postgresql_database(source_url)
            else:
                script = executable_sql(sql or "")
                with sandboxed_database(server, _extensions(script)) as box:  # a SQL file can be as hostile as a spec
                    say("Applying the SQL file to a scratch database")
                    original = _apply_and_read(box.url, without_statements_on(script, box.preinstalled),
                                               import_postgresql_database, result, "original SQL")
            if original is None:
                return result
            result.tables = len(original.tables)
            result.not_exported = not_exported(original)
            say("Designing the exported spec")
            designed = design_from_spec(parse_spec(to_spec_yaml(original), "exported spec"))
            with sandboxed_database(server, designed.extensions) as box:
                say("Applying the design to a scratch database")
                again = _apply_and_read(box.url, render_up(designed), import_postgresql_database, result,
                                        "designed DDL")
            if again is not None:
                result.differences = compare_designs(original, again)
    except (DatabaseError, EmbeddedServerError) as error:
        result.error = str(error)
    return result


def executable_sql(text: str) -> str:
    """A pg_dump or psql script without what only psql understands: backslash
    meta-commands (\\connect, \\restrict ...) and COPY ... FROM stdin data blocks; and
    without pg_dump's `ALTER ... OWNER TO` lines, which the sandbox role may not run and
    which the comparison ignores."""
    out, in_copy = [], False
    for line in text.splitlines():
        if in_copy:
            in_copy = line != "\\."
            continue
        if line.startswith("\\") or _OWNER_TO.match(line):
            continue
        if line.upper().startswith("COPY ") and line.rstrip().upper().endswith("FROM STDIN;"):
            in_copy = True
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def _extensions(sql: str) -> tuple[str, ...]:
    """The extensions a script creates (the sandbox's owner creates the untrusted ones first)."""
    try:
        statements = pglast.parse_sql(sql)
    except pglast.parser.ParseError:
        return ()  # applying it reports the error
    return tuple(s.stmt.extname for s in statements if isinstance(s.stmt, pglast.ast.CreateExtensionStmt))


def _apply_and_read(url: str, sql: str, read: Callable[[str], m.Design], result: RoundTrip,
                    what: str) -> m.Design | None:
    with Database(url) as db:
        failure = run_script(db, sql)
    if failure is not None:
        result.error = f"the {what} does not apply: {failure}"
        return None
    return read(url)
