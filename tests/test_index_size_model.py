"""The B-tree size model (indexing.btree_size) against real builds: within 10 % per index kind.

HypoPG's estimate is shown next to it where the local PostgreSQL 15 has HypoPG (the embedded
server has not): it is about twice the built size, which is why a budget is not spent by it.
"""

from __future__ import annotations

import pytest

from helpers import LOCAL_PG15_URL, local_pg15_reachable
from schemawright.database import Database, scratch_database
from schemawright.indexing.btree_size import SizeModel
from schemawright.indexing.candidates import Candidate

TOLERANCE = 0.10

DDL = """
CREATE TABLE events (id bigint PRIMARY KEY, customer_id integer NOT NULL, account bigint NOT NULL,
                     happened_at timestamptz NOT NULL, kind text NOT NULL, email text, status text NOT NULL,
                     amount numeric(12,2), note text, mode char(10) NOT NULL);
INSERT INTO events
SELECT g, 1 + (g * 7919) % 20000, g * 3, timestamptz '2024-01-01' + g * interval '17 seconds',
       (ARRAY['click', 'view', 'purchase', 'refund'])[1 + g % 4],
       CASE WHEN g % 5 = 0 THEN NULL ELSE 'user' || (g * 31) % 150000 || '@example.com' END,
       CASE WHEN g % 40 = 0 THEN 'open' ELSE 'done' END, (g % 1000) + 0.5, md5(g::text),
       (ARRAY['AIR', 'RAIL', 'SHIP', 'TRUCK'])[1 + g % 4]
FROM generate_series(1, 200000) g;
ANALYZE events;
"""

CASES = {
    "single int (duplicates: 10 rows per customer)": Candidate("events", (("customer_id", False),)),
    "unique bigint": Candidate("events", (("account", False),)),
    "bigint + timestamp": Candidate("events", (("account", False), ("happened_at", False))),
    "text (20 % NULL)": Candidate("events", (("email", False),)),
    "text, unique md5": Candidate("events", (("note", False),)),
    "composite int + text + timestamp": Candidate("events", (("customer_id", False), ("kind", False),
                                                             ("happened_at", False))),
    "low-cardinality text": Candidate("events", (("kind", False),)),
    "low-cardinality char(10)": Candidate("events", (("mode", False),)),
    "partial": Candidate("events", (("happened_at", False),), where="status = 'open'"),
    "INCLUDE": Candidate("events", (("customer_id", False),), include=("amount", "happened_at")),
    "expression lower(email)": Candidate("events", (("(lower(email))", False),)),
    "expression, few values": Candidate("events", (("(substring(note from 1 for 1))", False),)),
}


def _measure(url: str) -> dict[str, tuple[int, int]]:
    out = {}
    with Database(url) as db:
        db.execute(DDL)
        model = SizeModel(db)
        for i, (kind, cand) in enumerate(CASES.items()):
            name = f"ix_size_{i}"
            db.execute(f"CREATE INDEX {name} ON {cand.table} {_body(cand)}")
            built = int(db.query_value("SELECT pg_relation_size(%s::regclass)", [name]))
            out[kind] = (model.size(cand), built)
    return out


def _body(cand: Candidate) -> str:
    text = "(" + ", ".join(k for k, _ in cand.keys) + ")"
    if cand.include:
        text += " INCLUDE (" + ", ".join(cand.include) + ")"
    if cand.where:
        text += f" WHERE {cand.where}"
    return text


def test_model_matches_built_btree_sizes_within_ten_percent(pg_url: str) -> None:
    with scratch_database(pg_url) as url:
        sizes = _measure(url)
    failures = []
    for kind, (model, built) in sizes.items():
        error = model / built - 1
        print(f"{kind:36} model {model:>10,}  built {built:>10,}  {error:+.1%}")
        if abs(error) > TOLERANCE:
            failures.append(f"{kind}: model {model:,} vs built {built:,} ({error:+.1%})")
    assert not failures, failures


def test_hypopg_overestimates_where_the_model_does_not() -> None:
    if not local_pg15_reachable():
        pytest.skip(f"no PostgreSQL at {LOCAL_PG15_URL}")
    with scratch_database(LOCAL_PG15_URL) as url:
        with Database(url) as db:
            if not db.query_value("SELECT 1 FROM pg_available_extensions WHERE name = 'hypopg'"):
                pytest.skip("no HypoPG on PostgreSQL 15")
            db.execute("CREATE EXTENSION hypopg")
        sizes = _measure(url)
        with Database(url) as db:
            hypo = {}
            for kind, cand in CASES.items():
                oid = db.query_value("SELECT indexrelid FROM hypopg_create_index(%s)",
                                     [f"CREATE INDEX ON events {_body(cand)}"])
                hypo[kind] = int(db.query_value("SELECT hypopg_relation_size(%s)", [oid]))
    worse = 0
    for kind, (model, built) in sizes.items():
        print(f"{kind:36} model {model / built - 1:+7.1%}  HypoPG {hypo[kind] / built - 1:+7.1%}  (built {built:,})")
        assert abs(model / built - 1) <= TOLERANCE, kind
        worse += abs(hypo[kind] / built - 1) > abs(model / built - 1)
    assert worse >= len(CASES) // 2  # the model is the better estimate on most kinds
