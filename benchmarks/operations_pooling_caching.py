"""The pooling and caching proofs run longer than their tests, with their figures printed.

    .venv/bin/python benchmarks/operations_pooling_caching.py [examples/shop.yaml ...] [--scale 0.001]
        [--seconds 10] [--operations 2000] [--database-url URL]

Pooling: the spec's PgBouncer plan (Little's law sum, pool, reserve, server connections), then
the patterns through Debian's pgbouncer with the generated pgbouncer.ini (performance/pooled_proof.py):
transactions per second pooled, server connections used, probes.  Caching: the cache plan, then the
cache-aside run in the machine's Redis (performance/cached_proof.py): reads, hits, invalidations,
stale reads, with invalidation and without it.  --database-url: the caching run's server (default:
the embedded PostgreSQL; a spec that needs pgcrypto needs the machine's server).
"""

from __future__ import annotations

import argparse
import sys

from schemawright.performance.cached_proof import CacheCase, prove_cases
from schemawright.performance.pooled_proof import prove_pooling
from schemawright.pipeline import deliverables, design_file


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("specs", nargs="*", default=["examples/shop.yaml"])
    parser.add_argument("--scale", type=float, default=0.001)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--operations", type=int, default=2000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    for spec in args.specs:
        design = design_file(spec)
        files = deliverables(design)
        pooled = prove_pooling(design, files, scale=args.scale, seed=42, seconds=args.seconds)
        plan = pooled.planned
        assert plan is not None
        print(f"{spec}: {len(plan.loads)} patterns, {plan.in_flight:.2f} in flight (sum of rate x p95), "
              f"needed {plan.needed}, {plan.cores} cores -> pool {plan.default_pool_size} + reserve "
              f"{plan.reserve_pool_size} = {plan.server_connections} server connections, max_client_conn "
              f"{plan.max_client_conn}")
        figures, peak = pooled.figures, pooled.peak
        if figures and peak:
            print(f"  pooled: {figures.committed:,} transactions in {figures.seconds:.1f} s = {figures.throughput:,.0f}/s "
                  f"from {figures.clients} clients; at most {peak.servers} server connections (pg_stat_activity "
                  f"{peak.backends}), {peak.clients_waiting} clients waiting; {figures.bare_probes} bare and "
                  f"{figures.tenant_probes} tenant probes, {figures.shared_with_other_tenant} transactions on a "
                  "connection another tenant used last")
        for check in pooled.checks:
            print(f"  {check.status}: {check.name}")
        runs = prove_cases(design, [CacheCase(), CacheCase(invalidate=False)], database_url=args.database_url,
                           scale=args.scale, seed=42, operations=args.operations)
        for invalidate, cached in zip((True, False), runs):
            label = "with invalidation" if invalidate else "invalidation skipped"
            if cached.figures:
                f = cached.figures
                print(f"  cache ({label}): {f.reads} reads, {f.hits} hits, {f.misses} misses, {f.writes} writes, "
                      f"{f.invalidations} invalidations, {len(f.stale)} stale reads, {f.other_tenant_reads} reads by "
                      f"another tenant, {len(f.crossed)} crossed")
            for check in cached.checks:
                print(f"  {check.status}: {check.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
