"""The caching proof's part that loads data and draws parameters (validation may not import
performance/): a scratch database (the embedded PostgreSQL, or --database-url's server) loaded at
the run's scale, the cached reads' and their invalidating writes' parameter sets drawn from the
rows, the writes aimed at the keys the reads cache; then validation/operations/caching_proof.py's
cache-aside run in the machine's Redis.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

from psycopg.conninfo import conninfo_to_dict

from schemawright import model as m
from schemawright.database import Database, DatabaseError
from schemawright.database.sandbox import Sandbox
from schemawright.generation.columns import GenerationError
from schemawright.performance.concurrent import distinct_keys
from schemawright.performance.draws import draw_bindings
from schemawright.performance.row_security import first_tenant, has_row_security
from schemawright.performance.scratch_load import loaded_scratch
from schemawright.scaling.cache_sql import analyse
from schemawright.scaling.caching import ROWS, CachePlan
from schemawright.scaling.caching import plan as plan_caching
from schemawright.scaling.plan import OperationsPlan
from schemawright.validation.acting import binding_tenant, pattern_role
from schemawright.validation.operations.caching_proof import (
    KEYS_PER_READ,
    NAME,
    OPERATIONS,
    REDIS_URL,
    CacheFigures,
    Statement,
    cache_aside,
    redis_client,
    run_prefix,
    verdicts,
)
from schemawright.sql.quoting import quote_ident
from schemawright.validation.operations.context import OperationsRun
from schemawright.validation.params import positional, uses
from schemawright.validation.plaintext import has_encryption, run_key, use_test_key
from schemawright.validation.report import FAIL, NOT_TRIED, Check
from schemawright.validation.run import use_server
from schemawright.validation.synthetic import design_enums

WRITE_DRAWS = 50


@dataclass
class CachingProof:
    checks: list[Check] = field(default_factory=list)
    figures: CacheFigures | None = None
    plan: CachePlan | None = None


def checks(run: OperationsRun) -> Iterator[Check]:
    """pipeline.OPERATION_CHECKS entry."""
    yield from prove_caching(run.design, database_url=run.database_url, scale=run.scale, seed=run.seed,
                             say=run.say).checks


@dataclass(frozen=True)
class CacheCase:
    """One cache-aside run: the design's plan (or `plan`), with the writes' invalidations (or without)."""

    invalidate: bool = True
    plan: CachePlan | None = None


def prove_caching(design: m.Design, *, database_url: str | None, scale: float, seed: int,
                  say: Callable[[str], None] = lambda _t: None, invalidate: bool = True,
                  operations: int = OPERATIONS, redis_url: str = REDIS_URL,
                  cache_plan: CachePlan | None = None) -> CachingProof:
    """`invalidate=False`: the writes skip their invalidations (the failing case); `cache_plan`: another
    plan than the design's (a test's broken key)."""
    return prove_cases(design, [CacheCase(invalidate, cache_plan)], database_url=database_url, scale=scale,
                       seed=seed, say=say, operations=operations, redis_url=redis_url)[0]


def prove_cases(design: m.Design, cases: list[CacheCase], *, database_url: str | None, scale: float, seed: int,
                say: Callable[[str], None] = lambda _t: None, operations: int = OPERATIONS,
                redis_url: str = REDIS_URL) -> list[CachingProof]:
    """Each case on one scratch database loaded once, under its own key prefix."""
    planned = plan_caching(design, OperationsPlan(design, {}))
    proofs = [CachingProof(plan=case.plan or planned) for case in cases]
    if not planned.cached:
        return proofs  # nothing cached, nothing to prove
    client = redis_client(redis_url)
    if client is None:
        for proof in proofs:
            proof.checks.append(Check(NAME, NOT_TRIED, f"no Redis answers at {redis_url} (Debian: apt-get "
                                                       "install redis-server)"))
        return proofs
    try:
        with use_server(database_url, say) as server_url, \
                loaded_scratch(design, server_url, scale=scale, seed=seed, embedded=database_url is None,
                               say=say) as loaded:
            reads, writes, skipped = _statements(loaded.design, planned, loaded.box.url, seed)
            url = _login(loaded.box, {s.role for s in (*reads.values(), *writes.values()) if s.role})
            session = {design.security.key_setting: run_key()} if has_encryption(design) else {}
            tenant = design.security.tenant_setting if has_row_security(design) else None
            for number, (case, proof) in enumerate(zip(cases, proofs)):
                assert proof.plan is not None
                say("Running the cached reads through Redis with their writes")
                with run_prefix(client) as prefix:
                    # Each case its own draws: a write repeating an earlier case's values would change nothing.
                    proof.figures = cache_aside(url, proof.plan, reads, writes, client, prefix, seed=seed + number,
                                                operations=operations, invalidate=case.invalidate,
                                                session=session, tenant_setting=tenant)
                proof.checks += verdicts(proof.plan, proof.figures, skipped)
    except (GenerationError, DatabaseError) as error:
        for proof in proofs:
            proof.checks.append(Check(NAME, FAIL, f"could not load a scratch database: {error}"))
    finally:
        client.close()
    return proofs


def _login(box: Sandbox, roles: set[str]) -> str:
    """The member login with the patterns' group roles, as a service's login role is (the sandbox role,
    which owns the tables and bypasses row-level security, when the design has no roles)."""
    if box.member_url is None or not roles:
        return box.url
    with Database(box.url) as owner:  # the sandbox role holds the design's roles WITH ADMIN OPTION
        for role in sorted(roles):
            owner.execute(f"GRANT {quote_ident(role)} TO {quote_ident(str(conninfo_to_dict(box.member_url)['user']))}")
    return box.member_url


def _statements(design: m.Design, plan: CachePlan, owner_url: str,
                seed: int) -> tuple[dict[str, Statement], dict[str, Statement], list[str]]:
    patterns = {p.name: p for p in design.access_patterns}
    enums = design_enums(design)
    reads, writes, skipped = {}, {}, []
    returning: dict[str, list[str]] = {}
    for entry in plan.cached:
        for rule in entry.invalidations:
            if rule.mode == ROWS:
                returning.setdefault(rule.write, [])
                returning[rule.write] += [c for c in rule.columns if c not in returning[rule.write]]
    with Database(owner_url) as db:
        use_test_key(db, design)
        fallback = first_tenant(db, design)
        for entry in plan.cached:
            try:
                reads[entry.pattern] = _statement(db, design, patterns[entry.pattern], KEYS_PER_READ, enums, seed,
                                                  fallback if entry.tenant else None, tenanted=entry.tenant)
            except DatabaseError as error:
                skipped.append(f"{entry.pattern} ({error})")
        for name in sorted({i.write for c in plan.cached for i in c.invalidations}):
            try:
                statement = _statement(db, design, patterns[name], WRITE_DRAWS, enums, seed, fallback,
                                       tenanted=bool(design.row_security), returning=tuple(returning.get(name, ())))
            except DatabaseError as error:
                skipped.append(f"{name} ({error})")
                continue
            _aim(design, patterns[name], statement, plan, reads, seed)
            writes[name] = statement
    return reads, writes, skipped


def _statement(db: Database, design: m.Design, pattern: m.AccessPattern, count: int, enums: dict[str, tuple[str, ...]],
               seed: int, fallback: str | None, *, tenanted: bool, returning: tuple[str, ...] = ()) -> Statement:
    role = pattern_role(design, pattern) if design.roles else None
    if design.roles and role is None:
        raise DatabaseError("no group role may run it")
    bound = positional(pattern.sql)
    db.execute(f"PREPARE sw_cache_probe AS {bound.sql}")
    try:
        types = list(db.query_value("SELECT parameter_types::text[] FROM pg_prepared_statements WHERE name = "
                                    "'sw_cache_probe'") or [])
    finally:
        db.execute("DEALLOCATE sw_cache_probe")
    usage = uses(pattern.sql, design)
    bindings = draw_bindings(db, design, pattern, bound.names, types, count, enums=enums, seed=seed)
    bindings = distinct_keys(design, usage, bound.names, bindings)
    tenants = ([binding_tenant(db, design, usage, bound.names, b) or fallback for b in bindings] if tenanted
               else [None] * len(bindings))
    sql = bound.sql
    if returning:  # the keys of the rows the write changes, to delete their entries
        tree = sqlglot.parse_one(sql, read="postgres")
        tree.set("returning", exp.Returning(expressions=[exp.column(c) for c in returning]))
        sql = tree.sql("postgres")
    return Statement(pattern.name, sql, bound.names, bindings, tenants, returning, role)


def _aim(design: m.Design, write: m.AccessPattern, statement: Statement, plan: CachePlan,
         reads: dict[str, Statement], seed: int) -> None:
    """Make the reads cache the keys the write changes: a read's key parameter that names the column a
    write parameter names takes that parameter's values (a read accepts any value; a write's values must
    keep its row's foreign keys together), with the write's tenant."""
    rng = random.Random(f"{seed}:{write.name}")  # noqa: S311
    written = analyse(write, design).bound
    for entry in plan.cached:
        read = reads.get(entry.pattern)
        if read is None or not any(i.write == write.name and i.mode == ROWS for i in entry.invalidations):
            continue
        keyed = analyse(next(p for p in design.access_patterns if p.name == entry.pattern), design).bound
        pairs = [(read.names.index(p), statement.names.index(w)) for p, c in keyed.items() if p in read.names
                 for w, d in written.items() if d == c and w in statement.names]
        if not pairs:
            continue
        for i, binding in enumerate(read.bindings):
            if i % 2:  # every other key: the rest stay keys no write touches
                continue
            source = rng.randrange(len(statement.bindings))
            for at, frm in pairs:
                binding[at] = statement.bindings[source][frm]
            read.tenants[i] = statement.tenants[source] if entry.tenant else read.tenants[i]
