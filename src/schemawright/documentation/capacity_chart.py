"""capacity.svg: the capacity plan as a picture — bytes per table at launch and at 12, 24 and
36 months, stacked, against the disk the plan asks for.

Drawn with matplotlib's object API like the latency chart (performance/chart.py), and as
deterministic: a fixed hash salt, no date, text kept as text.
"""

from __future__ import annotations

import io

from schemawright.scaling.capacity import HORIZONS, CapacityPlan

SHOWN = 6  # the largest tables by name; the rest stacked as one "other"
_STYLE = {"svg.hashsalt": "schemawright", "svg.fonttype": "none", "font.size": 9}
_COLOURS = ("#1f4e79", "#2e86c1", "#5dade2", "#85c1e9", "#aed6f1", "#d6eaf8", "#bbbbbb")
GIB = 1024**3


def capacity_svg(plan: CapacityPlan) -> str:
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    last = HORIZONS[-1]
    ranked = sorted(plan.tables, key=lambda t: (-t.at(last).total, t.table))
    layers = [(t.table, [t.at(h).total / GIB for h in HORIZONS]) for t in ranked[:SHOWN]]
    rest = ranked[SHOWN:]
    if rest:
        layers.append((f"{len(rest)} other tables", [sum(t.at(h).total for t in rest) / GIB for h in HORIZONS]))
    with rc_context(_STYLE):
        fig = Figure(figsize=(8, 4.2))
        ax = fig.add_subplot()
        labels = ["launch" if h == 0 else f"{h} months" for h in HORIZONS]
        bottom = [0.0] * len(HORIZONS)
        for (name, values), colour in zip(layers, _COLOURS):
            ax.bar(labels, values, bottom=bottom, color=colour, label=name, width=0.6)
            bottom = [b + v for b, v in zip(bottom, values)]
        for x, total in enumerate(bottom):
            ax.annotate(f"{total:,.1f} GiB", (x, total), ha="center", va="bottom", fontsize=8,
                        xytext=(0, 2), textcoords="offset points")
        disk = plan.disk_bytes / GIB
        ax.axhline(disk, color="#c0392b", linestyle="--", linewidth=1.2,
                   label=f"disk planned: data, WAL kept, room\nto rewrite the largest table ({disk:,.0f} GiB)")
        ax.set_ylabel("GiB (heap, TOAST and indexes, one copy)")
        ax.set_ylim(0, max(disk, max(bottom)) * 1.12)
        ax.set_title(f"{plan.project}: data size by table")
        ax.grid(axis="y", alpha=0.3)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
        fig.tight_layout()
        out = io.StringIO()
        fig.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()
