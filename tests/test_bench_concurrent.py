"""`bench --concurrent`: every access pattern together, at its rate, from several connections.

The load runs on a scratch database of the session's PostgreSQL (embedded by default) loaded
once; each test runs a few seconds of load on it.  Two writers of the same row under
repeatable read must meet serialization failures, retried and counted; the same writers under
read committed must not (so the counter is measured, not constant).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import design_of
from schemawright import model as m
from schemawright.database import sandboxed_database
from schemawright.generation.run import generate
from schemawright.performance.concurrent import LoadOptions, distinct_keys, run_load
from schemawright.performance.concurrent_report import load_section, summary
from schemawright.performance.concurrent_results import LoadResult
from schemawright.security.names import run_roles, scoped
from schemawright.validation.params import Use, uses
from schemawright.validation.synthetic import design_enums

SPEC = """\
project: loadmini
transactions: {isolation: repeatable read}
entities:
  Account:
    attributes:
      owner: {type: string, max_length: 40, required: true}
      balance: {type: integer, required: true}
      code: {type: string, max_length: 12, required: true, unique: true}
      opened_at: {type: timestamp, required: true}
access_patterns:
  - name: account_by_id
    query: SELECT owner, balance FROM accounts WHERE id = :id
    frequency: 40
    latency_p95_ms: 500
  - name: slow_read
    description: Holds its connection 20 ms, so several runs are on the server at once.
    query: SELECT a.owner FROM accounts AS a, pg_sleep(0.02) WHERE a.id = :id
    frequency: 50
    latency_p95_ms: 500
  - name: bump_balance
    description: >
      With the next pattern, a hot row two writers update; the pause is inside the statement's
      snapshot.  Runs are evenly spaced, so together they come every 8.3 ms: each 10 ms run
      overlaps the next (at 30/s each, 16.7 ms apart, an idle machine ran them one after another).
    query: |
      WITH pause AS MATERIALIZED (SELECT pg_sleep(0.01))
      UPDATE accounts SET balance = balance + 1 FROM pause WHERE id = 1
    kind: write
    frequency: 60
    latency_p95_ms: 500
  - name: bump_again
    query: |
      WITH pause AS MATERIALIZED (SELECT pg_sleep(0.01))
      UPDATE accounts SET balance = balance - 1 FROM pause WHERE id = 1
    kind: write
    frequency: 60
    latency_p95_ms: 500
  - name: open_account
    query: INSERT INTO accounts (owner, balance, code, opened_at) VALUES (:owner, 0, :code, now())
    kind: write
    frequency: 20
    latency_p95_ms: 500
  - name: broken
    query: SELECT owner FROM accounts WHERE id = :id AND 1 / (id - id) = 1
    frequency: 10
    latency_p95_ms: 500
volumes:
  Account: {rows: 500}
"""
DURATION = 3.0


@pytest.fixture(scope="module")
def loaded(pg_url: str) -> Iterator[tuple[m.Design, str]]:
    design = design_of(SPEC)
    with sandboxed_database(pg_url, design.extensions, run_roles(design)) as box:
        generate(design, box.url, 1.0, 0)
        yield design, box.url


def load(loaded: tuple[m.Design, str], options: LoadOptions, **changes: object) -> LoadResult:
    design, url = loaded
    if changes:
        design = design.model_copy(update=changes)
    return run_load(url, design, options, seed=1, enums=design_enums(design))


@pytest.fixture(scope="module")
def repeatable(loaded: tuple[m.Design, str]) -> LoadResult:
    return load(loaded, LoadOptions(duration=DURATION, connections=8, rate_scale=1.0))


def by_name(result: LoadResult) -> dict:
    return {p.name: p for p in result.patterns}


def test_patterns_run_together_on_several_connections(repeatable: LoadResult) -> None:
    # The server itself saw the load's connections, and several running a statement at once.
    assert repeatable.connections_seen == 8
    assert repeatable.most_active >= 2
    assert repeatable.isolation == "repeatable read"
    assert repeatable.scale_source == "given" and repeatable.rate_scale == 1.0
    for name in ("account_by_id", "slow_read"):
        p = by_name(repeatable)[name]
        assert p.target_rate == p.frequency
        assert p.achieved_rate >= 0.95 * p.target_rate, (name, p.achieved_rate)
        assert p.completed == round(p.achieved_rate * DURATION)
        assert p.latency is not None and p.latency.runs == p.completed
        assert 0 < p.latency.p50 <= p.latency.p95 <= p.latency.p99 <= p.latency.max
        assert p.errors == 0 and p.verdict == "PASS"
    # The 20 ms pause is inside the measured time.
    assert by_name(repeatable)["slow_read"].latency.p50 >= 20


def test_writers_of_one_row_meet_serialization_failures_retried_and_counted(repeatable: LoadResult) -> None:
    pair = [by_name(repeatable)[name] for name in ("bump_balance", "bump_again")]
    assert sum(p.serialization_failures for p in pair) > 0
    assert all(p.completed > 0 for p in pair)  # retried until they went through
    assert repeatable.conflicts == sum(p.serialization_failures + p.deadlocks for p in repeatable.patterns)
    assert "serialization failures and deadlocks retried" in summary(repeatable)


def test_inserted_text_keys_are_distinct_in_every_run(repeatable: LoadResult, loaded: tuple[m.Design, str]) -> None:
    opened = by_name(repeatable)["open_account"]
    assert opened.refused == 0 and opened.errors == 0
    assert opened.commit_p95 is not None and opened.commit_p95 > 0  # timed apart from the statement
    assert opened.completed >= 0.95 * opened.target_rate * DURATION
    design, _url = loaded
    usage = uses("INSERT INTO accounts (owner, balance, code, opened_at) VALUES (:owner, 0, :code, now())", design)
    repeated = distinct_keys(design, usage, ("owner", "code"), [["ann", "CODE-1234567"] for _ in range(12)])
    codes = [code for _owner, code in repeated]
    assert len(set(codes)) == 12 and all(len(code) <= 12 for code in codes)
    assert {owner for owner, _code in repeated} == {"ann"}  # not a key: left as drawn
    # A later draw (the load's, after the calibration's committed rows) continues the numbering.
    later = distinct_keys(design, usage, ("owner", "code"), [["ann", "CODE-1234567"] for _ in range(12)], start=12)
    assert not {code for _owner, code in later} & set(codes)
    # A timestamp of a key moves by a microsecond a run (ON CONFLICT DO NOTHING would write nothing).
    events = design.model_copy(update={"tables": tuple(
        t.model_copy(update={"uniques": (*t.uniques, t.uniques[0].model_copy(update={"columns": ("owner", "opened_at")}))})
        for t in design.tables)})
    stamped = distinct_keys(events, {"at": Use("insert", "accounts", "opened_at")}, ("at",),
                            [["2026-03-01 12:00:00+00"] for _ in range(3)])
    assert stamped == [["2026-03-01 12:00:00+00:00"], ["2026-03-01 12:00:00.000001+00:00"],
                       ["2026-03-01 12:00:00.000002+00:00"]]
    already = [["ann", f"c{i}"] for i in range(3)]
    assert distinct_keys(design, usage, ("owner", "code"), [list(b) for b in already]) == already


def test_the_same_writers_under_read_committed_wait_instead(loaded: tuple[m.Design, str]) -> None:
    design, _url = loaded
    result = load(loaded, LoadOptions(duration=2.0, connections=4, rate_scale=1.0),
                  transactions=design.transactions.model_copy(update={"isolation": "read committed"}))
    pair = [by_name(result)[name] for name in ("bump_balance", "bump_again")]
    assert all(p.serialization_failures == 0 and p.completed > 0 for p in pair)


def test_an_erroring_pattern_is_reported_as_errors(repeatable: LoadResult) -> None:
    broken = by_name(repeatable)["broken"]
    assert broken.errors > 0 and broken.completed == 0
    assert broken.verdict == "ERROR" and "division by zero" in (broken.error or "")
    assert broken in repeatable.missed
    section = "\n".join(load_section(repeatable))
    assert "`broken`" in section and "division by zero" in section


def test_a_rate_the_connections_cannot_keep_fails(loaded: tuple[m.Design, str]) -> None:
    design, _url = loaded
    slow = next(p for p in design.access_patterns if p.name == "slow_read").model_copy(update={"frequency": 400})
    result = load(loaded, LoadOptions(duration=1.5, connections=2, rate_scale=1.0), access_patterns=(slow,))
    (p,) = result.patterns
    # Two connections holding 20 ms each offer about 100 runs a second, not 400.
    assert p.achieved_rate < 0.95 * p.target_rate and p.verdict == "FAIL"
    assert result.not_started > 0 and p.start_delay_p95 > 20


def test_the_rate_scale_is_calibrated_and_said(loaded: tuple[m.Design, str]) -> None:
    design, _url = loaded
    reads = tuple(p for p in design.access_patterns if p.name == "account_by_id")
    result = load(loaded, LoadOptions(duration=1.0, connections=2), access_patterns=reads)
    assert result.scale_source == "calibrated" and result.capacity and result.capacity > 0
    assert 0 < result.rate_scale <= 1
    assert result.patterns[0].target_rate == pytest.approx(result.patterns[0].frequency * result.rate_scale)
    assert f"{result.rate_scale:.1%} of the declared rates" in summary(result)
    assert "calibration sustained" in summary(result)


CLI_SPEC = SPEC.split("  - name: bump_balance")[0] + "volumes:\n  Account: {rows: 500}\n"


def test_cli_writes_the_section_and_the_chart(tmp_path: Path, pg_url: str) -> None:
    spec = tmp_path / "load.yaml"
    spec.write_text(CLI_SPEC, encoding="utf-8")
    out = tmp_path / "out"
    env = {**os.environ, "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-m", "schemawright.cli", "bench", str(spec), "--scale", "1", "--runs", "5",
                           "--database-url", pg_url, "--concurrent", "--duration", "2", "--connections", "3", "--offline",
                           "-o", str(out)], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "concurrent load: 3 connections for 2 s at" in done.stdout
    assert "of the declared rates" in done.stdout
    markdown = (out / "bench.md").read_text(encoding="utf-8")
    assert "## Concurrent load" in markdown and "`slow_read`" in markdown
    assert (out / "bench-concurrent.svg").read_text(encoding="utf-8").startswith("<?xml")
    assert (out / "bench-concurrent.png").read_bytes()[:4] == b"\x89PNG"


TENANTS = """\
project: loadtenants
entities:
  Organization:
    attributes:
      name: {type: string, max_length: 80, required: true}
  Project:
    attributes:
      name: {type: string, max_length: 80, required: true}
  Issue:
    attributes:
      title: {type: string, max_length: 120, required: true}
relationships:
  - {from: Organization, to: Project, type: one-to-many, on_delete: cascade}
  - {from: Organization, to: Issue, type: one-to-many, on_delete: cascade}
  - {from: Project, to: Issue, type: one-to-many, on_delete: cascade}
access_patterns:
  - name: project_issues
    query: SELECT id, title FROM issues WHERE organization_id = :organization_id AND project_id = :project_id
    frequency: 20
  - name: open_issue
    kind: write
    query: INSERT INTO issues (organization_id, project_id, title) VALUES (:organization_id, :project_id, :title)
    frequency: 10
volumes:
  Organization: {rows: 20}
  Project: {rows: 100}
  Issue: {rows: 2000}
security:
  tenant_column: organization_id
  roles:
    - {name: app, read: ["*"], write: ["*"]}
"""


@pytest.fixture(scope="module")
def tenants(pg_url: str) -> Iterator[tuple[m.Design, str]]:
    design = design_of(TENANTS)
    with sandboxed_database(pg_url, design.extensions, run_roles(design)) as box:
        design = scoped(design, box.database)
        generate(design, box.url, 1.0, 0)
        yield design, box.url


def test_with_row_security_each_run_sets_its_role_and_tenant(tenants: tuple[m.Design, str]) -> None:
    result = load(tenants, LoadOptions(duration=2.0, connections=3, rate_scale=1.0))
    for p in result.patterns:
        assert p.runs_as == "app" and p.errors == 0 and p.refused == 0, p
        assert p.completed >= 0.95 * p.target_rate * 2.0
    # The tenant set is the parameters' own: the policies let the project's issues through.
    issues = by_name(result)["project_issues"]
    assert issues.rows is not None and issues.rows > 0
    assert "as app" in "\n".join(load_section(result))


def test_with_another_tenant_set_the_policies_hide_the_rows(tenants: tuple[m.Design, str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from schemawright.performance import concurrent

    monkeypatch.setattr(concurrent, "binding_tenant", lambda *_args: "-1")  # no organization has it
    result = load(tenants, LoadOptions(duration=1.0, connections=2, rate_scale=1.0))
    hidden = by_name(result)["project_issues"]
    assert hidden.rows == 0 and hidden.verdict == "NOT MEASURED"  # a latency of nothing is no PASS
    hidden.meant_to_find_nothing = True  # `returns: 0`: finding nothing is what it is for
    assert hidden.verdict != "NOT MEASURED"
    opened = by_name(result)["open_issue"]  # WITH CHECK refuses a row of another tenant than the one set
    assert opened.errors > 0 and "row-level security" in (opened.error or "") and opened.verdict == "ERROR"


@pytest.mark.parametrize("write_draws", [None, 5])
def test_a_write_draws_a_parameter_set_for_every_run(pg_url: str, write_draws: int | None,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A committed insert uses its key up: reused in turn, a parameter set breaks the key it
    wrote (ticketing at full volume: 40,065 of 60,000 holds refused as repeats of 20,000 draws).
    Reads may reuse theirs."""
    from schemawright.performance import concurrent

    monkeypatch.setattr(concurrent, "MAX_DRAWS", 5)
    if write_draws is not None:  # the check can fail: writes capped like reads repeat their keys
        monkeypatch.setattr(concurrent, "MAX_WRITE_DRAWS", write_draws)
    design = design_of(SPEC)
    opening = tuple(p for p in design.access_patterns if p.name in ("open_account", "account_by_id"))
    with sandboxed_database(pg_url, design.extensions, run_roles(design)) as box:  # its own rows: keys unused
        generate(design, box.url, 1.0, 0)
        result = load((design, box.url), LoadOptions(duration=2.0, connections=2, rate_scale=1.0),
                      access_patterns=opening)
    opened, read = by_name(result)["open_account"], by_name(result)["account_by_id"]
    assert read.errors == 0 and read.completed > 5  # 5 parameter sets, reused
    if write_draws is None:
        assert opened.refused == 0 and opened.completed >= 0.9 * opened.target_rate * 2.0
    else:
        assert opened.refused > 0
