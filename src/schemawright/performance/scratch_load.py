"""A scratch database with the design applied and synthetic rows loaded, for an operations proof.

As bench does it (performance/run.py): a sandboxed scratch database on the given server (the
spec's SQL runs as a throw-away role), the design's roles made for it only, rows generated at
the run's scale; everything dropped on every way out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from schemawright import model as m
from schemawright.database import Database, sandboxed_database
from schemawright.database.sandbox import Sandbox
from schemawright.generation.columns import GenerationError
from schemawright.generation.run import generate
from schemawright.performance.partition_compare import for_generated_rows
from schemawright.security.names import run_roles, scoped
from schemawright.sql.quoting import quote_ident
from schemawright.validation.run import extension_problem


@dataclass(frozen=True)
class Loaded:
    box: Sandbox  # box.url: the sandbox role (owner of the schema); box.member_url: a login with no role yet
    design: m.Design  # roles scoped to this database, partitions where the generated rows fall
    rows: int


@contextmanager
def loaded_scratch(design: m.Design, server_url: str, *, scale: float, seed: int, embedded: bool,
                   say: Callable[[str], None]) -> Iterator[Loaded]:
    """Raises GenerationError (an extension the server lacks, a request that cannot be met) or DatabaseError."""
    missing = extension_problem(server_url, design.extensions, embedded=embedded)
    if missing:
        raise GenerationError(missing)
    with sandboxed_database(server_url, design.extensions, run_roles(design)) as box:
        if design.roles:
            design = scoped(design, box.database)
        design = for_generated_rows(design)
        say(f"Generating data at scale {scale:g}")
        generated = generate(design, box.url, scale, seed)
        with Database(box.url) as db:
            db.execute("VACUUM (ANALYZE) " + ", ".join(quote_ident(t.name) for t in design.tables))
        yield Loaded(box, design, generated.rows)
