"""The concurrent load's chart: p50, p95 and p99 per pattern against its target (as the
single-pattern chart draws them, performance/chart.py), and beside it the rate each pattern
achieved against the rate asked of it."""

from __future__ import annotations

import io

from schemawright.performance.chart import _STYLE, LOG_RATIO, MET, MISSED, P50
from schemawright.performance.concurrent_results import LoadResult

P99 = "#5d6d7e"


def _figure(load: LoadResult, project: str):  # noqa: ANN202 - a matplotlib Figure
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    shown = [p for p in load.patterns if p.latency is not None][::-1]  # first pattern at the top
    names = [p.name for p in shown]
    rows = list(range(len(shown)))
    fig = Figure(figsize=(11, 1.4 + 0.36 * max(len(shown), 1)))
    latency, rates = fig.subplots(1, 2, sharey=True, width_ratios=(3, 2))
    p50 = [p.latency.p50 for p in shown]  # type: ignore[union-attr]
    p95 = [p.latency.p95 for p in shown]  # type: ignore[union-attr]
    p99 = [p.latency.p99 for p in shown]  # type: ignore[union-attr]
    colours = [MISSED if p.verdict != "PASS" else MET for p in shown]
    latency.barh([r - 0.27 for r in rows], p50, height=0.27, color=P50)
    latency.barh(rows, p95, height=0.27, color=colours)
    latency.barh([r + 0.27 for r in rows], p99, height=0.27, color=P99)
    marked = [(r, p.target_ms) for r, p in zip(rows, shown) if p.target_ms is not None]
    if marked:
        latency.scatter([t for _, t in marked], [r for r, _ in marked], marker="|", s=260, linewidths=2,
                        color="black", zorder=3)
    values = [v for v in p50 + p99 + [t for _, t in marked] if v and v > 0]
    if values and max(values) / min(values) > LOG_RATIO:
        latency.set_xscale("log")
    latency.set_yticks(rows, names)
    latency.set_xlabel("latency under load (ms)")
    latency.grid(axis="x", alpha=0.3)
    rates.barh([r - 0.2 for r in rows], [p.target_rate for p in shown], height=0.4, color=P50)
    rates.barh([r + 0.2 for r in rows], [p.achieved_rate for p in shown], height=0.4, color=colours)
    asked = [p.target_rate for p in shown if p.target_rate > 0]
    if asked and max(asked) / min(asked) > LOG_RATIO:
        rates.set_xscale("log")
    rates.set_xlabel("runs per second")
    rates.grid(axis="x", alpha=0.3)
    fig.suptitle(f"{project}: {len(load.patterns)} patterns together, {load.connections} connections, "
                 f"{load.rate_scale:.1%} of the declared rates ({len(load.missed)} of {len(load.patterns)} miss)")
    legend = [Patch(color=P50, label="p50 / target rate"), Patch(color=MET, label="p95, achieved rate (pass)"),
              Patch(color=MISSED, label="p95, achieved rate (fail)"), Patch(color=P99, label="p99"),
              Line2D([], [], color="black", marker="|", linestyle="", markersize=12, markeredgewidth=2,
                     label="p95 target")]
    rates.legend(handles=legend, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    fig.tight_layout()
    return fig


def render_load_chart(load: LoadResult, project: str) -> tuple[str, bytes]:
    """The chart as SVG text and PNG bytes (SVG byte-identical for the same figures)."""
    from matplotlib import rc_context

    with rc_context(_STYLE):
        fig = _figure(load, project)
        svg, png = io.StringIO(), io.BytesIO()
        fig.savefig(svg, format="svg", metadata={"Date": None})
        fig.savefig(png, format="png", dpi=110, metadata={"Software": None})
    return svg.getvalue(), png.getvalue()
