"""operations.md: the platform engineer's page, one section per concern of the plan."""

from __future__ import annotations

from schemawright.scaling.machine import machine_line
from schemawright.scaling.plan import OperationsPlan


def to_operations_md(plan: OperationsPlan, files: list[str]) -> str:
    design = plan.design
    ops = design.operations
    out = [f"# Operations plan: {design.project}", "",
           "What to provision and how to run it, derived from the spec's volumes, access patterns and "
           "availability needs. Every setting carries its reason; `schemawright validate --operations` "
           "proves each part on real components (PostgreSQL, PgBouncer, pgBackRest, Redis, promtool).", "",
           f"- **Target machine:** {machine_line(design.machine)}",
           f"- **Replicas:** {ops.replicas}; **RPO:** {_seconds(ops.rpo_seconds)}; **RTO:** {_seconds(ops.rto_seconds)}",
           ""]
    out += ["![Data size by table at launch and at 12, 24 and 36 months, against the disk planned](capacity.svg)", ""]
    if files:
        out += ["Files written with this page:", ""] + [f"- `{path}`" for path in files] + [""]
    out += ["## Contents", ""] + [f"- [{s.title}](#{s.anchor})" for s in plan.sections.values()] + [""]
    for section in plan.sections.values():
        out += [f'<a id="{section.anchor}"></a>', "", f"## {section.title}", "", *section.markdown(), ""]
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


def _seconds(value: int | None) -> str:
    return "not stated" if value is None else f"{value} s"
