"""The advisor's write cost: index upkeep per written row, and the HOT updates an index breaks."""

from __future__ import annotations

from helpers import design_of
from schemawright.indexing.candidates import Candidate
from schemawright.indexing.predicates import analyse, normalise_parameters
from schemawright.indexing.select import MAINTENANCE_COST, State
from schemawright.indexing.whatif import Costed, Handle

SPEC = """\
project: hot
entities:
  Device:
    attributes:
      serial: {type: string, max_length: 40, required: true, unique: true}
      last_seen_at: timestamp
      status: {type: enum, values: [active, retired], required: true}
      site: {type: string, max_length: 40}
volumes:
  Device: {rows: 1000000}
access_patterns:
  - name: heartbeat
    query: UPDATE devices SET last_seen_at = now() WHERE serial = :serial
    frequency: 800
    latency_p95_ms: 10
  - name: retire
    query: UPDATE devices SET status = 'retired', site = NULL WHERE serial = :serial
    frequency: 1
    latency_p95_ms: 10
  - name: stale_devices
    query: SELECT id FROM devices WHERE last_seen_at < :before
    frequency: 0.01
    latency_p95_ms: 1000
"""


class _Workload:
    """Every pattern costs 1 and writes one row: only the maintenance term moves."""

    def __init__(self, names):
        self.prepared = dict.fromkeys(names)

    def cost(self, _name):
        return Costed(1.0, 1.0, ())


def _state(design):
    design = design.model_copy(update={"indexes": tuple(i for i in design.indexes if i.reason == "declared in the spec")})
    accesses = {p.name: analyse(normalise_parameters(p.sql), design) for p in design.access_patterns}
    return State(_Workload(accesses), accesses, design)


def _handle(table: str, *keys: str) -> Handle:
    return Handle(Candidate(table, tuple((k, False) for k in keys)), "x", 8192, "size model")


def test_an_index_on_a_column_updated_800_times_a_second_costs_every_index_of_the_table():
    design = design_of(SPEC)
    state = _state(design)
    existing = len(state.existing["devices"])  # the primary key and the serial key at least
    assert existing >= 2
    upkeep = MAINTENANCE_COST["btree"]
    # heartbeat was HOT (last_seen_at in no index): the new index makes each of its 800 updates a second write
    # an entry in it and in every existing index
    assert state.maintenance([_handle("devices", "last_seen_at")]) == 800 * upkeep * (1 + existing)
    # an index on a column no update sets costs nothing on updates
    assert state.maintenance([_handle("devices", "serial", "id")]) == 0
    # retire sets status: the index on it loses retire's HOT updates, at 1 a second
    assert state.maintenance([_handle("devices", "status")]) == 1 * upkeep * (1 + existing)


def test_an_update_that_is_not_hot_anyway_writes_every_new_index():
    design = design_of(SPEC.replace("      site: {type: string, max_length: 40}",
                                    "      site: {type: string, max_length: 40}\n    indexes:\n      - columns: [site]"))
    state = _state(design)
    # retire sets site, which an existing index holds: never HOT, so any new index gets an entry, no more
    assert state.maintenance([_handle("devices", "serial", "id")]) == 1 * MAINTENANCE_COST["btree"]


def test_an_index_no_plan_uses_is_dropped():
    """The planner reads a column's minimum or maximum from any B-tree led by it, which moves
    row estimates (and costs) without the plan using the index: such an index is not chosen."""
    from schemawright.indexing.select import Search

    design = design_of(SPEC)
    state = _state(design)
    used = _handle("devices", "serial")
    used.ident = "ix_used"
    estimate_only = _handle("devices", "last_seen_at")
    estimate_only.ident = "ix_estimate_only"
    state.chosen = [used, estimate_only]

    class _Engine:
        dropped: list = []

        def drop(self, handle):
            self.dropped.append(handle.ident)

    search = Search.__new__(Search)
    search.state, search.engine, search.removed = state, _Engine(), {}
    search.drop_unused({"heartbeat": Costed(8.0, 1.0, ("ix_used",)), "stale_devices": Costed(100.0, 5.0, ())})
    assert [h.ident for h in state.chosen] == ["ix_used"]
    assert _Engine.dropped == ["ix_estimate_only"]
    assert "row estimates" in search.removed[estimate_only.candidate]


def test_tables_updated_at_a_rate_are_not_taken_as_all_visible():
    from schemawright.indexing.planned import churned_tables

    design = design_of(SPEC)
    assert churned_tables(design, 1.0) == {"devices"}  # 801 updates a second
    assert churned_tables(design, 1000.0) == set()
