"""How long `schemawright design` takes on each bundled example, as a user runs it.

    python benchmarks/design_time.py                      # every example, once each
    python benchmarks/design_time.py shop iot_telemetry --repeat 3

Each run is the CLI in a fresh process (the embedded PostgreSQL started and stopped by it),
writing into a temporary directory; the figure is the wall clock, with the load average
beside it since the machine may be shared.  Most of the time is the index planner: a sample
of every table loaded, then a search that costs what-if indexes with PostgreSQL's planner
(indexing/select.py).

A review saw `design examples/shop.yaml` killed by a harness's time limit at 24.5 s
(472 what-if builds of 88 distinct indexes); see the issue note for before and after.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ("shop", "saas_tracker", "iot_telemetry", "ticketing", "warehouse", "tpcc")


def run(example: str, extra: list[str]) -> tuple[float, int, str]:
    """Seconds, exit code, and the line that says what the planner chose (or the error)."""
    with tempfile.TemporaryDirectory(prefix="sw_design_time_") as out:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "schemawright.cli", "design", str(ROOT / "examples" / f"{example}.yaml"),
                               "-o", out, *extra], capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
        lines = (done.stdout + done.stderr).splitlines()
        said = next((line for line in lines if line.startswith("designed ")), lines[-1] if lines else "")
        return seconds, done.returncode, said


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("examples", nargs="*", default=list(EXAMPLES))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--database-url", help="for saas_tracker: the embedded server has no pgcrypto")
    args = parser.parse_args()
    print(f"{'example':<15} {'run':>3} {'seconds':>8} {'load':>5}  what it said")
    for example in args.examples:
        extra = ["--database-url", args.database_url] if args.database_url and example == "saas_tracker" else []
        for i in range(args.repeat):
            seconds, code, account = run(example, extra)
            load = os.getloadavg()[0]
            status = "" if code == 0 else f" (exit {code})"
            print(f"{example:<15} {i + 1:>3} {seconds:>8.1f} {load:>5.1f}  {account}{status}", flush=True)


if __name__ == "__main__":
    main()
