"""A covering index on exactly a unique key's columns becomes the key's INCLUDE (one index, not two)."""

from __future__ import annotations

from helpers import design_of
from schemawright import model as m
from schemawright.importers.postgresql_sql import import_postgresql_sql
from schemawright.indexing.planned import _folded_into_keys
from schemawright.pipeline import deliverables

SPEC = """\
project: readings
entities:
  Reading:
    attributes:
      sensor: {type: integer, required: true}
      taken_at: {type: timestamp, required: true}
      value: {type: decimal, precision: 10, scale: 3, required: true}
    indexes:
      - {columns: [sensor, taken_at], unique: true}
"""


def _with_planner_index(design: m.Design, *columns: str, include=("value",), where=None) -> m.Design:
    index = m.Index(name="ix_readings_cover", table="readings", columns=tuple(m.IndexColumn(expression=c) for c in columns),
                    include=include, where=where, reason="planner-checked (build): covering", patterns=("recent",))
    return design.model_copy(update={"indexes": design.indexes + (index,)})


def _keyed(design: m.Design) -> m.Design:
    """The spec's unique index as a unique constraint, as a business rule would make it."""
    table = design.tables[0]
    unique = m.Unique(name="uq_readings_sensor_taken_at", columns=("sensor", "taken_at"))
    return design.model_copy(update={"indexes": (), "tables": (table.model_copy(update={"uniques": (unique,)}),)})


def test_the_covering_index_becomes_the_keys_include_and_the_ddl_says_so():
    design = _folded_into_keys(_with_planner_index(_keyed(design_of(SPEC)), "sensor", "taken_at"))
    assert [i.name for i in design.indexes] == []
    assert design.tables[0].uniques[0].include == ("value",)
    schema = deliverables(design)["schema.sql"]
    assert "UNIQUE (sensor, taken_at) INCLUDE (value)" in schema
    assert any("one index on (sensor, taken_at), not two" in d.reason for d in design.decisions)


def test_another_order_or_a_partial_index_is_left_alone():
    keyed = _keyed(design_of(SPEC))
    for other in (_with_planner_index(keyed, "taken_at", "sensor"),
                  _with_planner_index(keyed, "sensor", "taken_at", where="value > 0")):
        assert [i.name for i in _folded_into_keys(other).indexes] == ["ix_readings_cover"]


def test_the_include_survives_an_import_of_the_ddl():
    design = _folded_into_keys(_with_planner_index(_keyed(design_of(SPEC)), "sensor", "taken_at"))
    imported = import_postgresql_sql(deliverables(design)["schema.sql"])
    table = next(t for t in imported.tables if t.name == "readings")
    assert table.uniques[0].include == ("value",)
