"""`bench` reports what the business rules cost each write (issue 11 §2): a write pattern on a
table that rule triggers guard is timed with them (its checks deferred to commit fired inside
the run) and again with every rule trigger off; bench.md shows both and the difference.
Reads, and writes on tables no rule guards, are timed once."""

from __future__ import annotations

import re

import pytest

import schemawright.pipeline  # noqa: F401  (imported first: the package's own import order)
from helpers import design_of
from schemawright.performance import BenchResult, bench
from schemawright.performance.report import to_bench_markdown
from schemawright.performance.rules import guarding_triggers, writes

SPEC = """\
project: rulebench
entities:
  Entry:
    attributes:
      posted_on: {type: date, required: true}
      status: {type: enum, values: [draft, posted], required: true}
  Line:
    attributes:
      amount: {type: decimal, precision: 12, scale: 2, required: true}
      posted: {type: boolean, required: true}
  Tag:
    attributes:
      label: {type: string, max_length: 40, required: true}
relationships:
  - {from: Entry, to: Line, type: one-to-many}
rules:
  - name: entry_balances
    entity: Line
    aggregate: {per: [entry_id], check: "sum(amount) = 0"}
  - name: posted_lines_fixed
    entity: Line
    immutable: {when: "posted"}
  - name: entry_flow
    entity: Entry
    transitions: {column: status, allowed: {draft: [posted]}}
access_patterns:
  - name: add_line
    query: INSERT INTO lines (entry_id, amount, posted) VALUES (:entry_id, :amount, false)
    latency_p95_ms: 60000
  - name: post_entry
    query: UPDATE entries SET status = 'posted' WHERE id = :id
    latency_p95_ms: 60000
  - name: add_tag
    query: INSERT INTO tags (label) VALUES (:label)
    latency_p95_ms: 60000
  - name: lines_of_entry
    query: SELECT id, amount FROM lines WHERE entry_id = :entry_id
    latency_p95_ms: 60000
volumes:
  Entry: {rows: 300}
  Line: {rows: 1500}
  Tag: {rows: 50}
"""
RUNS = 15


@pytest.fixture(scope="module")
def result(pg_url: str) -> BenchResult:
    return bench(design_of(SPEC), 1.0, database_url=pg_url, runs=RUNS, warmup=2, whatif="build")


def test_writes_on_guarded_tables_are_timed_with_and_without_the_rules(result: BenchResult) -> None:
    by_name = {p.name: p for p in result.patterns}
    for name in ("add_line", "post_entry"):
        p = by_name[name]
        assert p.error is None and p.rules_error is None, (p.error, p.rules_error)
        assert p.latency is not None and p.without_rules is not None
        assert p.latency.p50 > 0 and p.without_rules.p50 > 0 and p.without_rules.runs == RUNS
    assert by_name["add_line"].rule_triggers == ("trg_lines_entry_balances_insert",)
    assert by_name["post_entry"].rule_triggers == ("trg_entries_entry_flow",)
    # a line written alone unbalances its entry: the check at commit ran (and refused) in every run
    assert by_name["add_line"].checks_refused >= RUNS
    for name in ("add_tag", "lines_of_entry"):  # no rule guards tags; a read writes nothing
        assert by_name[name].rule_triggers == () and by_name[name].without_rules is None


def test_bench_md_has_the_cost_of_the_business_rules(result: BenchResult) -> None:
    doc = to_bench_markdown(result)
    section = doc.split("## Cost of the business rules", 1)[1].split("\n## ", 1)[0]
    rows = {line.split(" | ")[0].strip("| `"): line.split(" | ") for line in section.splitlines()
            if line.startswith("| `")}
    assert set(rows) == {"add_line", "post_entry"}
    for cells in rows.values():
        with_p50, without_p50, difference = (float(re.sub(r"[^\d.+-].*", "", c)) for c in cells[2:5])
        assert with_p50 > 0 and without_p50 > 0
        assert difference == pytest.approx(with_p50 - without_p50, abs=0.002)
    assert "`add_line`: in " in section and "the checks at commit refused the rows written alone" in section


def test_the_triggers_a_write_fires() -> None:
    design = design_of(SPEC)
    assert writes("INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET b = 2") == {("t", "insert"),
                                                                                          ("t", "update")}
    assert writes("WITH gone AS (DELETE FROM lines WHERE id = :id RETURNING entry_id) "
                  "UPDATE entries SET status = 'posted' WHERE id IN (SELECT entry_id FROM gone)") == {
        ("lines", "delete"), ("entries", "update")}
    delete = next(p for p in design.access_patterns if p.name == "add_line").model_copy(
        update={"sql": "DELETE FROM lines WHERE id = :id"})
    assert guarding_triggers(design, delete) == ("trg_lines_entry_balances_delete", "trg_lines_posted_lines_fixed")
