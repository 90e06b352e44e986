"""The configuration plan measured longer than its test: tuned settings against PostgreSQL's defaults.

    .venv/bin/python benchmarks/operations_config.py [examples/shop.yaml] [--scale 0.01] [--duration 30]
        [--rounds 2] [--aa]

Each round loads the same data on two scratch servers (defaults, and the configuration the
planner gives for this machine and the data loaded: settings_compare.planned_here) and measures
both (performance/settings_compare.py):
closed-loop throughput, and p95 at one common offered rate.  --aa compares the defaults with
the defaults, to see the noise the proof's margin must cover on this machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from schemawright.performance.concurrent import LoadOptions
from schemawright.performance.settings_compare import DEFAULTS, NOISE, compare, planned_here
from schemawright.pipeline import design_file


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", nargs="?", default="examples/shop.yaml")
    parser.add_argument("--scale", type=float, default=0.01)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--aa", action="store_true", help="defaults against defaults (the noise)")
    args = parser.parse_args()
    design = design_file(args.spec)
    conf, planned, memory_gb = (DEFAULTS, "", None) if args.aa else planned_here(design, args.scale)
    load = LoadOptions(args.duration, args.connections)
    if planned:
        print(planned)
    ratios, latencies = [], []
    for number in range(args.rounds):
        started = time.perf_counter()
        c = compare(design, conf, scale=args.scale, seed=number, options=load, memory_gb=memory_gb)
        t, d = c.tuned, c.default
        ratios.append(t.throughput / d.throughput)
        latencies.append(t.p95_ms / d.p95_ms)
        print(f"round {number + 1}: {'defaults (B)' if args.aa else 'tuned'} {t.throughput:,.0f} runs/s, p95 "
              f"{t.p95_ms:.2f} ms | defaults {d.throughput:,.0f} runs/s, p95 {d.p95_ms:.2f} ms | common rate "
              f"{c.rate_scale:.1%} | {time.perf_counter() - started:.0f} s" + (f" | {c.note}" if c.note else ""))
        for name in sorted(t.p95s):
            print(f"    {name:34} p95 {t.p95s[name]:8.2f} ms vs {d.p95s[name]:8.2f} ms")
    print(f"{args.spec} at scale {args.scale:g}, {args.duration:g} s per load, {args.connections} connections: "
          f"throughput ratio median {statistics.median(ratios):.2f} (rounds {', '.join(f'{r:.2f}' for r in ratios)}), "
          f"p95 ratio median {statistics.median(latencies):.2f} ({', '.join(f'{r:.2f}' for r in latencies)}); "
          f"the proof's noise margin is {NOISE:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
