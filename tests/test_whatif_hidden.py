"""A what-if index the search drops is hidden from the planner, not dropped, and shown again
when the search tries it once more (indexing/whatif.py BuildWhatIf): the planner must not see
it while hidden, must see it again once shown, and it is built only once."""

from __future__ import annotations

import json

from schemawright.database import Database, sandboxed_database
from schemawright.database.urls import with_database
from schemawright.indexing.candidates import Candidate
from schemawright.indexing.standin import StandIn
from schemawright.indexing.whatif import BuildWhatIf

QUERY = "SELECT b FROM things WHERE a = 4242"


def _indexes_used(db: Database) -> set[str]:
    plan = db.query_value(f"EXPLAIN (FORMAT JSON) {QUERY}")
    plan = json.loads(plan) if isinstance(plan, str) else plan
    found: set[str] = set()

    def walk(node: dict) -> None:
        if "Index Name" in node:
            found.add(node["Index Name"])
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return found


def test_a_dropped_what_if_index_is_hidden_then_shown_again_without_a_rebuild(pg_url) -> None:
    with sandboxed_database(pg_url) as box:
        admin_url = with_database(pg_url, box.database)
        with Database(box.url) as db:  # the sandboxed role the advisor runs as, not a superuser
            db.execute("CREATE TABLE things (a integer, b integer)")
            db.execute("INSERT INTO things SELECT g, g FROM generate_series(1, 20000) g")
            db.execute("ANALYZE things")
            engine = BuildWhatIf(db, StandIn(admin_url, {"things": 20000}, loaded={"things": 20000}))
            candidate = Candidate("things", (("a", False),))
            try:
                first = engine.create(candidate)
                assert _indexes_used(db) == {first.ident}
                engine.drop(first)
                assert _indexes_used(db) == set(), "a hidden what-if index must not be planned"
                again = engine.create(candidate)
                assert again.ident == first.ident and again.size == first.size
                assert _indexes_used(db) == {first.ident}
                assert (engine.created, engine.built) == (2, 1)
            finally:
                engine.close()
            left = db.query_value("SELECT count(*) FROM pg_class WHERE relname LIKE 'sw_whatif_%%'")
            assert left == 0, "close drops hidden and live what-if indexes alike"
