"""The capacity plan's arithmetic against PostgreSQL: estimate and measurement per table.

    python benchmarks/capacity_plan.py                       # every example at scale 0.01
    python benchmarks/capacity_plan.py --scale 0.001 examples/iot_telemetry.yaml

Each spec is designed, loaded at the scale into a scratch database on a freshly started embedded
PostgreSQL (or --database-url's server), vacuumed and analysed, as `validate --operations`
does; per table it prints the loaded rows, the estimate (scaling.table_size at the loaded
columns' widths, what the proof judges), the measurement (pg_total_relation_size: heap with
its free space and visibility maps, TOAST, indexes), the difference, the estimate at the widths
the plan assumes before any data (the spec's max_length, the planner's defaults: not judged,
synthetic values are not the application's), and the verdict of the proof.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _report import print_table  # noqa: E402

from schemawright.pipeline import design_file  # noqa: E402
from schemawright.performance import capacity_proof  # noqa: E402
from schemawright.validation.operations.context import OperationsRun  # noqa: E402

EXAMPLES = ("shop", "saas_tracker", "iot_telemetry", "ticketing", "tpcc", "warehouse")
_FIGURES = ("estimate ", "measured ", "at the plan's assumed widths ")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("specs", nargs="*", type=Path)
    parser.add_argument("--scale", type=float, default=0.01)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    specs = args.specs or [ROOT / "examples" / f"{name}.yaml" for name in EXAMPLES]
    for spec in specs:
        started = time.perf_counter()
        design = design_file(spec)
        found = list(capacity_proof.checks(OperationsRun(design, {}, args.database_url, args.scale)))
        print(f"\n{spec.name} at scale {args.scale:g} ({time.perf_counter() - started:.0f} s)")
        print_table(["table", "rows", "estimate", "measured", "diff", "plan widths", "verdict"], [_row(c) for c in found])
        for check in found:
            if "estimate " not in check.detail:  # not measured at all: say why
                print(f"{check.status}: {check.detail}")
    return 0


def _row(check) -> list[str]:  # noqa: ANN001 - report.Check
    table = check.name.rpartition(": ")[2]
    detail = check.detail
    rows = detail.split(" rows:")[0] if " rows:" in detail else ""
    figures = [_figure(detail, label) for label in _FIGURES]
    diff = next((part.strip() for part in detail.split(";") if part.strip().endswith("%")
                 and part.strip()[0] in "+-"), "")
    return [table, rows, figures[0], figures[1], diff, figures[2], check.status]


def _figure(detail: str, label: str) -> str:
    if label not in detail:
        return ""
    rest = detail.split(label, 1)[1]
    number, unit = rest.split()[:2]
    return f"{number} {unit.rstrip(';,(')}"


if __name__ == "__main__":
    raise SystemExit(main())
