"""Caching: which reads Redis serves (cache-aside), under which key, for how long, and which writes
invalidate them; and the reads that must never come from a cache.

A read is cached when the spec marks it `cacheable`, or when it dominates the reads (at least
DOMINANT_SHARE of all read executions a second), provided it tolerates staleness
(`staleness_seconds`): its TTL is that staleness, the bound on how old an entry may be should
an invalidation be missed or race a refill.  `staleness_seconds` absent means the read must see
every committed write: no cache (nor replica) may serve it.

Invalidation follows the SQL (scaling/cache_sql.py): a write invalidates a cached read when it
changes a table the read reads (INSERT and DELETE: any column; UPDATE: a column the read reads).
When every key parameter of the read names a column of the written table, the write deletes the
keys of the rows it changed (RETURNING those columns: `rows`); a read with no parameter has one
key (`key`); otherwise the write bumps the read's generation, a counter in its key, so all its
entries go at once (`all`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from schemawright import model as m
from schemawright.scaling.cache_sql import ALL, PatternSql, analyse

if TYPE_CHECKING:
    from schemawright.scaling.plan import OperationsPlan

DOMINANT_SHARE = 0.25  # a read with a quarter of all read executions is worth caching unasked
ROWS, KEY, EVERY = "rows", "key", "all"  # how a write invalidates a read's entries


@dataclass(frozen=True)
class Invalidation:
    write: str  # the write pattern
    mode: str  # ROWS, KEY or EVERY
    columns: tuple[str, ...] = ()  # ROWS: the written table's columns that give the read's key parameters
    rate: float = 0.0  # the write's executions per second


@dataclass(frozen=True)
class CachedRead:
    pattern: str
    key_params: tuple[str, ...]
    key: str  # the key shape, e.g. shop:product_by_sku:{sku}
    ttl_seconds: float
    tenant: bool  # the key carries the tenant (row-level security: one tenant's rows never serve another)
    reason: str  # marked cacheable, or dominates reads
    invalidations: tuple[Invalidation, ...]
    frequency: float

    @property
    def generation_key(self) -> str | None:
        """The counter EVERY-mode writes bump, when some write does."""
        if any(i.mode == EVERY for i in self.invalidations):
            return ":".join(self.key.split(":")[:2]) + ":generation"  # project:pattern:generation
        return None


@dataclass(frozen=True)
class Uncached:
    pattern: str
    reason: str


@dataclass(frozen=True)
class CachePlan:
    project: str
    cached: tuple[CachedRead, ...]
    uncached: tuple[Uncached, ...]  # reads asked for or frequent that a cache must not serve
    read_rate: float  # all read executions per second
    title: str = "Caching"
    anchor: str = "caching"

    def cached_read(self, pattern: str) -> CachedRead | None:
        return next((c for c in self.cached if c.pattern == pattern), None)

    def markdown(self) -> list[str]:
        from schemawright.scaling.caching_md import caching_markdown

        return caching_markdown(self)

    def files(self) -> dict[str, str]:
        return {}


def plan(design: m.Design, earlier: OperationsPlan) -> CachePlan:
    reads = [p for p in design.access_patterns if p.kind == "read"]
    read_rate = sum(p.frequency for p in reads)
    sql = {p.name: analyse(p, design) for p in design.access_patterns}
    writes = [p for p in design.access_patterns if p.kind == "write"]
    cached, uncached = [], []
    for read in reads:
        dominant = read_rate > 0 and read.frequency / read_rate >= DOMINANT_SHARE
        if not (read.cacheable or dominant):
            continue
        if read.staleness_seconds is None:
            why = ("marked cacheable, but" if read.cacheable else
                   f"{read.frequency / read_rate:.0%} of the reads, but")
            uncached.append(Uncached(read.name, f"{why} it states no `staleness_seconds`: it must see every "
                                                "committed write, which a cache cannot promise"))
            continue
        if not sql[read.name].parsed:
            uncached.append(Uncached(read.name, "its SQL does not parse: the writes that change it are unknown"))
            continue
        cached.append(_cached(design, read, sql[read.name], writes, sql, dominant))
    return CachePlan(design.project, tuple(cached), tuple(uncached), read_rate)


def _cached(design: m.Design, read: m.AccessPattern, shape: PatternSql, writes: list[m.AccessPattern],
            sql: dict[str, PatternSql], dominant: bool) -> CachedRead:
    invalidations = tuple(i for w in writes if (i := _invalidation(shape, w, sql[w.name])) is not None)
    tenant = bool(design.row_security) and any(t in design.row_security for t in shape.reads)
    segments = [_slug(design.project), read.name]
    if any(i.mode == EVERY for i in invalidations):
        segments.append("g{generation}")
    if tenant:
        segments.append("{tenant}")
    segments += [f"{{{p}}}" for p in shape.params]
    reason = "marked cacheable" if read.cacheable else f"dominates reads (>= {DOMINANT_SHARE:.0%})"
    return CachedRead(read.name, shape.params, ":".join(segments), float(read.staleness_seconds or 0), tenant,
                      reason, invalidations, read.frequency)


def _invalidation(read: PatternSql, write: m.AccessPattern, change: PatternSql) -> Invalidation | None:
    table = change.written
    if table is None or table not in read.reads:
        return None
    seen = read.reads[table]
    if ALL not in change.written_columns and ALL not in seen and not (change.written_columns & seen):
        return None
    if not read.params:
        return Invalidation(write.name, KEY, rate=write.frequency)
    key_columns = [read.bound.get(p) for p in read.params]
    if all(c is not None and c[0] == table for c in key_columns):
        return Invalidation(write.name, ROWS, tuple(c[1] for c in key_columns if c), write.frequency)
    return Invalidation(write.name, EVERY, rate=write.frequency)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "_", text.lower()).strip("_") or "app"
