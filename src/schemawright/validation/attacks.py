"""validate's security attack suite (pipeline.CHECKS): the design's roles and tenant isolation
attacked on the loaded scratch database, as the application and its people would attack them.

The attacks are built by attack_roles.py (each role's privileges, DDL, GRANT, PII, switching
role or tenant) and attack_tenants.py (reads, writes and references across tenants, every
access pattern against its ground truth); attack.py runs and judges one.  Every statement runs
through the member login (database/sandbox.py) holding one design role at a time, in a
transaction that is rolled back.  The outcome is counted: attacks refused and accepted (one
accepted attack fails the suite), allowed operations that succeeded and failed, leaks.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import nullcontext

from schemawright import model as m
from schemawright.database import Database, DatabaseError
from schemawright.validation.acting import granted, member_login, pattern_role
from schemawright.validation.attack import Attack, Outcome, Tally, run_attack
from schemawright.validation.attack_roles import Catalog, role_attacks
from schemawright.validation.plaintext import use_test_key
from schemawright.validation.attack_tenants import (
    MIN_TENANTS,
    PatternIsolation,
    TenantAttacks,
    complete_tenants,
    isolate_pattern,
    truth_views,
)
from schemawright.validation.report import FAIL, PASS, Check
from schemawright.validation.rule_load import rules_paused

SHOWN = 6  # failures listed by name in one check's detail


def attack_checks(db: Database, design: m.Design, *, enums: dict[str, tuple[str, ...]] | None = None, seed: int = 0,
                  member_url: str | None = None, **_: object) -> Iterator[Check]:
    """pipeline.CHECKS entry: one check per role and per tenant attack, one per access pattern
    (tenants), then the summary."""
    if not design.roles:
        return
    if member_url is None:
        yield Check("security attacks", FAIL, "not run: the server's login may not create roles, so there is no "
                                              "login to act as the design's roles (it needs CREATEROLE)")
        return
    try:
        yield from _attack(db, design, enums or {}, seed, member_url)
    except DatabaseError as error:
        yield Check("security attacks", FAIL, f"stopped: {error}")


def _attack(db: Database, design: m.Design, enums: dict[str, tuple[str, ...]], seed: int,
            member_url: str) -> Iterator[Check]:
    catalog = Catalog.read(db)
    tenancy = bool(design.security.tenant_column and design.row_security)
    tenants: list[str] = []
    checks: list[Check] = []
    if tenancy:
        tenants, short = complete_tenants(db, design)
        enough = len(tenants) >= MIN_TENANTS
        detail = f"{len(tenants)} tenant(s) with rows in all {len(design.row_security)} tenant tables"
        if not enough:
            detail += f" (at least {MIN_TENANTS} needed to prove isolation)" + (
                f"; missing rows in {', '.join(short)}" if short else "")
        checks.append(Check("tenants: synthetic data", PASS if enough else FAIL, detail))
    tenant = tenants[0] if tenants else None
    attacks = role_attacks(db, design, catalog, tenant)
    if tenancy:
        attacks += TenantAttacks(db, design, catalog, tenants).build()
    isolations: list[PatternIsolation] = []
    with member_login(member_url) as member:
        use_test_key(member, design)  # pii: encrypt: the application's transactions hold the key
        outcomes = _run(db, member, design, attacks)
        if tenancy and tenants:
            isolations = _isolate(db, member, design, tenants[:MIN_TENANTS], enums, seed)
    checks += _role_checks(outcomes)
    checks += _tenant_checks(outcomes, isolations, len(tenants[:MIN_TENANTS]))
    checks.append(_summary(outcomes, isolations, len(tenants[:MIN_TENANTS]) if tenancy else None))
    yield from checks


def _run(db: Database, member: Database, design: m.Design, attacks: list[Attack]) -> list[Outcome]:
    """Every attack, grouped by role (granted to the member login for its group); foreign-key
    attacks with the business rules' triggers off, so the key itself answers."""
    setting = design.security.tenant_setting if design.security.tenant_column else None
    outcomes: list[Outcome] = []
    for references in (False, True):
        batch = [a for a in attacks if (a.kind == "foreign key") == references]
        with rules_paused(db, design) if references and batch else nullcontext():
            for role, group in _by_role(batch):
                with granted(db, member, role) if role else nullcontext():
                    for attack in group:
                        where = member if attack.connection == "member" else db
                        outcomes.append(run_attack(where, attack, setting))
    return outcomes


def _by_role(attacks: list[Attack]) -> Iterable[tuple[str | None, list[Attack]]]:
    order: dict[str | None, list[Attack]] = {}
    for attack in attacks:
        order.setdefault(attack.role if attack.connection == "member" else None, []).append(attack)
    return order.items()


def _isolate(db: Database, member: Database, design: m.Design, tenants: list[str],
             enums: dict[str, tuple[str, ...]], seed: int) -> list[PatternIsolation]:
    results = []
    with truth_views(db, design) as path:
        by_role: dict[str | None, list[m.AccessPattern]] = {}
        for pattern in design.access_patterns:
            by_role.setdefault(pattern_role(design, pattern), []).append(pattern)
        for role, patterns in by_role.items():
            with granted(db, member, role) if role else nullcontext():
                for pattern in patterns:
                    results.append(isolate_pattern(db, member, design, pattern, tenants, path, enums=enums,
                                                   seed=seed))
    return results


def _listed(outcomes: list[Outcome]) -> str:
    shown = "; ".join(f"{o.attack.subject}: {o.said}" for o in outcomes[:SHOWN])
    return shown + (f"; and {len(outcomes) - SHOWN} more" if len(outcomes) > SHOWN else "")


def _tally(outcomes: Iterable[Outcome]) -> Tally:
    tally = Tally()
    for outcome in outcomes:
        tally.add(outcome)
    return tally


def _role_checks(outcomes: list[Outcome]) -> list[Check]:
    checks = []
    kinds = ("tenant read", "tenant write", "foreign key")
    labels = list(dict.fromkeys(o.attack.label for o in outcomes if o.attack.kind not in kinds))
    for label in labels:
        mine = [o for o in outcomes if o.attack.label == label and o.attack.kind not in kinds]
        bad = [o for o in mine if not o.passed]
        detail = _tally(mine).line() + (f"; {_listed(bad)}" if bad else "")
        checks.append(Check(f"attacks: role {label}", FAIL if bad else PASS, detail))
    return checks


def _tenant_checks(outcomes: list[Outcome], isolations: list[PatternIsolation], tenants: int) -> list[Check]:
    checks = []
    for kind, name in (("tenant read", "reads per table, with and without a tenant set"),
                       ("tenant write", "writes to another tenant's rows"),
                       ("foreign key", "references into another tenant")):
        mine = [o for o in outcomes if o.attack.kind == kind]
        if not mine:
            continue
        bad = [o for o in mine if not o.passed]
        detail = f"{sum(o.result == 'refused' for o in mine)} refused, {sum(o.result == 'accepted' for o in mine)} " \
                 "accepted" + (f"; {_listed(bad)}" if bad else "")
        checks.append(Check(f"tenants: {name}", FAIL if bad else PASS, detail))
    for isolation in isolations:
        if isolation.problem:
            checks.append(Check(f"tenants: pattern {isolation.pattern}", FAIL, isolation.problem))
            continue
        problems = [f"LEAK {x}" for x in isolation.leaks] + [f"differs {x}" for x in isolation.hidden]
        detail = (f"{isolation.runs} runs ({tenants} tenants × {tenants} tenants' parameters) as {isolation.role}: "
                  f"{len(isolation.leaks)} leaks, {len(isolation.hidden)} other differences; {isolation.found} "
                  "run(s) of a tenant with its own parameters found rows")
        if problems:
            detail += "; " + "; ".join(problems[:SHOWN])
        checks.append(Check(f"tenants: pattern {isolation.pattern}", PASS if isolation.passed else FAIL, detail))
    return checks


def _summary(outcomes: list[Outcome], isolations: list[PatternIsolation], tenants: int | None) -> Check:
    tally = _tally(outcomes)
    text = (f"attacks: {tally.refused} refused, {tally.accepted} accepted; {tally.succeeded} allowed operations "
            f"succeeded, {tally.failed} failed")
    if tally.not_tried:
        text += f"; {tally.not_tried} not tried"
    ok = tally.accepted == 0 and tally.failed == 0 and tally.not_tried == 0
    kinds = ", ".join(f"{kind} {count}" for kind, count in tally.by_kind.items())
    if tenants is not None:
        leaks = sum(len(i.leaks) for i in isolations)
        compared = [i for i in isolations if not i.problem]
        text += f"; tenants: {len(compared)} patterns × {tenants} tenants, {leaks} leaks"
        other = sum(len(i.hidden) for i in isolations) + sum(1 for i in isolations if i.problem)
        if other:
            text += f", {other} other differences"
        ok = ok and tenants >= MIN_TENANTS and all(i.passed for i in isolations)
    return Check("security attacks", PASS if ok else FAIL, f"{text} (attacks by kind: {kinds})")
