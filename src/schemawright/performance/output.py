"""Writing a bench run: bench.md and the chart (SVG and PNG) under an output directory."""

from __future__ import annotations

from pathlib import Path

from schemawright.files import write_files
from schemawright.performance.chart import render_chart
from schemawright.performance.concurrent_chart import render_load_chart
from schemawright.performance.concurrent_report import CHART_PNG as LOAD_PNG
from schemawright.performance.concurrent_report import CHART_SVG as LOAD_SVG
from schemawright.performance.concurrent_report import load_section
from schemawright.performance.report import CHART_PNG, CHART_SVG, REPORT, to_bench_markdown
from schemawright.performance.results import BenchResult


def write_bench(result: BenchResult, out: Path) -> list[Path]:
    svg, png = render_chart(result)
    markdown = to_bench_markdown(result)
    texts = {REPORT: markdown, CHART_SVG: svg}
    pngs = {CHART_PNG: png}
    if result.concurrent is not None:  # bench --concurrent: its section ends bench.md
        texts[REPORT] = markdown + "\n" + "\n".join(load_section(result.concurrent)).rstrip() + "\n"
        texts[LOAD_SVG], pngs[LOAD_PNG] = render_load_chart(result.concurrent, result.project)
    written = write_files(out, texts)
    for name, data in pngs.items():
        (out / name).write_bytes(data)  # write_files is for text
    return sorted([*written, *(out / name for name in pngs)])


def holds_design_output(out: Path) -> bool:
    """`bench -o DIR` on a directory `design` wrote: refresh its report.md as well."""
    return (out / "report.md").is_file() and (out / "schema.sql").is_file()
