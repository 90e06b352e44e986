"""Writing a bench run: bench.md and the chart (SVG and PNG) under an output directory."""

from __future__ import annotations

from pathlib import Path

from schemawright.files import write_files
from schemawright.performance.chart import render_chart
from schemawright.performance.report import CHART_PNG, CHART_SVG, REPORT, to_bench_markdown
from schemawright.performance.results import BenchResult


def write_bench(result: BenchResult, out: Path) -> list[Path]:
    svg, png = render_chart(result)
    written = write_files(out, {REPORT: to_bench_markdown(result), CHART_SVG: svg})
    (out / CHART_PNG).write_bytes(png)  # write_files is for text
    return sorted([*written, out / CHART_PNG])


def holds_design_output(out: Path) -> bool:
    """`bench -o DIR` on a directory `design` wrote: refresh its report.md as well."""
    return (out / "report.md").is_file() and (out / "schema.sql").is_file()
