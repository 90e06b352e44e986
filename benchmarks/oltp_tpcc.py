"""`schemawright bench` on the TPC-C-style OLTP spec (examples/tpcc.yaml), full volumes.

    python benchmarks/oltp_tpcc.py                      # scale 1.0: 10 warehouses, ~5.1 M rows
    python benchmarks/oltp_tpcc.py --scale 0.1 --runs 50 -o out/tpcc-bench

Loads the declared volumes times --scale into a scratch database on a freshly started
embedded PostgreSQL, applies the design's indexes plus the ones the advisor chooses on
that data, and runs each of the 25 statements of the five TPC-C transactions --runs times
(after 5 warm-up runs) with parameters drawn from the rows.  Prints per pattern
p50/p95/max against its target, the generation time and rows/s, the advisor's indexes,
and PASS/FAIL.  Target (issue 4, section 8): at scale 1.0 every pattern meets 5 ms p95.
Exit code 1 when a pattern misses.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _report import print_table  # noqa: E402

from schemawright.performance import bench  # noqa: E402
from schemawright.performance.output import write_bench  # noqa: E402
from schemawright.performance.report import ms  # noqa: E402
from schemawright.pipeline import design_file  # noqa: E402

SPEC = ROOT / "examples" / "tpcc.yaml"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--whatif", default="auto", choices=("auto", "hypopg", "build"))
    parser.add_argument("--database-url", default=None, help="another server instead of the embedded one")
    parser.add_argument("-o", "--output", type=Path, default=None, help="also write bench.md and the chart here")
    args = parser.parse_args()

    design = design_file(SPEC)
    started = time.perf_counter()
    last = [started]

    def say(text: str) -> None:
        now = time.perf_counter()
        # The machine's load, since p95 on a shared machine includes waiting for a CPU.
        print(f"  [{now - started:7.1f} s] (load {os.getloadavg()[0]:.1f}) {text}", flush=True)
        last[0] = now

    result = bench(design, args.scale, database_url=args.database_url, runs=args.runs, seed=args.seed,
                   whatif=args.whatif, say=say)
    total = time.perf_counter() - started
    load = os.getloadavg()
    print()
    print(f"{SPEC.relative_to(ROOT)} at scale {args.scale:g} on {result.server} (PostgreSQL {result.server_version}), "
          f"{args.runs} timed runs per pattern after {result.warmup} warm-up runs")
    print(f"generation: {result.rows_loaded:,} rows in {result.generation_seconds:.1f} s "
          f"({result.rows_per_second:,.0f} rows/s); advisor ({result.whatif}): {result.advisor_seconds:.1f} s; "
          f"whole run {total:.1f} s")
    print(f"load average at the end (1/5/15 min, {os.cpu_count()} CPUs): {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}")
    advised = [i for i in result.indexes if i.source == "advisor"]
    print(f"indexes: {len(result.indexes) - len(advised)} from the design, {len(advised)} chosen by the advisor")
    for index in advised:
        print(f"  {index.definition}")
    print()
    rows = []
    for p in result.patterns:
        lat = p.latency
        plan = ", ".join(p.plan.indexes + tuple(f"seq {t}" for t in p.plan.seq_scans)) if p.plan else (p.error or "")
        rows.append([p.name, ms(p.target_ms), ms(lat.p50 if lat else None), ms(lat.p95 if lat else None),
                     ms(lat.max if lat else None), p.verdict,
                     f"{p.plan.shared_hit}/{p.plan.shared_read}" if p.plan else "", plan[:60]])
    print_table(["pattern", "target ms", "p50 ms", "p95 ms", "max ms", "result", "buf hit/read", "plan"], rows)
    print()
    if args.output:
        for path in write_bench(result, args.output):
            print(f"wrote {path}")
    worst = max((p.latency.p95 for p in result.patterns if p.latency), default=0.0)
    print(f"{'PASS' if result.passed else 'FAIL'}: {len(result.patterns) - len(result.missed)} of "
          f"{len(result.patterns)} patterns meet their p95 target (worst p95 {worst:.2f} ms)")
    for p in result.missed:
        print(f"  missed: {p.name}: {p.error or f'p95 {p.latency.p95:.2f} ms > {p.target_ms:g} ms'}")
    return 0 if result.passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
