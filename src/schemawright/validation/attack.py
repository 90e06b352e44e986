"""One attack of validate's security suite, how it is run, and how its outcome is judged.

An attack is one statement run as a design role (validation/acting.py) that the database must
refuse, with SQLSTATE 42501 and a message saying why ("permission denied", "must be owner",
"new row violates row-level security policy"); an allowed operation is one the role must be
able to do, and must go through.  A few attacks are counts instead: a query whose single number
must not exceed a bound (rows of other tenants a role can see).

Self-checking DO blocks raise their own SQLSTATEs: SWNOD when the data gave them nothing to
try (an empty table proves nothing), SWEMP when an allowed operation found no row of its
tenant it could see or change, SWACC when an attack went through in a way no error shows (a
GRANT that PostgreSQL only warns about).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from schemawright.database import Database, DatabaseError
from schemawright.validation.acting import acting
from schemawright.validation.attempts import NOTHING

EMPTY = "SWEMP"  # an allowed operation found no row of its tenant to work on
ACCEPTED = "SWACC"  # an attack went through without an error (detected by the block itself)
DENIED = "42501"  # insufficient_privilege: privileges, ownership, SET ROLE, row-level security
PERMISSION = ("permission denied",)
OWNER = ("must be owner",)
ROW_SECURITY = ("row-level security",)


@dataclass(frozen=True)
class Attack:
    role: str  # the design role it runs as (SET LOCAL ROLE); None: the connection's own
    label: str  # the role as the report names it: app, support, operator, owner
    kind: str  # privilege, column, PII, DDL, grant, tenant switch, tenant read, tenant write, foreign key
    subject: str  # what it tries: "SELECT on billing_accounts"
    sql: str
    allowed: bool = False  # True: the role must be able to do it
    refusals: tuple[str, ...] = PERMISSION  # message fragments of a refusal for the right reason
    states: tuple[str, ...] = (DENIED,)  # SQLSTATEs of such a refusal
    at_most: int | None = None  # a count: `sql` returns one number that must not exceed this
    tenant: str | None = None  # the tenant setting it runs with (None: not set)
    connection: str = "member"  # member: the member login; sandbox: the sandbox role (BYPASSRLS)


@dataclass
class Outcome:
    attack: Attack
    result: str  # refused, accepted, succeeded, failed, not tried
    said: str

    @property
    def passed(self) -> bool:
        return self.result in ("refused", "succeeded")


@dataclass
class Tally:
    refused: int = 0
    accepted: int = 0
    succeeded: int = 0
    failed: int = 0
    not_tried: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: Outcome) -> None:
        if outcome.result == "not tried":
            self.not_tried += 1
        else:
            setattr(self, outcome.result, getattr(self, outcome.result) + 1)
        if not outcome.attack.allowed:
            self.by_kind[outcome.attack.kind] = self.by_kind.get(outcome.attack.kind, 0) + 1

    def line(self) -> str:
        text = (f"{self.refused} refused, {self.accepted} accepted; {self.succeeded} allowed operations succeeded, "
                f"{self.failed} failed")
        return text + (f"; {self.not_tried} not tried" if self.not_tried else "")


def run_attack(db: Database, attack: Attack, setting: str | None) -> Outcome:
    """Run `attack` on `db` (already logged in as the member, or the sandbox role) in a
    transaction that is rolled back."""
    value = None
    try:
        with acting(db, attack.role, setting, attack.tenant):
            if attack.at_most is not None:
                value = db.query_value(attack.sql)
            else:
                db.execute(attack.sql)
    except DatabaseError as error:
        return judge(attack, error)
    if attack.at_most is not None:
        count = int(value or 0)
        if count <= attack.at_most:
            return Outcome(attack, "refused", f"{count} row{'s' if count != 1 else ''}")
        return Outcome(attack, "accepted", f"ACCEPTED: {count} rows where at most {attack.at_most} may be")
    return judge(attack, None)


def judge(attack: Attack, error: DatabaseError | None) -> Outcome:
    if error is not None and error.sqlstate == NOTHING:
        return Outcome(attack, "not tried", f"not tried: {error.message}")
    if attack.allowed:
        if error is None:
            return Outcome(attack, "succeeded", "succeeded")
        if error.sqlstate == EMPTY:
            return Outcome(attack, "failed", f"FAILED: {error.message}")
        if error.is_integrity_error:  # privileges and row-level security let it through; a constraint spoke
            return Outcome(attack, "succeeded", f"went past privileges and row security (then {error.sqlstate}: "
                                                f"{error.message})")
        return Outcome(attack, "failed", f"FAILED: {error.sqlstate} {error.message}")
    if error is None:
        return Outcome(attack, "accepted", "ACCEPTED: the statement went through")
    if error.sqlstate == ACCEPTED:
        return Outcome(attack, "accepted", f"ACCEPTED: {error.message}")
    message = error.message.lower()
    if error.sqlstate and error.sqlstate.startswith("42") and error.sqlstate not in attack.states:
        # A syntax error or a missing object: the attack itself is wrong, so it proves nothing.
        return Outcome(attack, "not tried", f"not tried: {error.sqlstate} {error.message}")
    if error.sqlstate in attack.states and (not attack.refusals or any(r in message for r in attack.refusals)):
        return Outcome(attack, "refused", f"refused: {error.sqlstate} {error.message}")
    return Outcome(attack, "accepted", f"ACCEPTED past the expected refusal, then {error.sqlstate}: {error.message}")
