"""Fuzz every input-reading command with mutated inputs (seeded, so a failure reproduces).

Each case must end in success or a clean refusal: no escaped exception, no exit 3, no
traceback, and a spec that `check` accepts must give DDL that PostgreSQL applies (without
running any statement the design did not mean: the sentinel role survives). benchmarks/fuzz.py
runs the same mutators over many more inputs.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from fuzz_runner import check_and_design, ddl_refused, ensure_sentinel, missing_extensions, run_cli
from mutations import SEED_DBML, mutated_dbml, mutated_spec, mutated_sql, random_csv, seed_specs, seed_sql
from schemawright.database import Database, scratch_database

# No shrinking: the input is printed whole, and shrinking a design run costs minutes.
FUZZ = settings(derandomize=True, database=None, deadline=timedelta(seconds=30), max_examples=200,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
SPECS = seed_specs()
SQL = seed_sql()


@pytest.fixture(scope="module")
def scratch(pg_url: str) -> Iterator[Database]:
    with scratch_database(pg_url) as url, Database(url, statement_timeout_ms=30_000) as db:
        ensure_sentinel(db)
        yield db


def _assert_clean(outcomes, source: str) -> None:  # noqa: ANN001 - a list of Outcome
    for outcome in outcomes:
        assert not outcome.defect, f"`{outcome.command}` crashed on this input:\n{source}\n---\n{outcome.crash}"


@FUZZ
@given(rng=st.randoms(use_true_random=False))
def test_mutated_specs_are_designed_or_refused_cleanly(rng: random.Random, tmp_path_factory: pytest.TempPathFactory,
                                                       scratch: Database) -> None:
    work = tmp_path_factory.mktemp("spec")
    text = mutated_spec(SPECS, rng)
    spec = work / "spec.yaml"
    spec.write_text(text, encoding="utf-8")
    outcomes = check_and_design(spec, work / "out")
    _assert_clean(outcomes, text)
    if len(outcomes) == 2 and outcomes[1].accepted:
        schema = (work / "out" / "schema.sql").read_text(encoding="utf-8")
        if missing_extensions(scratch, schema):
            return  # pii: encrypt on the embedded server: test_examples applies such designs on PostgreSQL 15
        refused = ddl_refused(scratch, schema)
        assert refused is None, f"check accepted this spec but PostgreSQL refused its DDL:\n{text}\n---\n{refused}"
    elif len(outcomes) == 2:  # check said OK, design did not: that is a bug too
        pytest.fail(f"check accepted this spec but design failed:\n{text}\n---\n{outcomes[1].output[-800:]}")


@FUZZ
@given(rng=st.randoms(use_true_random=False), dialect=st.sampled_from(["postgresql", "postgresql", "mysql", "sqlite"]))
def test_mutated_sql_is_imported_and_linted_cleanly(rng: random.Random, dialect: str,
                                                    tmp_path_factory: pytest.TempPathFactory) -> None:
    work = tmp_path_factory.mktemp("sql")
    text = mutated_sql(SQL, rng)
    path = work / "schema.sql"
    path.write_text(text, encoding="utf-8")
    _assert_clean([run_cli(["import", str(path), "--dialect", dialect, "-o", str(work / "spec.yaml"),
                            "--dbml", str(work / "out.dbml")]),
                   run_cli(["lint", str(path), "--dialect", dialect, "--format", "json"])], text)


@FUZZ
@given(rng=st.randoms(use_true_random=False))
def test_mutated_dbml_is_imported_cleanly(rng: random.Random, tmp_path_factory: pytest.TempPathFactory) -> None:
    work = tmp_path_factory.mktemp("dbml")
    text = mutated_dbml([SEED_DBML], rng)
    path = work / "schema.dbml"
    path.write_text(text, encoding="utf-8")
    _assert_clean([run_cli(["import", str(path), "-o", str(work / "spec.yaml")]),
                   run_cli(["lint", str(path), "--format", "text"])], text)


@settings(FUZZ, max_examples=60)
@given(rng=st.randoms(use_true_random=False))
def test_random_csv_is_normalized_cleanly(rng: random.Random, tmp_path_factory: pytest.TempPathFactory) -> None:
    work = tmp_path_factory.mktemp("csv")
    text = random_csv(rng)
    path = work / "data.csv"
    path.write_text(text, encoding="utf-8")
    _assert_clean([run_cli(["normalize", str(path), "-o", str(work / "out")])], text)


def test_the_fuzz_seeds_are_valid(tmp_path: Path) -> None:
    """The mutations start from inputs that work, so they explore the edges of valid input."""
    for i, text in enumerate(SPECS):
        spec = tmp_path / f"seed{i}.yaml"
        spec.write_text(text, encoding="utf-8")
        outcomes = check_and_design(spec, tmp_path / f"out{i}")
        assert [o.exit_code for o in outcomes] == [0, 0], outcomes[-1].output
    dbml = tmp_path / "seed.dbml"
    dbml.write_text(SEED_DBML, encoding="utf-8")
    imported = run_cli(["import", str(dbml)])
    assert imported.exit_code == 0 and "imported 3 tables" in imported.output, imported.output
