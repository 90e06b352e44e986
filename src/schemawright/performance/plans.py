"""Plan facts of one run: the indexes used, rows, and shared buffers hit or read."""

from __future__ import annotations

from schemawright.database import Database
from schemawright.performance.results import PlanFacts
from schemawright.validation.patterns import plan_summary


def plan_facts(explain: object) -> PlanFacts:
    """From EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) output; the top node's buffer counts
    include its children's, so they are the statement's."""
    root = explain[0]["Plan"] if isinstance(explain, list) else explain["Plan"]  # type: ignore[index]
    summary = plan_summary(explain)
    return PlanFacts(top=summary.top, indexes=summary.indexes, seq_scans=summary.seq_scans,
                     rows=int(root.get("Actual Rows", 0)), shared_hit=int(root.get("Shared Hit Blocks", 0)),
                     shared_read=int(root.get("Shared Read Blocks", 0)))


def explain_run(db: Database, call: str) -> PlanFacts:
    """EXPLAIN ANALYZE runs the statement: in a transaction rolled back, like the timed runs."""
    with db.transaction(rollback=True):
        return plan_facts(db.query_value(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {call}"))
