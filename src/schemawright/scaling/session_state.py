"""What a design keeps in a database session, which transaction-mode pooling cannot carry.

Under PgBouncer's transaction pooling a client holds a server connection for one transaction
only: the next transaction may run on another server connection, and the server connection
it leaves goes to another client.  Anything that outlives a transaction on the server is then
either lost (the client does not find it again) or leaked (the next client finds it).  This
module lists those features and where the design uses them (its functions, triggers, policies,
column defaults and access patterns), read from the SQL text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from schemawright import model as m


@dataclass(frozen=True)
class SessionFeature:
    key: str
    name: str
    rule: str  # what transaction pooling requires instead
    pattern: re.Pattern[str]  # SQL that uses the feature in its session form


FEATURES: tuple[SessionFeature, ...] = (
    SessionFeature("session_setting", "Session settings (SET, set_config(..., false))",
                   "set per transaction: `SET LOCAL` or `set_config(name, value, true)`; a session-level SET "
                   "stays on the server connection and the next client that gets it inherits the value",
                   # SET only where a statement starts (UPDATE ... SET is not one).
                   re.compile(r"\bset_config\s*\([^;]*,\s*false\s*\)|(?:^|;|\bBEGIN\b|\bTHEN\b|\bLOOP\b|\bELSE\b)"
                              r"\s*SET\s+(SESSION\s+)?(ROLE\s|(?!LOCAL\b|CONSTRAINTS\b|TRANSACTION\b)[\w.\"]+\s*(=|TO\b))",
                              re.IGNORECASE)),
    SessionFeature("prepared_statement", "Server-side prepared statements (PREPARE, the protocol's named statements)",
                   "unnamed statements only (psycopg: `prepare_threshold=None`; JDBC: `prepareThreshold=0`), "
                   "or PgBouncer >= 1.21 with `max_prepared_statements`",
                   re.compile(r"(?<![\w.])PREPARE\s+\w+", re.IGNORECASE)),
    SessionFeature("advisory_lock", "Session advisory locks (pg_advisory_lock)",
                   "`pg_advisory_xact_lock` (released at commit); a session lock would stay held by a server "
                   "connection other clients then use",
                   re.compile(r"\bpg_(try_)?advisory_lock(_shared)?\s*\(", re.IGNORECASE)),
    SessionFeature("listen", "LISTEN (notifications to a waiting session)",
                   "a direct connection (not through the pooler) for listeners; NOTIFY itself is sent at commit "
                   "and works through the pooler",
                   re.compile(r"(?<![\w.])LISTEN\s+\w+", re.IGNORECASE)),
    SessionFeature("temp_table", "Temporary tables kept across transactions",
                   "`CREATE TEMP TABLE ... ON COMMIT DROP` inside the transaction that uses it",
                   re.compile(r"\bCREATE\s+(GLOBAL\s+|LOCAL\s+)?TEMP(ORARY)?\s+TABLE\b(?![^;]*ON\s+COMMIT\s+DROP)",
                              re.IGNORECASE)),
    SessionFeature("hold_cursor", "Cursors WITH HOLD",
                   "a cursor closed inside its transaction, or keyset pagination",
                   re.compile(r"\bWITH\s+HOLD\b", re.IGNORECASE)),
)


@dataclass(frozen=True)
class SessionUse:
    feature: str  # SessionFeature.key
    where: str  # "function audit_row", "pattern stock_check" ...


@dataclass(frozen=True)
class SettingUse:
    """A custom setting the design reads (current_setting): the application must set it per transaction."""

    setting: str
    readers: tuple[str, ...]  # what reads it: "policy issues_tenant", "default of issues.organization_id" ...


def session_uses(design: m.Design) -> tuple[SessionUse, ...]:
    found = {SessionUse(f.key, where) for where, text in _sql_texts(design) for f in FEATURES
             if f.pattern.search(text)}
    return tuple(sorted(found, key=lambda u: (u.feature, u.where)))


# Custom settings only (a prefix and a dot): a server setting read to put it back (the group
# checks save `jit`) is nothing the application sets.
_SETTING_READ = re.compile(r"current_setting\s*\(\s*'([^'.]+\.[^']+)'", re.IGNORECASE)


def settings_read(design: m.Design) -> tuple[SettingUse, ...]:
    readers: dict[str, set[str]] = {}
    for where, text in _sql_texts(design):
        for name in _SETTING_READ.findall(text):
            readers.setdefault(name, set()).add(where)
    return tuple(SettingUse(name, tuple(sorted(found, key=_reader_order))) for name, found in sorted(readers.items()))


_KINDS = ("policy", "function", "trigger", "pattern", "default")  # the ones that decide what a role sees first


def _reader_order(where: str) -> tuple[int, str]:
    kind = where.split(" ", 1)[0]
    return (_KINDS.index(kind) if kind in _KINDS else len(_KINDS), where)


def _sql_texts(design: m.Design) -> Iterator[tuple[str, str]]:
    for function in design.functions:
        yield f"function {function.name}", function.body
    for trigger in design.triggers:
        if trigger.condition:
            yield f"trigger {trigger.name}", trigger.condition
    for policy in design.policies:
        yield f"policy {policy.name}", " ".join(p for p in (policy.using, policy.check) if p)
    for table in design.tables:
        for column in table.columns:
            if column.default:
                yield f"default of {table.name}.{column.name}", column.default
    for pattern in design.access_patterns:
        yield f"pattern {pattern.name}", pattern.sql
