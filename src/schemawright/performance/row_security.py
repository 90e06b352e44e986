"""What row-level security costs each access pattern, for `bench` (issue 12: "bench reports
each pattern's p95 with and without the policies").

Each drawn parameter set is run twice, the two runs interleaved (which goes first alternates),
so cache warmth and drift fall on both alike:
- without the policies: as the sandbox role, which has BYPASSRLS (what a design without
  row-level security would cost);
- with them: as the group role that runs the pattern (the first whose grants cover it,
  validation/acting.py), `SET LOCAL ROLE` and the tenant setting set in the transaction, as
  the application sets it, to the tenant the parameters belong to.
Each has its own prepared statement, prepared as the role that runs it, so the second plan
holds the policies' conditions.  SET LOCAL and the setting are outside the timed part.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from schemawright import model as m
from schemawright.database import Database, DatabaseError
from schemawright.gcpause import paused_gc
from schemawright.performance.draws import Binding, draw_bindings
from schemawright.performance.results import PatternBench
from schemawright.performance.stats import latency
from schemawright.performance.timing import COMMIT_CHECKS
from schemawright.security.tenancy import tenant_root
from schemawright.sql.quoting import quote_ident, quote_literal
from schemawright.validation.acting import binding_tenant, pattern_role
from schemawright.validation.params import uses
from schemawright.validation.prepare import prepare

MAX_SKIPPED_FRACTION = 0.5  # more refused parameter sets than this: report the error instead


def has_row_security(design: m.Design) -> bool:
    return bool(design.row_security and design.security.tenant_column)


def time_with_policies(db: Database, design: m.Design, pattern: m.AccessPattern, result: PatternBench, *,
                       runs: int, warmup: int, enums: dict[str, tuple[str, ...]], seed: int,
                       statement: str = "sw_bench_rls", commit_checks: bool = False) -> None:
    """Fill `result.without_policies` and `result.with_policies` (and `policies_role`), or
    `policies_error`."""
    role = pattern_role(design, pattern)
    if role is None:
        result.policies_error = "no group role has every privilege it needs"
        return
    result.policies_role = next((r.spec_role or r.kind for r in design.roles if r.name == role), role)
    needed = runs + warmup
    bypass, policed = f"{statement}_bypass", f"{statement}_policies"
    try:
        prepared = prepare(db, bypass, pattern.sql, design)
        bound, types = prepared.bound, prepared.types
        try:
            # The draws of the run in the pattern table (same seed, same data): the same parameters.
            bindings = draw_bindings(db, design, pattern, bound.names, list(types), 2 * needed, enums=enums,
                                     seed=seed, returns=pattern.returns)
            usage = uses(pattern.sql, design)
            fallback = first_tenant(db, design) or ""
            tenants = [binding_tenant(db, design, usage, bound.names, b) or fallback for b in bindings]
            with db.transaction():
                db.execute(f"SET LOCAL ROLE {quote_ident(role)}")
                db.execute(prepared.again(policed))  # not undone by the transaction's end
            try:
                with paused_gc():
                    off, on, rows, error = _interleaved(db, bypass, policed, role, design.security.tenant_setting,
                                                        list(zip(bindings, tenants)), needed, commit_checks)
            finally:
                db.execute(f"DEALLOCATE {policed}")
        finally:
            db.execute(f"DEALLOCATE {bypass}")
    except DatabaseError as exc:
        result.policies_error = f"as {result.policies_role}: {exc}"
        return
    if len(on) < needed:
        result.policies_error = f"as {result.policies_role}, with the values drawn from the data: {error}"
        return
    result.without_policies, result.with_policies = latency(off[warmup:]), latency(on[warmup:])
    counted = rows[warmup:]
    result.policies_rows = (sum(r[0] for r in counted) / len(counted), sum(r[1] for r in counted) / len(counted))


def _interleaved(db: Database, bypass: str, policed: str, role: str, setting: str,
                 runs: list[tuple[Binding, str]], needed: int,
                 commit_checks: bool) -> tuple[list[float], list[float], list[tuple[int, int]], DatabaseError | None]:
    """(times without, times with, rows (without, with) per parameter set, the last refusal)."""
    off: list[float] = []
    on: list[float] = []
    rows: list[tuple[int, int]] = []
    error: DatabaseError | None = None
    skipped = 0

    def as_role(tenant: str) -> Callable[[], None]:
        def setup() -> None:
            db.execute(f"SET LOCAL ROLE {quote_ident(role)}")
            db.execute("SELECT set_config(%s, %s, true)", [setting, tenant])
        return setup

    for number, (values, tenant) in enumerate(runs):
        if len(on) == needed:
            break
        pair = [(off, bypass, None), (on, policed, as_role(tenant))]
        try:
            timed = [(samples, _run(db, _call(name, values), setup, commit_checks)) for samples, name, setup in
                     (pair if number % 2 == 0 else pair[::-1])]
        except DatabaseError as exc:
            if not (exc.is_integrity_error or exc.is_data_error):
                raise
            error, skipped = exc, skipped + 1
            if skipped > MAX_SKIPPED_FRACTION * len(runs):
                break
            continue
        for samples, (elapsed, _count) in timed:
            samples.append(elapsed)
        counts = {id(samples): count for samples, (_elapsed, count) in timed}
        rows.append((counts[id(off)], counts[id(on)]))
    return off, on, rows, error


def _run(db: Database, call: str, setup: Callable[[], None] | None, commit_checks: bool) -> tuple[float, int]:
    """One run in a transaction rolled back: milliseconds of the statement (and checks at commit),
    and the rows it returned or changed."""
    with db.transaction(rollback=True):
        if setup is not None:
            setup()
        start = time.perf_counter()
        count = max(db.execute(call), 0)
        if commit_checks:
            try:
                db.execute(COMMIT_CHECKS)
            except DatabaseError as exc:
                if not exc.is_integrity_error:
                    raise  # the checks refusing a row written alone still did their work
        return (time.perf_counter() - start) * 1000, count


def _call(statement: str, values: Binding) -> str:
    if not values:
        return f"EXECUTE {statement}"
    return f"EXECUTE {statement}(" + ", ".join("NULL" if v is None else quote_literal(v) for v in values) + ")"


def first_tenant(db: Database, design: m.Design) -> str | None:
    """The tenant for runs whose parameters name none (they read no tenant's table, or only the
    tenant setting decides): the first key of the tenant table."""
    root = tenant_root(design)
    if root is None or not root.primary_key:
        return None
    column = quote_ident(root.primary_key.columns[0])
    return db.query_value(f"SELECT {column}::text FROM {quote_ident(root.name)} ORDER BY {column} LIMIT 1")
