"""Rule proofs on crowded data: ticketing with 10 rows per table leaves every seat of a venue
sold for its performances, so no ticket can be added or copied with its unique key free.  The
filler still fills every table, each rule is still proven (no_overselling by the capacity moved
below the live tickets, ticket_life_cycle by a copy the BEFORE INSERT trigger refuses first,
sold_only_while_on_sale by a move that keeps the seat key free), and each proof fails with its
rule's trigger dropped.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from schemawright import model as m
from schemawright.database import Database
from schemawright.pipeline import design_file, validate
from schemawright.sql.postgresql import render_down, render_up
from schemawright.validation.attempts import attempts
from schemawright.validation.rule_proofs import Outcome, run_attempt
from schemawright.validation.run import validate as run_validation

ROOT = Path(__file__).resolve().parents[1]
TICKETING = ROOT / "examples" / "ticketing.yaml"
ROWS = 10  # few enough that every (performance, seat) pair of a venue is taken


@pytest.fixture(scope="module")
def ticketing() -> m.Design:
    return design_file(TICKETING)


def _proof(report, rule: str):  # type: ignore[no-untyped-def]
    return next(c for c in report.checks if c.name.startswith(f"proof: rule {rule}"))


def _part(detail: str, description: str) -> str:
    """One attempt's verdict in a proof's detail ("<description>: <verdict>; ...")."""
    found = re.search(re.escape(description) + r"[^:]*: ([^;]*)", detail)
    assert found, (description, detail)
    return found.group(1)


def test_crowded_ticketing_is_filled_and_every_rule_proven(ticketing: m.Design, pg_url: str) -> None:
    report = validate(ticketing, render_up(ticketing), render_down(ticketing), database_url=pg_url, runs=1,
                      rows=ROWS)
    assert [(f.table, f.rows) for f in report.tables] == [(f.table, ROWS) for f in report.tables], report.tables
    assert report.passed, [c for c in report.checks if not c.passed]
    # Crowded indeed: hold_seat finds no seat left to hold, and says which key took them all.
    hold = next(c for c in report.checks if c.name == "pattern: hold_seat")
    assert hold.status == "NOT MEASURED" and "uq_tickets_seat_sold_once" in hold.detail, hold
    assert _part(_proof(report, "no_overselling").detail, "group left breaking") == "refused: 23514 no_overselling"
    assert _part(_proof(report, "ticket_life_cycle").detail, "a new row starting in") == \
        "refused: 23514 ticket_life_cycle"
    assert _part(_proof(report, "sold_only_while_on_sale").detail, "row that satisfies") == "succeeded"


# Each drops the trigger the crowded-data path of the proof relies on.
MUTATIONS = {
    "no_overselling": ("DROP TRIGGER trg_performances_no_overselling_update ON performances", "group left breaking"),
    "ticket_life_cycle": ("DROP TRIGGER trg_tickets_ticket_life_cycle ON tickets", "a new row starting in"),
    "sold_only_while_on_sale": ("DROP TRIGGER trg_tickets_sold_only_while_on_sale ON tickets", "row that breaks"),
}


def test_each_crowded_proof_fails_without_its_trigger(ticketing: m.Design, pg_url: str) -> None:
    """On validate's own crowded database (a check run after the load), each attempt is refused
    by its rule, then run again with the rule's trigger dropped in a transaction rolled back."""
    outcomes: dict[str, tuple[Outcome, Outcome]] = {}

    def mutated(db: Database, design: m.Design, **_options: object) -> list:
        found, _ = attempts(design)
        for rule, (drop, description) in MUTATIONS.items():
            attempt = next(a for a in found if a.subject == f"rule {rule}" and description in a.description)
            kept = run_attempt(db, attempt)
            with db.transaction(rollback=True):
                db.execute(drop)
                dropped = run_attempt(db, attempt)
            outcomes[rule] = (kept, dropped)
        return []

    run_validation(ticketing, render_up(ticketing), render_down(ticketing), pg_url, checks=mutated, rows=ROWS, runs=1)
    assert sorted(outcomes) == sorted(MUTATIONS)
    for rule, (kept, dropped) in outcomes.items():
        assert kept.passed and kept.said == f"refused: 23514 {rule}", (rule, kept.said)
        # The violation goes through, or (a copy repeating the seat key) the unique key refuses it instead.
        assert not dropped.passed and dropped.said.startswith(("ACCEPTED", "refused for another reason")), \
            (rule, dropped.said)
