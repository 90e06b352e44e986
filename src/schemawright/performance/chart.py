"""The latency chart: p50 and p95 per pattern as horizontal bars, each pattern's target marked.

Drawn with matplotlib's object API (no pyplot: no global figure state, no GUI backend).
SVG output is made byte-identical across runs: a fixed hash salt for element ids, no
creation date, text kept as text rather than font-dependent glyph paths.
"""

from __future__ import annotations

import io

from schemawright.performance.results import BenchResult

MET, MISSED, P50 = "#2e86c1", "#c0392b", "#aed6f1"
LOG_RATIO = 30  # a log axis when the slowest bar is this many times the fastest
_STYLE = {"svg.hashsalt": "schemawright", "svg.fonttype": "none", "font.size": 9}


def _figure(result: BenchResult):  # noqa: ANN202 - a matplotlib Figure
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    shown = [p for p in result.patterns if p.latency is not None]
    names = [p.name for p in shown][::-1]  # first pattern at the top
    p50 = [p.latency.p50 for p in shown][::-1]  # type: ignore[union-attr]
    p95 = [p.latency.p95 for p in shown][::-1]  # type: ignore[union-attr]
    targets = [p.target_ms for p in shown][::-1]
    fig = Figure(figsize=(8, 1.2 + 0.32 * max(len(shown), 1)))
    ax = fig.add_subplot()
    rows = list(range(len(shown)))
    missed = [MISSED if t is not None and v > t else MET for v, t in zip(p95, targets)]
    ax.barh([r + 0.2 for r in rows], p95, height=0.4, color=missed)
    ax.barh([r - 0.2 for r in rows], p50, height=0.4, color=P50)
    marked = [(r, t) for r, t in zip(rows, targets) if t is not None]
    if marked:
        ax.scatter([t for _, t in marked], [r for r, _ in marked], marker="|", s=260, linewidths=2, color="black",
                   zorder=3)
    values = [v for v in p50 + p95 + [t for _, t in marked] if v and v > 0]
    if values and max(values) / min(values) > LOG_RATIO:
        ax.set_xscale("log")
    ax.set_yticks(rows, names)
    ax.set_xlabel("latency (ms)")
    ax.set_title(f"{result.project} at scale {result.scale:g}: latency per access pattern "
                 f"({len(result.missed)} of {len(result.patterns)} miss)")
    ax.grid(axis="x", alpha=0.3)
    # Explicit entries: the bars' own colours vary per pattern (met or missed).
    legend = [Patch(color=MET, label="p95 (meets target)"), Patch(color=MISSED, label="p95 (misses target)"),
              Patch(color=P50, label="p50"), Line2D([], [], color="black", marker="|", linestyle="", markersize=12,
                                                   markeredgewidth=2, label="p95 target")]
    ax.legend(handles=legend, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    fig.tight_layout()
    return fig


def render_chart(result: BenchResult) -> tuple[str, bytes]:
    """The chart as SVG text and PNG bytes."""
    from matplotlib import rc_context

    with rc_context(_STYLE):
        fig = _figure(result)
        svg, png = io.StringIO(), io.BytesIO()
        fig.savefig(svg, format="svg", metadata={"Date": None})
        fig.savefig(png, format="png", dpi=110, metadata={"Software": None})
    return svg.getvalue(), png.getvalue()
