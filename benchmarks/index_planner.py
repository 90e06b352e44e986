"""design's index planner: a sample standing in for the declared volume against the real data (issue 13).

    python benchmarks/index_planner.py                    # 3,000,000 orders, sample 30,000
    python benchmarks/index_planner.py --orders 1000000 --sample 30000
    python benchmarks/index_planner.py --database-url postgresql://postgres@127.0.0.1:5432/postgres

One spec (customers, orders, regions; an equality lookup with a sort, a lookup by number, an
aggregate over a negated predicate, an insert) at a declared volume that this machine can load
whole.  The planner runs three times on the embedded server (or `--database-url`):

- `real`: every row loaded, so nothing stands in (the truth);
- `stand-in`: `--sample` rows per table standing in for the declared volume (indexing/standin.py);
- `bare sample`: the same sample without the stand-in (what a planner on a sample would think).

It prints the indexes each run chose, each pattern's cost before any index (as the planner
prices it) and the time of each run.  The stand-in passes when it chooses what the real data
chose and its costs are within 30 % of the real ones.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
import time

from schemawright.commands.planned_indexes import plan_indexes
from schemawright.pipeline import parse_spec, design_from_spec

SPEC = """\
project: planner_bench
entities:
  Customer:
    attributes:
      email: {{type: email, required: true, unique: true}}
      region: enum(north, south, east, west)
  Order:
    attributes:
      number: {{type: string, max_length: 20, required: true}}
      status: {{type: enum, values: [open, paid, shipped, cancelled], required: true}}
      total: money
      placed_at: {{type: timestamp, required: true, default: now}}
  Region:
    attributes:
      name: {{type: string, max_length: 40, required: true, unique: true}}
relationships:
  - {{from: Customer, to: Order, type: one-to-many, required: true}}
  - {{from: Region, to: Customer, type: one-to-many}}
volumes:
  Customer: {{rows: {customers}}}
  Order: {{rows: {orders}}}
  Region: {{rows: 5000}}
access_patterns:
  - name: customer_orders
    query: SELECT id, total, placed_at FROM orders WHERE customer_id = :customer_id ORDER BY placed_at DESC LIMIT 20
    frequency: 50
    latency_p95_ms: 20
  - name: order_by_number
    query: SELECT id, status FROM orders WHERE number = :number
    frequency: 20
    latency_p95_ms: 20
  - name: orders_by_status
    query: SELECT count(*) FROM orders WHERE status <> :status
    frequency: 0.1
    latency_p95_ms: 2000
  - name: place_order
    query: INSERT INTO orders (customer_id, number, status, total) VALUES (:customer_id, :number, 'open', :total)
    frequency: 10
    latency_p95_ms: 20
"""


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=3_000_000, help="declared orders (loaded whole by `real`)")
    parser.add_argument("--sample", type=int, default=30_000, help="rows per table the stand-in loads")
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server (default: the embedded one)")
    args = parser.parse_args(argv)
    text = SPEC.format(orders=args.orders, customers=max(1000, args.orders // 15))
    design = design_from_spec(parse_spec(textwrap.dedent(text), "planner_bench.yaml"))
    runs = {}
    for label, sample, stand_in in (("real", 10 * args.orders, True), ("stand-in", args.sample, True),
                                    ("bare sample", args.sample, False)):
        started = time.perf_counter()
        runs[label] = plan_indexes(design, args.database_url, sample_rows=sample, stand_in=stand_in)
        print(f"{label:12s} {time.perf_counter() - started:7.1f} s  {runs[label].server}: {runs[label].how[:110]}")
    print()
    for label, run in runs.items():
        shapes = sorted(f"{i.table} ({', '.join(c.expression for c in i.columns)})"
                        + (f" INCLUDE ({', '.join(i.include)})" if i.include else "")
                        + (f" WHERE {i.where}" if i.where else "") for i in run.design.indexes)
        print(f"{label:12s} chose: {'; '.join(shapes) or 'nothing'}")
    print()
    print(f"{'pattern':18s} " + " ".join(f"{label:>14s}" for label in runs) + "   stand-in/real")
    within = True
    for pattern in runs["real"].advice.patterns:
        costs = {label: next(p.before for p in run.advice.patterns if p.name == pattern.name)
                 for label, run in runs.items()}
        ratio = costs["stand-in"] / costs["real"] if costs["real"] else 1.0
        within &= abs(ratio - 1) <= 0.3 or costs["real"] < 1
        print(f"{pattern.name:18s} " + " ".join(f"{c:14,.1f}" for c in costs.values()) + f"   {ratio:12.2f}")
    same = ({(i.table, tuple(c.expression for c in i.columns), i.where, i.include) for i in runs["real"].design.indexes}
            == {(i.table, tuple(c.expression for c in i.columns), i.where, i.include)
                for i in runs["stand-in"].design.indexes})
    print()
    print(f"stand-in chooses what the real data chooses: {'yes' if same else 'NO'}; "
          f"costs within 30 %: {'yes' if within else 'NO'}")
    return 0 if same and within else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
