"""Run the attempts of validation.attempts on the loaded scratch database.

A violation passes only when PostgreSQL refuses it with the expected SQLSTATE and
constraint name; a valid operation passes only when it goes through; an attempt that found
no rows to work on (SQLSTATE SWNOD) fails as "not tried": an empty table proves nothing.
Each runs in a transaction that is rolled back.  Concurrent attempts run on two real
connections: the first session's change commits while the second waits on it, and the
second must then be refused.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from schemawright import model as m
from schemawright.database import Database, DatabaseError
from schemawright.validation.attempts import NOTHING, Attempt, attempts
from schemawright.validation.plaintext import use_test_key
from schemawright.validation.report import FAIL, PASS, Check
from schemawright.sql.postgresql import PostgresGenerator

WAIT_SECONDS = 10
_SQL = PostgresGenerator()
_REFERENCE_STATES = ("23001", "23503")
# Constraint, index and trigger names of the database, and the rules' names their triggers raise.
_NAMES = """
SELECT conname::text FROM pg_constraint UNION SELECT relname::text FROM pg_class WHERE relkind IN ('i', 'I')
UNION SELECT tgname::text FROM pg_trigger
"""  # how long the second session may take to start waiting on the first


@dataclass
class Outcome:
    attempt: Attempt
    passed: bool
    said: str


@dataclass
class Tally:
    refused: int = 0
    accepted: int = 0  # violations the database let through
    succeeded: int = 0
    failed: int = 0  # valid operations refused
    not_tried: list[str] = field(default_factory=list)
    concurrent: int = 0
    missing: int = 0  # constraints and rules of the design the database does not have

    def line(self) -> str:
        text = (f"{self.refused} violations refused, {self.accepted} accepted; {self.succeeded} valid operations "
                f"succeeded, {self.failed} refused")
        if self.concurrent:
            text += f"; {self.concurrent} concurrent cases on two connections"
        if self.missing:
            text += f"; {self.missing} missing from the database"
        if self.not_tried:
            text += f"; {len(self.not_tried)} not tried"
        return text


def run_attempt(db: Database, attempt: Attempt) -> Outcome:
    try:
        with db.transaction(rollback=True):
            db.execute(attempt.sql)
    except DatabaseError as error:
        return _judge(attempt, error)
    return _judge(attempt, None)


# A unique index of a partitioned table speaks with the name of its partition's index.
_PARTITION_INDEXES = """
WITH RECURSIVE up (child, parent) AS (
    SELECT i.inhrelid, i.inhparent FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE c.relkind = 'i'
    UNION ALL SELECT up.child, i.inhparent FROM up JOIN pg_inherits i ON i.inhrelid = up.parent)
SELECT c.relname::text, p.relname::text FROM up JOIN pg_class c ON c.oid = up.child JOIN pg_class p ON p.oid = up.parent
WHERE NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = up.parent)
"""
_ALIASES: dict[str, str] = {}


def _judge(attempt: Attempt, error: DatabaseError | None) -> Outcome:
    if error is not None and error.constraint in _ALIASES:
        error.constraint = _ALIASES[error.constraint]
    if error is not None and error.sqlstate == NOTHING and "violates check constraint" in error.message \
            and "alone (last refused by" in error.message:
        # Every value that breaks this CHECK breaks another one first: it is implied by that one.
        return Outcome(attempt, True, "implied: every value tried that breaks it is refused by "
                       + error.message.split("violates check constraint", 1)[1].split(")")[0].strip() + " first")
    if error is not None and error.sqlstate == NOTHING:
        return Outcome(attempt, attempt.optional,
                       f"not tried: {error.message.removeprefix('nothing to try: ')} not found")
    if attempt.violation:
        if error is None:
            return Outcome(attempt, False, "ACCEPTED: the database let the violation through")
        names = (attempt.constraint, *attempt.also)
        states = (attempt.expect, "23505", "23P01") if attempt.also else (attempt.expect,)
        if attempt.expect in _REFERENCE_STATES:  # ON DELETE RESTRICT says 23001, NO ACTION 23503: both refuse
            states += _REFERENCE_STATES
        right = error.sqlstate in states and (attempt.constraint is None or error.constraint in names)
        said = f"refused: {error.sqlstate} {error.constraint or ''}".rstrip()
        if not right:
            said = f"refused for another reason: {error.sqlstate} {error.message} (expected {attempt.expect} " \
                   f"{attempt.constraint})"
        return Outcome(attempt, right, said)
    if error is None:
        return Outcome(attempt, True, "succeeded")
    return Outcome(attempt, False, f"REFUSED: {error.sqlstate} {error.message}")


def run_concurrent(db: Database, attempt: Attempt, design: m.Design | None = None) -> Outcome:
    """The first session makes the change and holds it; the second makes it too and waits;
    the first commits; the second must then be refused."""
    result: dict[str, DatabaseError | None] = {}
    if attempt.setup:
        try:
            db.execute(attempt.setup)
        except DatabaseError as error:
            return _judge(attempt, error) if error.sqlstate == NOTHING else \
                Outcome(attempt, False, f"its setup was refused: {error.sqlstate} {error.message}")
    with Database(db.url) as other:
        if design is not None:
            use_test_key(other, design)  # pii: encrypt: the second session writes through the same key
        other_pid = other.query_value("SELECT pg_backend_pid()")
        try:
            with db.transaction():
                db.execute(attempt.sql)

                def second() -> None:
                    try:
                        with other.transaction(rollback=True):
                            other.execute(attempt.second or attempt.sql)
                            # The second session is rolled back, not committed: run what commit would check.
                            other.execute("SET CONSTRAINTS ALL IMMEDIATE")
                        result["error"] = None
                    except DatabaseError as error:
                        result["error"] = error

                thread = threading.Thread(target=second, daemon=True)
                thread.start()
                waited = _waits(db, other_pid, thread)
        except DatabaseError as error:
            return _judge(attempt, error) if error.sqlstate == NOTHING else \
                Outcome(attempt, False, f"the first session's change was refused: {error.sqlstate} {error.message}")
        thread.join(WAIT_SECONDS * 3)
        if thread.is_alive():
            return Outcome(attempt, False, "the second session never finished")
    outcome = _judge(attempt, result.get("error"))
    if outcome.passed:
        outcome.said += " after waiting for the first session" if waited else " (it did not have to wait)"
    return outcome


def _waits(db: Database, pid: int, thread: threading.Thread) -> bool:
    """True once session `pid` waits on a lock (or has finished)."""
    deadline = time.monotonic() + WAIT_SECONDS
    # One watching connection (autocommit: each poll reads fresh activity), not one per poll.
    with Database(db.url) as watcher:
        while time.monotonic() < deadline and thread.is_alive():
            state = watcher.query_value("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
            if state == "Lock":
                return True
            time.sleep(0.05)
    return False


def _quietly(db: Database, attempt: Attempt, design: m.Design | None = None) -> Outcome:
    """A concurrent attempt with the other rules' triggers off for its duration (the scratch
    database is validate's own: no other session sees the gap)."""
    present = {name for (name,) in db.query("SELECT tgname::text FROM pg_trigger")}
    quiet = [(table, trigger) for table, trigger in attempt.quiet if trigger in present]
    for table, trigger in quiet:
        db.execute(_SQL.enable_trigger_sql(table, trigger, enabled=False))
    try:
        return run_concurrent(db, attempt, design)
    finally:
        for table, trigger in quiet:
            db.execute(_SQL.enable_trigger_sql(table, trigger, enabled=True))


def prove_rules(db: Database, design: m.Design, progress: Callable[[str], None] | None = None) -> tuple[list[Outcome], Tally]:
    tried, skipped = attempts(design)
    tally = Tally(not_tried=[f"{s.subject}: {s.reason}" for s in skipped])
    _ALIASES.clear()
    _ALIASES.update(dict(db.query(_PARTITION_INDEXES)))
    present = {name for (name,) in db.query(_NAMES)}
    present |= {r.name for r in design.rules if r.enforced_by and all(n in present for n in r.enforced_by)}
    # pii: encrypt: a CHECK on an encrypted column is held by the table's PII trigger, under its own name.
    present |= {c.name for t in design.tables for c in t.plaintext_checks
                if any(tr.table == t.name and tr.name in present for tr in design.triggers)}
    absent = [a for a in tried if a.constraint and a.constraint not in present]
    tried = [a for a in tried if a not in absent]
    # A constraint or rule the design has and the database lacks is a failure, not a skip.
    outcomes = [Outcome(a, False, f"MISSING: {a.constraint} is not in the database") for a in absent]
    tally.missing = len({a.constraint for a in absent})
    for attempt in [a for a in tried if not a.concurrent] + [a for a in tried if a.concurrent]:
        if progress:
            progress(f"Trying {attempt.subject}: {attempt.description}")
        outcome = _quietly(db, attempt, design) if attempt.concurrent else run_attempt(db, attempt)
        outcomes.append(outcome)
        if outcome.said.startswith("not tried"):
            tally.not_tried.append(f"{attempt.subject}: {outcome.said}")
        elif attempt.violation:
            tally.concurrent += attempt.concurrent
            if outcome.passed:
                tally.refused += 1
            else:
                tally.accepted += outcome.said.startswith("ACCEPTED")
        else:
            tally.succeeded += outcome.passed
            tally.failed += not outcome.passed
    return outcomes, tally


def rule_checks(db: Database, design: m.Design, **_: object) -> Iterator[Check]:
    """pipeline.CHECKS entry: one check per constraint or rule, then the tally."""
    outcomes, tally = prove_rules(db, design)
    by_subject: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        by_subject.setdefault(outcome.attempt.subject, []).append(outcome)
    for subject, items in by_subject.items():
        passed = all(o.passed for o in items)
        detail = "; ".join(f"{o.attempt.description}: {o.said}" for o in items)
        yield Check(f"proof: {subject}", PASS if passed else FAIL, detail)
    if outcomes or tally.not_tried:
        ok = tally.accepted == 0 and tally.failed == 0 and all(o.passed for o in outcomes)
        detail = tally.line() + ("; not tried: " + "; ".join(tally.not_tried) if tally.not_tried else "")
        yield Check("rules and constraints", PASS if ok else FAIL, detail)
