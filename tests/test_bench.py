"""`schemawright bench`: data at a scale, the design's and the advisor's indexes, every pattern timed.

Runs against the session's PostgreSQL (embedded by default): the `bench()` function once for
the measurement checks, and the command as a user runs it (a subprocess) for exit codes,
files, `design --bench` and bad input.  Volumes are tiny so the whole module stays fast.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import LOCAL_PG15_URL, design_of, require_pg15_hypopg
from schemawright.pipeline import design_file
from schemawright.documentation.report import to_report
from schemawright.performance import bench
from schemawright.performance.chart import render_chart
from schemawright.performance.report import performance_section, to_bench_markdown
from schemawright.performance.results import BenchResult, Latency, PatternBench
from schemawright.performance.stats import latency

SPEC = """\
project: benchmini
entities:
  Customer:
    attributes:
      email: {type: email, required: true, unique: true}
      country: {type: string, max_length: 2, required: true, data: {distinct: 20}}
  Order:
    attributes:
      status: enum(open, paid, shipped)
      placed_at: {type: timestamp, required: true}
      total: money
  Note:
    primary_key: [customer_id, note_no]
    attributes:
      customer_id: {type: bigint, required: true}
      note_no: {type: integer, required: true, min: 1}
      body: {type: string, max_length: 200, required: true}
relationships:
  - {from: Customer, to: Order, type: one-to-many}
  - {from: Customer, to: Note, type: one-to-many, columns: [customer_id]}
access_patterns:
  - name: customer_by_email
    query: SELECT id, country FROM customers WHERE email = :email
    frequency: 50
    latency_p95_ms: 50
  - name: orders_of_customer
    query: |
      SELECT id, placed_at, total FROM orders WHERE customer_id = :customer_id
      ORDER BY placed_at DESC LIMIT 10
    frequency: 20
    latency_p95_ms: 50
  - name: place_order
    query: |
      INSERT INTO orders (customer_id, status, placed_at, total)
      VALUES (:customer_id, 'open', now(), :total)
    frequency: 5
    latency_p95_ms: 50
  - name: add_note
    query: INSERT INTO notes (customer_id, note_no, body) VALUES (:customer_id, :note_no, :body)
    frequency: 2
    latency_p95_ms: 50
  - name: impossible
    query: SELECT count(*) FROM orders WHERE status = :status
    frequency: 1
    latency_p95_ms: 0.000001
volumes:
  Customer: {rows: 2000}
  Order: {rows: 10000}
"""
PASSABLE = SPEC.replace("latency_p95_ms: 0.000001", "latency_p95_ms: 60000")
RUNS = 20


def run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "schemawright.cli", *args], capture_output=True, text=True,
                          env=env, timeout=600)


@pytest.fixture(scope="module")
def measured(pg_url: str) -> BenchResult:
    return bench(design_of(SPEC), 1.0, database_url=pg_url, runs=RUNS, seed=3)


@pytest.fixture()
def spec_file(tmp_path: Path) -> Path:
    path = tmp_path / "mini.yaml"
    path.write_text(SPEC, encoding="utf-8")
    return path


def test_every_pattern_is_timed_with_ordered_statistics(measured: BenchResult) -> None:
    assert [p.name for p in measured.patterns] == ["customer_by_email", "orders_of_customer", "place_order",
                                                   "add_note", "impossible"]
    assert measured.rows_loaded == 14000 and measured.generation_seconds > 0
    for p in measured.patterns:
        assert p.error is None, p.error
        assert p.refused == 0, p.name  # the drawn values satisfy every constraint
        assert p.latency is not None and p.latency.runs == RUNS
        assert 0 < p.latency.p50 <= p.latency.p95 <= p.latency.max
        assert p.verdict == ("PASS" if p.latency.p95 <= p.target_ms else "FAIL")
        assert p.plan is not None and p.plan.shared_hit + p.plan.shared_read > 0


def test_parameters_vary_per_run_and_come_from_the_data(measured: BenchResult) -> None:
    by_name = {p.name: p for p in measured.patterns}
    # Unique e-mails drawn from the rows: each run looks up a different customer, and finds it.
    assert by_name["customer_by_email"].bindings == RUNS
    assert by_name["customer_by_email"].rows == 1.0
    assert by_name["orders_of_customer"].bindings > 1 and by_name["orders_of_customer"].rows > 0
    assert by_name["place_order"].rows == 1.0  # the drawn customer exists: the foreign key check passes
    # A natural key (customer_id, note_no): every run inserts a new note number after the largest one.
    assert by_name["add_note"].rows == 1.0 and by_name["add_note"].bindings == RUNS
    assert by_name["add_note"].refused == 0


def test_plan_facts_name_the_index_used(measured: BenchResult) -> None:
    by_name = {p.name: p for p in measured.patterns}
    email = by_name["customer_by_email"].plan
    assert email is not None and email.indexes and not email.seq_scans
    assert any("email" in name for name in email.indexes)
    assert by_name["customer_by_email"].plan.rows == 1


def test_a_missed_target_fails_the_run(measured: BenchResult) -> None:
    assert [p.name for p in measured.missed] == ["impossible"]
    assert not measured.passed


def test_indexes_list_the_design_first_then_the_advisor(measured: BenchResult) -> None:
    sources = [i.source for i in measured.indexes]
    assert sources == sorted(sources, key=lambda s: s != "design")
    assert "design" in sources
    assert all(i.definition.startswith("CREATE ") for i in measured.indexes)


def test_the_advisors_indexes_are_built_and_measured(pg_url: str) -> None:
    """Without derived indexes, the advisor must find the one orders_of_customer needs on the
    generated rows; bench builds it, and the timed plan uses it."""
    bare = design_of("derive_indexes: false\n" + PASSABLE)
    assert not bare.indexes
    result = bench(bare, 1.0, database_url=pg_url, runs=5, seed=1)
    advised = [i for i in result.indexes if i.source == "advisor"]
    assert advised, "the advisor chose nothing"
    history = next(p for p in result.patterns if p.name == "orders_of_customer")
    assert history.plan is not None and set(history.plan.indexes) & {i.name for i in advised}
    assert all(i.definition.startswith("CREATE INDEX") and i.size_bytes for i in advised)


def test_hypopg_advice_on_another_server() -> None:
    """--whatif hypopg on the local PostgreSQL 15: hypothetical indexes choose, bench builds."""
    require_pg15_hypopg()
    bare = design_of("derive_indexes: false\n" + PASSABLE)
    result = bench(bare, 0.5, database_url=LOCAL_PG15_URL, runs=5, seed=1, whatif="hypopg")
    assert result.whatif == "hypopg" and result.server.startswith("postgresql://")
    advised = {i.name for i in result.indexes if i.source == "advisor"}
    history = next(p for p in result.patterns if p.name == "orders_of_customer")
    assert advised and history.plan is not None and set(history.plan.indexes) & advised


def test_statistics_are_nearest_rank() -> None:
    samples = [float(v) for v in range(1, 101)]
    assert latency(samples) == Latency(p50=50.0, p95=95.0, max=100.0, runs=100)
    assert latency([3.0]) == Latency(3.0, 3.0, 3.0, 1)
    with pytest.raises(ValueError):
        latency([])


def test_markdown_report_and_section(measured: BenchResult) -> None:
    text = to_bench_markdown(measured)
    for p in measured.patterns:
        assert f"`{p.name}`" in text
    assert "**FAIL**" in text and "bench-latency.svg" in text and "**1 miss it**" in text
    section = performance_section(measured)
    assert "## Performance at scale 1" in section
    report = to_report(design_of(SPEC), performance=section)
    assert report.rstrip().endswith("bench.md))")
    assert "- [Performance](#performance)" in report and '<a id="performance"></a>' in report
    assert "Performance" not in to_report(design_of(SPEC))


def _fixed_result() -> BenchResult:
    result = BenchResult("chart", 0.5, 0, 10, 2, "embedded PostgreSQL")
    for i, (p50, p95, target) in enumerate([(0.1, 0.2, 5.0), (1.0, 7.5, 5.0), (40.0, 90.0, 100.0)]):
        result.patterns.append(PatternBench(f"p{i}", "read", 1.0, target, latency=Latency(p50, p95, p95 * 2, 10)))
    return result


_CHART_IN_SUBPROCESS = """
import sys
sys.path.insert(0, {tests!r})
from test_bench import _fixed_result
from schemawright.performance.chart import render_chart
sys.stdout.write(render_chart(_fixed_result())[0])
"""


def test_chart_svg_is_byte_identical_across_runs() -> None:
    svg, png = render_chart(_fixed_result())
    assert (svg, png) == render_chart(_fixed_result())
    other = subprocess.run([sys.executable, "-c", _CHART_IN_SUBPROCESS.format(tests=str(Path(__file__).parent))],
                           capture_output=True, text=True, timeout=120)
    assert other.returncode == 0, other.stderr
    assert other.stdout == svg
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "p95 target" in svg
    assert "<dc:date>" not in svg
    assert png.startswith(b"\x89PNG")


def test_cli_exits_1_on_a_missed_target_and_writes_report_and_chart(spec_file: Path, tmp_path: Path,
                                                                    pg_url: str) -> None:
    out = tmp_path / "bench"
    done = run("bench", str(spec_file), "--scale", "0.2", "--runs", "10", "--database-url", pg_url, "-o", str(out))
    assert done.returncode == 1, done.stderr
    # the indexes design writes, chosen by the planner at the declared volumes, measured as written
    assert "indexes chosen by the planner" in done.stdout and "measured as written" in done.stdout
    assert "impossible" in done.stderr and "--warn-only" in done.stderr
    assert "Traceback" not in done.stderr
    assert {p.name for p in out.iterdir()} == {"bench.md", "bench-latency.svg", "bench-latency.png"}
    assert "`impossible`" in (out / "bench.md").read_text(encoding="utf-8")


def test_cli_warn_only_exits_0_and_refreshes_a_design_report(spec_file: Path, tmp_path: Path, pg_url: str) -> None:
    out = tmp_path / "design"
    assert run("design", str(spec_file), "-o", str(out), "--offline").returncode == 0
    assert "Performance at scale" not in (out / "report.md").read_text(encoding="utf-8")
    done = run("bench", str(spec_file), "--scale", "0.2", "--runs", "10", "--database-url", pg_url, "-o", str(out),
               "--warn-only", "--offline")  # the design above is the first cut's: refreshing keeps it
    assert done.returncode == 0, done.stderr
    assert "warning:" in done.stderr and "impossible" in done.stderr
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "## Performance at scale 0.2" in report and "(bench-latency.svg)" in report
    assert (out / "bench-latency.svg").is_file() and (out / "schema.sql").is_file()


def test_design_with_bench_adds_the_performance_section(tmp_path: Path) -> None:
    spec = tmp_path / "ok.yaml"
    spec.write_text(PASSABLE, encoding="utf-8")
    out = tmp_path / "out"
    done = run("design", str(spec), "-o", str(out), "--bench", "0.1")
    assert done.returncode == 0, done.stderr
    report = (out / "report.md").read_text(encoding="utf-8")
    section = report[report.index("## Performance at scale 0.1"):]
    for name in ("customer_by_email", "orders_of_customer", "place_order", "add_note", "impossible"):
        assert f"`{name}`" in section
    assert (out / "bench.md").is_file() and (out / "bench-latency.png").is_file()
    assert "bench at scale 0.1: All 5 access patterns meet their p95 target" in done.stdout


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--scale", "0"], 2, "the scale must be above 0"),
    (["--whatif", "magic"], 2, "is not a what-if mode"),
])
def test_bad_options_give_a_clean_error(spec_file: Path, args: list[str], code: int, message: str) -> None:
    done = run("bench", str(spec_file), *args)
    assert done.returncode == code, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr


def test_bad_spec_is_reported_with_its_location(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(SPEC.replace("FROM customers WHERE email", "FROM customers WHERE emial"), encoding="utf-8")
    done = run("bench", str(spec))
    assert done.returncode == 1
    assert f"{spec}:" in done.stderr and "emial" in done.stderr and "did you mean 'email'" in done.stderr
    assert "Traceback" not in done.stderr
    missing = run("bench", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 1 and "not found" in missing.stderr and "Traceback" not in missing.stderr


def test_output_must_be_a_directory_and_patterns_must_exist(spec_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "a-file"
    target.write_text("x", encoding="utf-8")
    done = run("bench", str(spec_file), "-o", str(target))
    assert done.returncode == 2 and "is a file" in done.stderr
    bare = tmp_path / "bare.yaml"
    bare.write_text(SPEC[:SPEC.index("access_patterns:")], encoding="utf-8")
    done = run("bench", str(bare))
    assert done.returncode == 2 and "no access patterns" in done.stderr


def test_tpcc_first_cut_indexes_follow_the_written_predicates() -> None:
    """TPC-C's lookups: equality columns in the order written (warehouse, district, ...), an
    UPDATE's SET column is no filter, and a composite primary key prefix serves its lookups."""
    design = design_file(Path(__file__).resolve().parent.parent / "examples" / "tpcc.yaml")
    columns = {i.name: [(c.expression, c.descending) for c in i.columns] for i in design.indexes}
    assert columns["ix_customer_c_w_id_c_d_id_c_last_c_first"] == [
        ("c_w_id", False), ("c_d_id", False), ("c_last", False), ("c_first", False)]
    assert columns["ix_orders_o_w_id_o_d_id_o_c_id_o_id"] == [
        ("o_w_id", False), ("o_d_id", False), ("o_c_id", False), ("o_id", True)]
    assert not [name for name, cols in columns.items() if ("ol_delivery_d", False) in cols]
    assert not [i.name for i in design.indexes if i.table == "order_line" and i.columns[0].expression == "ol_o_id"]
    served = {p.name: p.served_by for p in design.access_patterns}
    assert served["order_status_get_order_lines"] == ("pk_order_line",)
