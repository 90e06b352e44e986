"""Proofs of the operations plan (scaling/) on real components, one module per concern.

Each proof is `(run: OperationsRun) -> Iterator[Check]`, registered in pipeline.OPERATION_CHECKS;
`schemawright validate --operations` runs them in order and prints one PASS/FAIL line per
check.  A proof starts what it needs (a scratch PostgreSQL from the machine's binaries, PgBouncer,
a replica, pgBackRest) on loopback or a Unix socket in a temporary directory and stops it on
every way out; when the machine lacks a component the check is NOT TRIED, never a PASS.
"""
