"""What the business rules cost a write, for `bench` (issue 11: "with and without the rule
machinery").

A write pattern on a table that rule triggers guard (integrity/invariants.py: queues of group
checks, immutable, transitions, parent checks) is timed twice on the same data with the same
parameters: as designed, with its checks deferred to commit fired inside each run, then with
every rule trigger switched off (validation's rules_paused, committed in the scratch
database and switched back on after), where nothing is queued or checked.  The difference is
what the rules add to that write.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from schemawright import model as m
from schemawright.database import Database, DatabaseError
from schemawright.indexing.analysis import parsed
from schemawright.performance.results import PatternBench
from schemawright.performance.timing import time_pattern
from schemawright.validation.rule_load import rule_triggers, rules_paused


_EVENTS = {exp.Insert: "insert", exp.Update: "update", exp.Delete: "delete"}


def writes(sql: str) -> set[tuple[str, str]]:
    """(table, insert/update/delete) of each write, data-modifying CTEs and ON CONFLICT DO UPDATE included."""
    try:
        query = parsed(sql)
    except (ParseError, TokenError):
        return set()
    out = set()
    for write in query.all(*_EVENTS):
        target = write.this.this if isinstance(write.this, exp.Schema) else write.this
        if isinstance(target, exp.Table) and target.name:
            out.add((target.name, _EVENTS[type(write)]))
            conflict = write.args.get("conflict")
            if isinstance(conflict, exp.OnConflict) and conflict.args.get("expressions"):
                out.add((target.name, "update"))
    return out


def guarding_triggers(design: m.Design, pattern: m.AccessPattern) -> tuple[str, ...]:
    """The rule triggers the writes of `pattern` fire (none for a read)."""
    if pattern.kind != "write":
        return ()
    done = writes(pattern.sql)
    return tuple(t.name for t in rule_triggers(design) if any((t.table, e.kind) in done for e in t.events))


def has_commit_checks(design: m.Design) -> bool:
    return any(t.deferred for t in design.triggers)


def time_without_rules(db: Database, design: m.Design, pattern: m.AccessPattern, result: PatternBench,
                       **timing: object) -> None:
    """Fill `result.without_rules`: the pattern's runs again with the rule triggers off."""
    try:
        with rules_paused(db, design):
            bare = time_pattern(db, design, pattern, **timing)  # type: ignore[arg-type]
    except DatabaseError as error:  # switching triggers needs the tables' owner
        result.rules_error = f"the rule triggers could not be switched off: {error}"
        return
    result.without_rules = bare.latency
    if bare.error:
        result.rules_error = f"without the rules it {bare.error}"
