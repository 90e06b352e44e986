"""How fast `schemawright generate` loads synthetic rows into the embedded PostgreSQL.

    python benchmarks/generate_speed.py                  # 1,000,000 narrow rows + examples/shop.yaml at 0.01
    python benchmarks/generate_speed.py --rows 3000000 --shop-scale 0.02

1. Narrow table: one table of 5 columns (bigint identity primary key, integer, numeric(10,2),
   an enum as a CHECK IN list, timestamptz), with a Zipf-skewed integer and a date range,
   so the figure includes drawing, rendering, COPY and every constraint check.
   Target: TARGET_ROWS_PER_SECOND or better (issue 4), printed as PASS/FAIL.
2. A whole example spec (examples/shop.yaml) at a scale: 14 tables with foreign keys,
   unique keys, cross-column CHECKs (through the staging table) and JSON, arrays, uuids.

Both run into a scratch database on a freshly started embedded server; the time is the
whole `generate()` call for the narrow table minus ANALYZE (kept separate).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from schemawright.database import embedded_server, scratch_database
from schemawright.generation import generate
from schemawright.pipeline import design_file, design_from_spec
from schemawright.pipeline import parse_spec

TARGET_ROWS_PER_SECOND = 300_000

NARROW = """
project: narrow
entities:
  Event:
    attributes:
      account: {type: integer, required: true, min: 0, data: {distinct: 5000, skew: {zipf: 1.1}}}
      amount: {type: decimal, precision: 10, scale: 2, required: true, min: 0}
      kind: {type: enum, values: [view, click, buy], required: true}
      happened_at: {type: timestamp, required: true, data: {range: [2024-01-01, 2025-12-31]}}
volumes:
  Event: {rows: ROWS}
"""


def narrow(server: str, rows: int) -> float:
    design = design_from_spec(parse_spec(NARROW.replace("ROWS", str(rows)), "narrow.yaml"))
    assert len(design.tables) == 1 and len(design.tables[0].columns) == 5, design.tables
    with scratch_database(server) as url:
        result = generate(design, url, scale=1.0, seed=1, analyze=False)
    table = result.tables[0]
    speed = table.rows_per_second
    verdict = "PASS" if speed >= TARGET_ROWS_PER_SECOND else "FAIL"
    print(f"narrow table, 5 columns: {table.rows:,} rows in {table.seconds:.2f} s = {speed:,.0f} rows/s "
          f"(target {TARGET_ROWS_PER_SECOND:,}) {verdict}")
    return speed


def shop(server: str, scale: float) -> None:
    design = design_file(ROOT / "examples" / "shop.yaml")
    with scratch_database(server) as url:
        result = generate(design, url, scale=scale, seed=1)
    for table in result.tables:
        print(f"  {table.table:22} {table.rows:>10,} rows {table.rows_per_second:>10,.0f} rows/s "
              f"{table.note or ''}")
    print(f"examples/shop.yaml at scale {scale:g}: {result.rows:,} rows in {result.seconds:.1f} s = "
          f"{result.rows_per_second:,.0f} rows/s (14 tables, foreign keys and CHECKs verified by PostgreSQL)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--shop-scale", type=float, default=0.01)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs; embedded PostgreSQL")
    started = time.perf_counter()
    with embedded_server() as server:
        speed = narrow(server, args.rows)
        shop(server, args.shop_scale)
    print(f"total {time.perf_counter() - started:.1f} s")
    return 0 if speed >= TARGET_ROWS_PER_SECOND else 1


if __name__ == "__main__":
    raise SystemExit(main())
