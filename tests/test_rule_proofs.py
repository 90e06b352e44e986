"""validate proves every business rule and constraint by trying to break it (issue 11 §2).

The proofs must be able to fail: with a rule's enforcement dropped from the applied DDL the
proof reports the violation ACCEPTED, and on empty tables it reports "not tried", never PASS.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from schemawright import model as m
from schemawright.pipeline import design_file, validate
from schemawright.sql.postgresql import render_down, render_up
from schemawright.validation.falsify import falsify, satisfy

ROOT = Path(__file__).resolve().parents[1]
LEDGER = ROOT / "tests" / "specs" / "rules_ledger.yaml"


@pytest.fixture(scope="module")
def ledger() -> m.Design:
    return design_file(LEDGER)


def _tally(report) -> str:  # type: ignore[no-untyped-def]
    return next(c.detail for c in report.checks if c.name == "rules and constraints")


def test_every_rule_of_the_ledger_is_proven(ledger: m.Design, pg_url: str) -> None:
    report = validate(ledger, render_up(ledger), render_down(ledger), database_url=pg_url, runs=2)
    assert report.passed, [c for c in report.checks if not c.passed]
    tally = _tally(report)
    refused, accepted = (int(n) for n in re.search(r"(\d+) violations refused, (\d+) accepted", tally).groups())
    assert refused >= 20 and accepted == 0, tally
    assert re.search(r"[1-9]\d* valid operations succeeded, 0 refused", tally), tally
    assert re.search(r"[2-9] concurrent cases", tally), tally
    proofs = {c.name for c in report.checks if c.name.startswith("proof: ")}
    for rule in ("entry_balances", "posted_lines_never_change", "line_inside_open_period", "shift_life_cycle",
                 "one_open_shift_per_driver", "shifts_never_overlap", "closed_shift_has_end"):
        assert any(rule in name for name in proofs), (rule, proofs)


# Each mutation removes one rule's enforcement after the schema is applied.
MUTATIONS = {
    "shifts_never_overlap": "ALTER TABLE shifts DROP CONSTRAINT ex_shifts_shifts_never_overlap;",
    "one_open_shift_per_driver": "DROP INDEX uq_shifts_one_open_shift_per_driver;",
    "posted_lines_never_change": "DROP TRIGGER trg_lines_posted_lines_never_change ON lines;",
    "entry_balances": "DROP TRIGGER trg_entry_balances_at_commit ON rule_checks_pending;",
    "shift_life_cycle": "DROP TRIGGER trg_shifts_shift_life_cycle ON shifts;",
    "line_inside_open_period": "DROP TRIGGER trg_lines_line_inside_open_period ON lines;",
    "closed_shift_has_end": "ALTER TABLE shifts DROP CONSTRAINT ck_shifts_closed_shift_has_end;",
}


@pytest.mark.parametrize("rule", sorted(MUTATIONS))
def test_a_proof_fails_when_its_rule_is_not_enforced(ledger: m.Design, pg_url: str, rule: str) -> None:
    up = render_up(ledger) + "\n" + MUTATIONS[rule] + "\n"
    report = validate(ledger, up, render_down(ledger), database_url=pg_url, runs=1)
    failed = [c for c in report.checks if c.name.startswith("proof: ") and rule in c.name and not c.passed]
    assert failed, f"dropping the enforcement of {rule} went unnoticed"
    detail = " ".join(c.detail for c in failed)
    # The dropped object is gone: the violation goes through, or the proof sees it missing.
    assert "ACCEPTED" in detail or "MISSING" in detail, detail
    summary = next(c for c in report.checks if c.name == "rules and constraints")
    assert not summary.passed and ("missing from the database" in summary.detail or "0 accepted" not in summary.detail)


def test_proofs_on_empty_tables_are_not_passes(ledger: m.Design, pg_url: str) -> None:
    report = validate(ledger, render_up(ledger), render_down(ledger), database_url=pg_url, runs=1, rows=0)
    summary = next(c for c in report.checks if c.name == "rules and constraints")
    assert not summary.passed
    assert "not tried" in summary.detail
    assert not [c for c in report.checks if c.name.startswith("proof: rule ") and c.passed]


@pytest.mark.parametrize(("expression", "broken"), [
    ("ends_at > starts_at", {"ends_at": "starts_at"}),
    ("qty >= 1", {"qty": "(1) - 1"}),
    ("status IN ('a', 'b')", {"status": "'~'"}),
    ("char_length(code) <= 8", {"code": "repeat('x', 9)"}),
    ("phone IS NULL OR phone ~ '^[0-9]+$'", {"phone": "'~'"}),
    ("total = subtotal - discount", {"total": "(subtotal - discount) + 0.01"}),  # numeric(12,2): a cent
])
def test_falsify_breaks_the_shapes_rules_take(expression: str, broken: dict[str, str]) -> None:
    table = m.Table(name="t", columns=(
        m.Column(name="starts_at", semantic="timestamp", sql_type="timestamptz"),
        m.Column(name="ends_at", semantic="timestamp", sql_type="timestamptz"),
        m.Column(name="qty", semantic="integer", sql_type="integer"),
        m.Column(name="status", semantic="string", sql_type="text"),
        m.Column(name="code", semantic="string", sql_type="text"),
        m.Column(name="phone", semantic="string", sql_type="text"),
        m.Column(name="total", semantic="money", sql_type="numeric(12,2)"),
        m.Column(name="subtotal", semantic="money", sql_type="numeric(12,2)"),
        m.Column(name="discount", semantic="money", sql_type="numeric(12,2)")))
    assert falsify(expression, table) == broken
    assert satisfy("status = 'closed'", table) == {"status": "'closed'"}


def test_the_two_session_proof_needs_the_parent_lock(ledger: m.Design, pg_url: str) -> None:
    """Without FOR SHARE, a line is posted into a period another session is closing: the
    concurrent proof sees it go through (the lock is what makes the rule hold)."""
    up = render_up(ledger)
    assert "FOR SHARE;" in up
    report = validate(ledger, up.replace("FOR SHARE;", ";"), render_down(ledger), database_url=pg_url, runs=1)
    proof = next(c for c in report.checks if c.name == "proof: rule line_inside_open_period")
    assert not proof.passed and "ACCEPTED" in proof.detail, proof.detail
