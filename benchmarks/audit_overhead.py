"""What auditing costs a bulk write (issue 12, audit).

    python benchmarks/audit_overhead.py                  # embedded PostgreSQL
    python benchmarks/audit_overhead.py --reps 7 --database-url postgresql://postgres@127.0.0.1/postgres

One orders table, designed four ways and applied to four scratch databases:

- "plain": no audit columns, no trail;
- "columns": `audit: true`, the BEFORE INSERT OR UPDATE row trigger set_audit_columns;
- "trail": columns plus `security.audit_trail: [Order]` as designed: statement-level AFTER
  triggers reading the transition tables (integrity/audit_trail.py);
- "trail, row-level": the same trail written by one AFTER ... FOR EACH ROW trigger instead,
  the alternative the design did not choose.

Then, alternating between them so the machine's load falls on all alike: INSERT 100,000
rows in one statement, UPDATE them all in one statement, each its own transaction.  Times
are medians over --reps repetitions: wall time, and the server process's CPU time when the
server runs on this machine.  The trail is emptied between repetitions (its append-only
trigger switched off for that, as a superuser may).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _report import print_table  # noqa: E402
from rule_overhead import Clock  # noqa: E402

from schemawright import model as m  # noqa: E402
from schemawright.database import Database, embedded_server, scratch_database  # noqa: E402
from schemawright.integrity.audit import session_user_sql  # noqa: E402
from schemawright.pipeline import design_from_spec, parse_spec  # noqa: E402
from schemawright.sql.postgresql import render_up  # noqa: E402

SPEC = """
project: audit_bench
audit: {audit}
entities:
  Order:
    attributes:
      reference: {{type: string, max_length: 20, required: true}}
      status: {{type: enum, values: [open, paid, shipped], required: true}}
      total: {{type: decimal, precision: 12, scale: 2, required: true}}
      placed_on: {{type: date, required: true}}
      note: {{type: string, max_length: 200}}
security:
  audit_trail: [{trail}]
"""
ROWS = 100_000
INSERT = ("INSERT INTO orders (reference, status, total, placed_on, note) SELECT 'R' || i, 'open', i % 1000, "
          f"date '2025-01-01' + i % 365, 'order ' || i FROM generate_series(1, {ROWS}) AS i")
UPDATE = "UPDATE orders SET status = 'paid', total = total + 1"
STEPS = {"INSERT": INSERT, "UPDATE": UPDATE}

# The alternative: one row-level trigger for the three events, the same entry per row.
ROW_LEVEL = """
CREATE FUNCTION record_orders_by_row() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
    INSERT INTO audit_trail (table_name, action, row_key, changed_by, old_row, new_row)
    VALUES (TG_TABLE_NAME, TG_OP, jsonb_build_object('id', CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END),
            {who}, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END);
    RETURN NULL;
END;
$$;
CREATE TRIGGER trg_orders_audit_by_row AFTER INSERT OR UPDATE OR DELETE ON orders
    FOR EACH ROW EXECUTE FUNCTION record_orders_by_row();
"""


def designs() -> dict[str, tuple[m.Design, str]]:
    """label -> (design, SQL run after its schema)."""
    plain = design_from_spec(parse_spec(SPEC.format(audit="false", trail=""), "bench.yaml"))
    columns = design_from_spec(parse_spec(SPEC.format(audit="true", trail=""), "bench.yaml"))
    trail = design_from_spec(parse_spec(SPEC.format(audit="true", trail="Order"), "bench.yaml"))
    statement = [t for t in trail.triggers if t.table == "orders" and t.level == "statement"
                 and t.events[0].kind != "truncate"]
    row_level = "\n".join(f"DROP TRIGGER {t.name} ON orders;" for t in statement)
    row_level += ROW_LEVEL.format(who=session_user_sql(trail, "session_user"))
    return {"plain": (plain, ""), "columns": (columns, ""), "trail": (trail, ""),
            "trail, row-level": (trail, row_level)}


@contextmanager
def databases(server: str) -> Iterator[dict[str, Database]]:
    with ExitStack() as stack:
        dbs = {}
        for label, (design, extra) in designs().items():
            db = stack.enter_context(Database(stack.enter_context(scratch_database(server))))
            db.execute(render_up(design))
            if extra:
                db.execute(extra)
            dbs[label] = db
        yield dbs


def reset(db: Database) -> None:
    db.execute("TRUNCATE orders RESTART IDENTITY")
    if db.query_value("SELECT to_regclass('audit_trail') IS NOT NULL"):
        db.execute("ALTER TABLE audit_trail DISABLE TRIGGER USER; TRUNCATE audit_trail RESTART IDENTITY; "
                   "ALTER TABLE audit_trail ENABLE TRIGGER USER")
    db.execute("CHECKPOINT")  # no dirty pages of the last run to write during this one


def timed(db: Database, clock: Clock) -> dict[str, float]:
    reset(db)
    out = {}
    for step, sql in STEPS.items():
        start = clock.now()
        db.execute(sql)
        end = clock.now()
        out[f"wall {step}"], out[f"cpu {step}"] = end[0] - start[0], end[1] - start[1]
    entries = db.query_value("SELECT count(*) FROM audit_trail") \
        if db.query_value("SELECT to_regclass('audit_trail') IS NOT NULL") else 0
    assert entries in (0, 2 * ROWS), entries  # every row inserted and updated is recorded, or none
    return out


def run(server: str, reps: int) -> None:
    with databases(server) as dbs:
        clocks = {label: Clock(db) for label, db in dbs.items()}
        kind = "cpu" if all(c.local for c in clocks.values()) else "wall"
        print(f"PostgreSQL {dbs['plain'].query_value('SHOW server_version')}; timed: "
              + ("server CPU" if kind == "cpu" else "wall (the server is not on this machine)"))
        times: dict[str, list[dict[str, float]]] = {label: [] for label in dbs}
        for rep in range(reps + 1):  # the first repetition warms caches and is not counted
            for label in list(dbs) if rep % 2 else list(reversed(dbs)):
                measured = timed(dbs[label], clocks[label])
                if rep:
                    times[label].append(measured)
        med = {label: {k: statistics.median(t[k] for t in runs) for k in runs[0]} for label, runs in times.items()}
        rows = []
        for step in STEPS:
            base = med["plain"][f"{kind} {step}"]
            for label in dbs:
                value = med[label][f"{kind} {step}"]
                rows.append([f"{step} {ROWS:,} rows", label, f"{med[label][f'wall {step}']:.3f}", f"{value:.3f}",
                             f"{(value - base) / base * 100:+.0f} %" if label != "plain" else "—"])
        print()
        print(f"one statement per transaction, seconds, median of {reps}")
        print_table(["statement", "design", "wall", "CPU" if kind == "cpu" else "wall ", "against plain"], rows)
        for step in STEPS:
            stmt, row = med["trail"][f"{kind} {step}"], med["trail, row-level"][f"{kind} {step}"]
            print(f"{step}: the statement-level trail costs {stmt:.3f} s, the row-level one {row:.3f} s "
                  f"({(row - stmt) / stmt * 100:+.0f} %)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5, help="timed repetitions per case (median)")
    parser.add_argument("--database-url", default=None, help="another server instead of the embedded one")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    if args.database_url:
        run(args.database_url, args.reps)
    else:
        with embedded_server() as server:
            run(server, args.reps)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
