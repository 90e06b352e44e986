"""The pooling proof's part that loads data and draws the patterns' parameters (validation may not
import performance/): a scratch PostgreSQL 15 of the machine's binaries, the design applied and
loaded at the run's scale, each pattern's parameter sets drawn from the rows; then each case of
validation/operations/pooling_proof.py runs through its own PgBouncer on that database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from schemawright import model as m
from schemawright.database import Database, DatabaseError
from schemawright.database.configured_server import ServerError, configured_server, debian_binaries
from schemawright.generation.columns import GenerationError
from schemawright.performance.concurrent import distinct_keys
from schemawright.performance.draws import draw_bindings
from schemawright.performance.row_security import first_tenant, has_row_security
from schemawright.performance.scratch_load import loaded_scratch
from schemawright.scaling.plan import OperationsPlan
from schemawright.scaling.pooling import PGBOUNCER_INI
from schemawright.scaling.pooling import plan as plan_pooling
from schemawright.validation.acting import binding_tenant, pattern_role
from schemawright.validation.operations.context import OperationsRun
from schemawright.validation.operations.pgbouncer_process import pgbouncer_binary, pgbouncer_version
from schemawright.validation.operations.pooled_load import Runnable
from schemawright.validation.operations.pooling_proof import CONF, DRAWS, DURATION_S, HBA, NAME, Case, PoolingProof, run_case
from schemawright.validation.params import positional, uses
from schemawright.validation.plaintext import use_test_key
from schemawright.validation.report import FAIL, NOT_TRIED, Check
from schemawright.validation.synthetic import design_enums


def checks(run: OperationsRun) -> Iterator[Check]:
    """pipeline.OPERATION_CHECKS entry."""
    yield from prove_pooling(run.design, run.files, scale=run.scale, seed=run.seed, say=run.say).checks


def prove_pooling(design: m.Design, files: dict[str, str], *, scale: float, seed: int,
                  say: Callable[[str], None] = lambda _t: None, seconds: float = DURATION_S) -> PoolingProof:
    return prove_cases(design, files, [Case()], scale=scale, seed=seed, say=say, seconds=seconds)[0]


def prove_cases(design: m.Design, files: dict[str, str], cases: list[Case], *, scale: float, seed: int,
                say: Callable[[str], None] = lambda _t: None, seconds: float = DURATION_S) -> list[PoolingProof]:
    """Each case run on one scratch server and database loaded once (a new PgBouncer each)."""
    planned = plan_pooling(design, OperationsPlan(design, {}))
    proofs = [PoolingProof(planned=planned) for _ in cases]
    binary, binaries = pgbouncer_binary(), debian_binaries(major=15) or debian_binaries()
    if binary is None or binaries is None:
        missing = "pgbouncer" if binary is None else "PostgreSQL under /usr/lib/postgresql"
        for proof in proofs:
            proof.checks.append(Check(NAME, NOT_TRIED, f"no {missing} on this machine (Debian: apt-get install "
                                                       "pgbouncer postgresql-15)"))
        return proofs
    generated = files.get(PGBOUNCER_INI)
    if generated is None:
        for proof in proofs:
            proof.checks.append(Check(NAME, FAIL, f"the design wrote no {PGBOUNCER_INI}"))
        return proofs
    version = pgbouncer_version(binary)
    try:
        with configured_server(binaries, {"pg_hba.conf": HBA, CONF: b"max_connections = 100\n"}, include=CONF) as srv:
            server_url = f"postgresql://postgres@127.0.0.1:{srv.port}/postgres"
            say("Loading a scratch database for the pooled run")
            with loaded_scratch(design, server_url, scale=scale, seed=seed, embedded=False, say=say) as loaded:
                runnables, skipped = _runnables(loaded.design, loaded.box.url, seed)
                for case, proof in zip(cases, proofs):
                    proof.version = version
                    run_case(proof, case, binary=binary, generated=generated, box=loaded.box, design=loaded.design,
                             runnables=runnables, skipped=skipped, server_url=server_url, server_port=srv.port,
                             seed=seed, seconds=seconds, say=say)
    except (ServerError, GenerationError, DatabaseError) as error:
        for proof in proofs:
            proof.checks.append(Check(NAME, FAIL, f"could not set up the scratch server: {error}"))
    return proofs


def _runnables(design: m.Design, owner_url: str, seed: int) -> tuple[list[Runnable], list[str]]:
    out, skipped = [], []
    rls = has_row_security(design)
    enums = design_enums(design)
    with Database(owner_url) as db:
        use_test_key(db, design)
        fallback = first_tenant(db, design) if rls else None
        for index, pattern in enumerate(p for p in design.access_patterns if p.frequency > 0):
            # A service logs in as a member of its group role; the run takes the pattern's role for
            # its transaction (the login alone has no rights: PUBLIC has none).
            role = pattern_role(design, pattern) if design.roles else None
            if design.roles and role is None:
                skipped.append(f"{pattern.name} (no group role may run it)")
                continue
            bound = positional(pattern.sql)
            statement = f"sw_pool_{index}"
            try:
                db.execute(f"PREPARE {statement} AS {bound.sql}")
            except DatabaseError as error:  # validate's own checks report it; here it is one pattern not run
                skipped.append(f"{pattern.name} (does not prepare: {error})")
                continue
            types = list(db.query_value("SELECT parameter_types::text[] FROM pg_prepared_statements WHERE name = %s",
                                        [statement]) or [])
            db.execute(f"DEALLOCATE {statement}")
            usage = uses(pattern.sql, design)
            bindings = draw_bindings(db, design, pattern, bound.names, types, DRAWS, enums=enums, seed=seed)
            bindings = distinct_keys(design, usage, bound.names, bindings)
            tenants = ([binding_tenant(db, design, usage, bound.names, b) or fallback for b in bindings] if rls
                       else [None] * len(bindings))
            out.append(Runnable(pattern.name, bound.sql, role, bindings, tenants, pattern.frequency))
    return out, skipped


