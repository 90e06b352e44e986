"""Round trip of an existing PostgreSQL schema: import -> spec -> design -> database.

The original is read from the catalogs (a live database, or a SQL file applied to a
scratch database first, so both sides are read by the same importer); the exported spec
is designed and applied to another scratch database and read back; the two catalogs are
compared.  Everything happens in scratch databases that are dropped afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from schemawright import model as m
from schemawright.database import Database, DatabaseError, EmbeddedServerError, scratch_database
from schemawright.exporters.spec import not_exported, to_spec_yaml
from schemawright.validation.compare import Difference, compare_designs
from schemawright.validation.run import use_server
from schemawright.validation.script import run_script

Progress = Callable[[str], None]


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
    from schemawright.requirements.loader import parse_spec
    from schemawright.sql.postgresql import render_up

    say = progress or (lambda _step: None)
    result = RoundTrip()
    try:
        with use_server(server_url or source_url, say) as server:
            if source_url is not None:
                say("Reading the source database")
                original = import_postgresql_database(source_url)
            else:
                with scratch_database(server) as url:
                    say("Applying the SQL file to a scratch database")
                    original = _apply_and_read(url, executable_sql(sql or ""), import_postgresql_database, result,
                                               "original SQL")
            if original is None:
                return result
            result.tables = len(original.tables)
            result.not_exported = not_exported(original)
            say("Designing the exported spec")
            designed = design_from_spec(parse_spec(to_spec_yaml(original), "exported spec"))
            with scratch_database(server) as url:
                say("Applying the design to a scratch database")
                again = _apply_and_read(url, render_up(designed), import_postgresql_database, result, "designed DDL")
            if again is not None:
                result.differences = compare_designs(original, again)
    except (DatabaseError, EmbeddedServerError) as error:
        result.error = str(error)
    return result


def executable_sql(text: str) -> str:
    """A pg_dump or psql script without what only psql understands: backslash
    meta-commands (\\connect, \\restrict ...) and COPY ... FROM stdin data blocks."""
    out, in_copy = [], False
    for line in text.splitlines():
        if in_copy:
            in_copy = line != "\\."
            continue
        if line.startswith("\\"):
            continue
        if line.upper().startswith("COPY ") and line.rstrip().upper().endswith("FROM STDIN;"):
            in_copy = True
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def _apply_and_read(url: str, sql: str, read: Callable[[str], m.Design], result: RoundTrip,
                    what: str) -> m.Design | None:
    with Database(url) as db:
        failure = run_script(db, sql)
    if failure is not None:
        result.error = f"the {what} does not apply: {failure}"
        return None
    return read(url)
