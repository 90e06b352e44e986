"""The replication and backup proofs over the examples, with their figures printed.

    .venv/bin/python benchmarks/operations_failover.py [examples/shop.yaml ...] [--scale 0.01]

Replication (validation/operations/replication_proof.py): a PostgreSQL 15 primary and a replica
from the generated config/postgresql.replication.conf and config/standby.conf, the ledger written
at the design's peak write rate and WAL volume, replay lag sampled, the primary crashed, the
replica promoted, acknowledged writes counted.  Backup (backup_proof.py): pgBackRest with the
generated files, a full backup at the scale, a restore to a restore point into a new data
directory, its time extrapolated to the capacity plan's bytes at 12 months against the RTO.
"""

from __future__ import annotations

import argparse
import time

from schemawright import interrupts
from schemawright.pipeline import deliverables, design_file
from schemawright.validation.operations import backup_proof, replication_proof
from schemawright.validation.operations.context import OperationsRun

EXAMPLES = ["examples/iot_telemetry.yaml", "examples/saas_tracker.yaml", "examples/shop.yaml",
            "examples/ticketing.yaml", "examples/tpcc.yaml", "examples/warehouse.yaml"]


def main() -> int:
    interrupts.install()  # Ctrl-C stops and deletes the proofs' servers
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("specs", nargs="*", default=EXAMPLES)
    parser.add_argument("--scale", type=float, default=0.01, help="share of the launch bytes the backup copies")
    args = parser.parse_args()
    failed = 0
    for spec in args.specs:
        design = design_file(spec)
        run = OperationsRun(design, deliverables(design), scale=args.scale)
        for proof in (replication_proof.checks, backup_proof.checks):
            started = time.monotonic()
            for check in proof(run):
                failed += check.status == "FAIL"
                print(f"{spec}: {check.status}: {check.name}\n    {check.detail}")
            print(f"    ({time.monotonic() - started:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
