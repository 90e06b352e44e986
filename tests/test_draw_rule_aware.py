"""An insert's drawn parent is one its rules accept with the row the runs write
(performance/draws.py, headroom.py): a parent with room for the row under an `aggregate` rule
over it, and one a `parent_check` that also reads the written row accepts (warehouse at full
volume: every one of 4,028 receipts under `bench --concurrent` was refused by
`moved_on >= parent.opened_on`, and before that 5,963 by the capacity rule)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from helpers import design_of
from schemawright import model as m
from schemawright.database import Database, DatabaseError, sandboxed_database
from schemawright.generation.run import generate
from schemawright.performance import draws
from schemawright.sql.quoting import quote_literal
from schemawright.validation.params import positional
from schemawright.validation.prepare import prepare
from schemawright.validation.synthetic import design_enums

SPEC = """\
project: bins
entities:
  Position:
    attributes:
      max_quantity: {type: integer, required: true, min: 1}
      opened_on: {type: date, required: true}
  Movement:
    attributes:
      quantity: {type: integer, required: true, min: 1}
      moved_on: {type: date, required: true}
relationships:
  - {from: Position, to: Movement, type: one-to-many, required: true}
rules:
  - name: fits_position
    entity: Movement
    aggregate: {per: [position_id], check: "coalesce(sum(quantity), 0) <= parent.max_quantity"}
  - name: not_before_opening
    entity: Movement
    parent_check: {via: [position_id], check: "moved_on >= parent.opened_on"}
access_patterns:
  - name: receive
    query: INSERT INTO movements (position_id, quantity, moved_on) VALUES (:position_id, :quantity, :moved_on)
    frequency: 10
volumes:
  Position: {rows: 400}
  Movement: {rows: 8000}
"""
DRAWS = 60


@pytest.fixture(scope="module")
def loaded(pg_url: str) -> Iterator[tuple[Database, m.Design]]:
    design = design_of(SPEC)
    with sandboxed_database(pg_url, design.extensions) as box:
        generate(design, box.url, 1.0, 3, None)
        with Database(box.url) as db:
            yield db, design


def _refused(db: Database, design: m.Design) -> int:
    """Drawn bindings whose insert a rule refuses (each tried alone, checks at once, rolled back)."""
    pattern = design.access_patterns[0]
    names = positional(pattern.sql).names
    prepared = prepare(db, "receive", pattern.sql, design)
    bindings = draws.draw_bindings(db, design, pattern, names, list(prepared.types), DRAWS,
                                   enums=design_enums(design), seed=5)
    assert len({tuple(b) for b in bindings}) > DRAWS // 2  # varied parents, not one value
    refused = 0
    for binding in bindings:
        try:
            with db.transaction():
                db.execute("SET CONSTRAINTS ALL IMMEDIATE")
                db.execute("EXECUTE receive(" + ", ".join(quote_literal(v) for v in binding) + ")")
                db.execute("SELECT 1/0")  # roll back: each binding against the loaded rows alone
        except DatabaseError as error:
            refused += error.sqlstate != "22012"
    db.execute("DEALLOCATE receive")
    return refused


def test_drawn_parents_have_room_and_accept_the_written_row(loaded) -> None:
    db, design = loaded
    assert _refused(db, design) == 0


def test_without_the_written_row_the_parent_check_refuses_some_draws(loaded, monkeypatch: pytest.MonkeyPatch) -> None:
    db, design = loaded
    monkeypatch.setattr(draws, "_written_row", lambda *_args: None)
    assert _refused(db, design) > 0
