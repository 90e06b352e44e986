"""Proof of the caching plan: a cache-aside run in the machine's Redis over a loaded scratch database.

The cached reads run as the application would run them through the cache (the key shape of
operations.md, the TTL from `staleness_seconds`; a miss reads the database and fills the
entry), interleaved with the write patterns the plan says invalidate them, which invalidate
after COMMIT as planned (rows: the keys of the rows they changed, from RETURNING; key; all:
INCR the read's generation).  After every cache hit the pattern is read again from the database:
a cached value that differs is a stale read.  The run is sequential, so no refill races an
invalidation: every stale read is an invalidation the plan missed (or, in the failing case the
tests show, skipped).  Writes are over-represented (one operation in WRITE_EVERY) and aimed at
the keys the reads cache, so every entry sees invalidations.

Keys carry a prefix unique to the run and are deleted after it.  Redis unreachable: NOT TRIED.
Loading the data and drawing the parameters is performance/cached_proof.py's part.
"""

from __future__ import annotations

import json
import random
import secrets
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg
import redis

from schemawright.scaling.caching import EVERY, KEY, ROWS, CachedRead, CachePlan
from schemawright.sql.quoting import quote_ident
from schemawright.validation.report import FAIL, PASS, Check

NAME = "operations: caching"
REDIS_URL = "redis://127.0.0.1:6379/0"
OPERATIONS = 600  # reads and writes in one run
WRITE_EVERY = 5  # one operation in five is an invalidating write
OTHER_TENANT_EVERY = 7  # one read of a tenant's key in seven is made by another tenant (who must not get its entry)
KEYS_PER_READ = 8  # parameter sets each cached read cycles through: entries get hit again


@dataclass
class Statement:
    """A pattern ready to run: SQL with $n, its parameter sets and the tenant of each."""

    name: str
    sql: str
    names: tuple[str, ...]
    bindings: list[list[str | None]]
    tenants: list[str | None]
    returning: tuple[str, ...] = ()  # a write: the columns its RETURNING gives (the keys of the rows it changed)
    role: str | None = None  # SET LOCAL ROLE to this group role (the login is a member, as a service's is)


@dataclass
class CacheFigures:
    reads: int = 0
    hits: int = 0
    misses: int = 0
    writes: int = 0
    refused: int = 0  # writes the data refused (a key already taken)
    invalidations: int = 0  # keys deleted and generations bumped
    stale: list[str] = field(default_factory=list)  # "pattern key: cached <age> s ago, differs"
    other_tenant_reads: int = 0  # reads of one tenant's key parameters by another tenant
    crossed: list[str] = field(default_factory=list)  # an entry filled for one tenant answered another
    per_read: Counter[str] = field(default_factory=Counter)  # hits per read
    per_write: Counter[str] = field(default_factory=Counter)  # committed runs per write
    errors: dict[str, str] = field(default_factory=dict)


def redis_client(url: str = REDIS_URL) -> redis.Redis | None:
    """The machine's Redis, or None when it does not answer."""
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        client.close()
        return None
    return client


@contextmanager
def run_prefix(client: redis.Redis) -> Iterator[str]:
    """A key prefix unique to this run; every key under it deleted on every way out."""
    prefix = f"schemawright-proof:{secrets.token_hex(6)}:"
    try:
        yield prefix
    finally:
        keys = list(client.scan_iter(match=prefix + "*", count=500))
        if keys:
            client.delete(*keys)


def cache_aside(url: str, plan: CachePlan, reads: dict[str, Statement], writes: dict[str, Statement],
                client: redis.Redis, prefix: str, *, seed: int, operations: int = OPERATIONS,
                invalidate: bool = True, session: dict[str, str] | None = None,
                tenant_setting: str | None = None) -> CacheFigures:
    """`invalidate=False` skips the writes' invalidations (the failing case); `session`: settings for the
    connection (the PII test key); `tenant_setting`: row-level security's, set per transaction."""
    figures = CacheFigures()
    rng = random.Random(seed)  # noqa: S311 - a reproducible mix, not a secret
    cached = [c for c in plan.cached if c.pattern in reads]
    writers = sorted({i.write for c in cached for i in c.invalidations if i.write in writes})
    with psycopg.connect(url, autocommit=True) as conn:
        for name, value in (session or {}).items():
            conn.execute("SELECT set_config(%s, %s, false)", [name, value])
        acting = _Acting(conn, tenant_setting)
        for number in range(operations):
            if writers and number % WRITE_EVERY == WRITE_EVERY - 1:
                _write(acting, writes[writers[(number // WRITE_EVERY) % len(writers)]], cached, client, prefix,
                       rng, figures, invalidate)
            elif cached:
                entry = cached[number % len(cached)]
                _read(acting, entry, reads[entry.pattern], client, prefix, rng, figures, number)
    return figures


@dataclass
class _Acting:
    """Runs a statement as the application does: one transaction, the pattern's role and its tenant
    set for it only."""

    conn: psycopg.Connection
    tenant_setting: str | None

    def rows(self, statement: Statement, values: list[str | None], tenant: str | None) -> list[tuple[object, ...]]:
        with self.conn.transaction():
            cursor = psycopg.RawCursor(self.conn)
            if statement.role:
                cursor.execute(f"SET LOCAL ROLE {quote_ident(statement.role)}")
            if self.tenant_setting and tenant is not None:
                cursor.execute("SELECT set_config($1, $2, true)", [self.tenant_setting, tenant])
            cursor.execute(statement.sql, values)
            return cursor.fetchall() if cursor.description else []


def _read(acting: _Acting, entry: CachedRead, statement: Statement, client: redis.Redis, prefix: str,
          rng: random.Random, figures: CacheFigures, number: int) -> None:
    turn = rng.randrange(min(KEYS_PER_READ, len(statement.bindings)))
    values, tenant = statement.bindings[turn], statement.tenants[turn]
    others = sorted({t for t in statement.tenants if t is not None and t != tenant})
    if entry.tenant and others and number % OTHER_TENANT_EVERY == 0:
        tenant = rng.choice(others)  # another tenant asks for the same key parameters
        figures.other_tenant_reads += 1
    key = prefix + _key(entry, dict(zip(statement.names, values)), tenant, _generation(entry, client, prefix))
    figures.reads += 1
    try:
        found = client.get(key)
        fresh = [_texts(row) for row in acting.rows(statement, values, tenant)]
    except psycopg.Error as error:
        figures.errors.setdefault(entry.pattern, str(error).strip().splitlines()[0])
        return
    if found is None:
        figures.misses += 1
        client.set(key, json.dumps({"at": time.time(), "tenant": tenant, "rows": fresh}),
                   ex=max(1, round(entry.ttl_seconds)))
        return
    figures.hits += 1
    figures.per_read[entry.pattern] += 1
    held = json.loads(found)
    if held.get("tenant") != tenant:
        if held["rows"] != fresh:
            figures.crossed.append(f"{entry.pattern} {key.removeprefix(prefix)}: filled for tenant {held.get('tenant')}, "
                                   f"served to tenant {tenant}")
    elif held["rows"] != fresh:
        figures.stale.append(f"{entry.pattern} {key.removeprefix(prefix)}: cached {time.time() - held['at']:.2f} s "
                             "ago, the database has changed since")


def _write(acting: _Acting, statement: Statement, cached: list[CachedRead], client: redis.Redis,
           prefix: str, rng: random.Random, figures: CacheFigures, invalidate: bool) -> None:
    turn = rng.randrange(len(statement.bindings))
    values, tenant = statement.bindings[turn], statement.tenants[turn]
    try:
        rows = acting.rows(statement, values, tenant)
        changed = [dict(zip(statement.returning, _texts(row))) for row in rows] if statement.returning else []
    except psycopg.errors.IntegrityError:
        figures.refused += 1
        return
    except psycopg.Error as error:
        figures.errors.setdefault(statement.name, str(error).strip().splitlines()[0])
        return
    figures.writes += 1
    figures.per_write[statement.name] += 1
    if not invalidate:
        return
    # After COMMIT (the transaction above has ended): a reader cannot refill from the old rows.
    for entry in cached:
        for rule in (i for i in entry.invalidations if i.write == statement.name):
            if rule.mode == EVERY:
                client.incr(prefix + str(entry.generation_key))
                figures.invalidations += 1
            elif rule.mode == KEY:
                figures.invalidations += client.delete(prefix + _key(entry, {}, tenant, 0))
            elif rule.mode == ROWS:
                keys = {prefix + _key(entry, {p: row[c] for p, c in zip(entry.key_params, rule.columns)}, tenant, 0)
                        for row in changed}
                figures.invalidations += client.delete(*keys) if keys else 0


def _generation(entry: CachedRead, client: redis.Redis, prefix: str) -> int:
    key = entry.generation_key
    return int(client.get(prefix + key) or 0) if key else 0


def _key(entry: CachedRead, values: dict[str, str | None], tenant: str | None, generation: int) -> str:
    fill = {**{p: "" if values.get(p) is None else str(values[p]) for p in entry.key_params},
            "tenant": tenant or "", "generation": str(generation)}
    return entry.key.format(**fill)


def _texts(row: tuple[object, ...]) -> list[str | None]:
    return [None if v is None else str(v) for v in row]


def verdicts(plan: CachePlan, figures: CacheFigures, skipped: list[str]) -> list[Check]:
    planned = ", ".join(f"{c.pattern} (TTL {c.ttl_seconds:g} s)" for c in plan.cached)
    problems = [f"{name}: {error}" for name, error in sorted(figures.errors.items())]
    detail = (f"{figures.reads} cached reads ({figures.hits} hits, {figures.misses} misses) of {planned}, "
              f"interleaved with {figures.writes} writes ({figures.refused} refused by a key) that made "
              f"{figures.invalidations} invalidations; {len(figures.stale)} stale reads")
    if skipped:
        detail += f"; not run: {', '.join(skipped)}"
    out = [Check(f"{NAME}: cache-aside runs the cached reads and their writes", FAIL if problems else PASS,
                 "; ".join(problems) or detail)]
    if any(c.tenant for c in plan.cached):
        out.append(Check(f"{NAME}: no cached entry answers another tenant", FAIL if figures.crossed or not
                         figures.other_tenant_reads else PASS,
                         (f"{len(figures.crossed)} of {figures.other_tenant_reads} reads by another tenant got an "
                          "entry filled for the first: " + "; ".join(sorted(set(figures.crossed))[:3]))
                         if figures.crossed else f"{figures.other_tenant_reads} reads of one tenant's key parameters "
                         "by another tenant got their own entry (the key carries the tenant)"))
    unexercised = [c.pattern for c in plan.cached if figures.per_read[c.pattern] == 0]
    unexercised += [f"{c.pattern}'s writes" for c in plan.cached
                    if c.invalidations and not any(figures.per_write[i.write] for i in c.invalidations)]
    if figures.stale:
        out.append(Check(f"{NAME}: no stale read", FAIL,
                         f"{len(figures.stale)} of {figures.hits} hits were stale: " + "; ".join(sorted(set(figures.stale))[:3])))
    elif unexercised or not figures.hits:
        out.append(Check(f"{NAME}: no stale read", FAIL, "nothing ran for " + ", ".join(unexercised or ["any read"])
                         + " (no hit, or no write committed): the run proves nothing about them"))
    else:
        out.append(Check(f"{NAME}: no stale read", PASS, f"every one of {figures.hits} hits equalled a fresh database "
                         f"read after {figures.invalidations} invalidations by {figures.writes} writes"))
    return out
