"""The caching section of operations.md: one row per cached read, then where a cache is wrong."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from schemawright.scaling.caching import CachedRead, CachePlan


def caching_markdown(plan: CachePlan) -> list[str]:
    from schemawright.scaling.caching import DOMINANT_SHARE

    out = [f"Cache-aside in Redis: the application reads the key, and on a miss runs the pattern and stores the "
           f"result with the TTL below; the writes listed delete the entries they make stale, after COMMIT. "
           f"Cached: the reads the spec marks `cacheable`, and any read with {DOMINANT_SHARE:.0%} or more of the "
           f"{plan.read_rate:g} read executions a second, provided it states how stale it may be "
           "(`staleness_seconds`, the TTL: the bound on an entry's age should an invalidation be missed or race a "
           "refill).", ""]
    if not plan.cached:
        out += ["No read is cached: none is marked `cacheable` with a `staleness_seconds`, and none dominates the "
                "reads.", ""]
    else:
        out += ["| Read | Runs/s | Key | TTL | Invalidated by | Why |", "|---|---:|---|---:|---|---|"]
        out += [_row(c) for c in plan.cached]
        out += ["", "Invalidation: **rows**: the write returns the key columns of the rows it changed (`RETURNING`) "
                "and deletes those keys; **key**: the read has one entry, deleted; **all**: the write cannot name "
                "the entries it touches (the key is on another table), so it increments the read's generation "
                "counter (`INCR`), which is part of every key: all entries go at once, and the old ones expire. An UPDATE "
                "that changes a key column itself must delete the old key too (the application has the old value; "
                "RETURNING gives the new one).",
                ""]
        broad = [c for c in plan.cached if sum(i.rate for i in c.invalidations if i.mode == "all") >= 1]
        for c in broad:
            rate = sum(i.rate for i in c.invalidations if i.mode == "all")
            out += [f"- `{c.pattern}` loses all its entries {rate:g} times a second: at that rate the cache holds "
                    "little; key it so the write can name its entries, or cache it only if those writes are rare."]
        if broad:
            out.append("")
        if any(c.tenant for c in plan.cached):
            out += ["Keys carry the tenant (`{tenant}`: the value the transaction sets for row-level security): "
                    "an entry filled for one tenant must never answer another.", ""]
    out += ["**Where a cache is wrong:**", ""]
    out += [f"- `{u.pattern}`: {u.reason}." for u in plan.uncached]
    out += ["- Reads with no `staleness_seconds` in general (the spec's default): they must see every committed write.",
            "- Inside a transaction that writes: read the database, never the cache, which cannot hold the "
            "transaction's own uncommitted changes.",
            "- Invalidate after COMMIT, not before: a reader between the delete and the commit would refill the "
            "entry with the old value (it then lives until its TTL, the staleness the read allows).", ""]
    return out


def _row(c: CachedRead) -> str:
    by = "; ".join(f"`{i.write}` ({i.mode}" + (f": {', '.join(i.columns)}" if i.columns else "") + ")"
                   for i in c.invalidations) or "no write pattern of the spec (TTL only: changes made elsewhere show "\
                                                  "after it)"
    return f"| `{c.pattern}` | {c.frequency:g} | `{c.key}` | {c.ttl_seconds:g} s | {by} | {c.reason} |"
