"""report.md: the normal form of every table, each violation with its proposed split, and the
redundancy kept on purpose with what keeps it correct."""

from __future__ import annotations

from schemawright.documentation.markdown import code, table, text
from schemawright.model import Design, NormalForm

_ORDER = {"1NF": 0, "2NF": 1, "3NF": 2, "BCNF": 3}


def normal_forms_section(design: Design) -> list[str]:
    out = ['<a id="normal-forms"></a>', "", "## Normal forms", ""]
    if not design.normal_forms:
        return out + ["No tables.", ""]
    below = [f for f in design.normal_forms if f.level != "BCNF"]
    out += [f"{len(design.normal_forms) - len(below)} of {len(design.normal_forms)} tables are in BCNF under their "
            "keys and the dependencies the spec declares (`depends` rules)."
            + (" The others:" if below else ""), ""]
    rows = [[code(f.table), f.level, ", ".join("(" + ", ".join(k) + ")" for k in f.keys) or "none"]
            for f in sorted(design.normal_forms, key=lambda f: (_ORDER[f.level], f.table))]
    out += table(["Table", "Normal form", "Keys"], rows) + [""]
    for form in below:
        out += _violations(form)
    out += _kept(design)
    return out


def _violations(form: NormalForm) -> list[str]:
    out = [f"### {text(form.table)}: {form.level}", ""]
    for v in form.violations:
        line = f"- Breaks {v.breaks}: {text(v.explanation)}"
        if v.kept:
            line += f" **Kept on purpose**: {text(v.kept)}"
        elif v.split:
            line += (f" Proposed split: {code(v.split.table)} ({text(', '.join(v.split.columns))}) keyed by "
                     f"({text(', '.join(v.split.key))}), referenced from {code(form.table)}; "
                     "`schemawright design --normalize` applies it.")
        out.append(line + (f" (rule {code(v.rule)})" if v.rule else ""))
    return out + [""]


def _kept(design: Design) -> list[str]:
    if not design.denormalizations:
        return []
    out = ['<a id="denormalised"></a>', "", "### Denormalised on purpose", ""]
    out += table(["Copy", "Kind", "Why", "What keeps it correct"],
                 [[code(d.name), d.kind.replace("_", " "), text(d.reason), text(d.upkeep)]
                  for d in design.denormalizations])
    return out + [""]
