"""Step 7, scaling: the operations plan a platform engineer provisions from.

From the design (volumes, growth, retention, access patterns with their rates, latency targets
and staleness) and the availability needs (replicas, RPO, RTO) on a target machine, each module
plans one concern and renders its files; `plan.plan_operations` runs them in order (a later
concern reads an earlier one: the configuration sizes connections from the pool plan) and
`operations_md` writes operations.md.  Every figure is derived, with its reason; nothing here
touches a database (the proofs live in validation/operations/).
"""
