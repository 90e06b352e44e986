"""normalize.md: what was found in the data and every decision taken on it, with its reason.

Written next to the spec and the deliverables; deterministic (no times, no absolute paths
beyond the ones given on the command line)."""

from __future__ import annotations

from schemawright.profiling.file_profile import Profile
from schemawright.profiling.proposal import Proposal
from schemawright.profiling.table import NULL_TOKENS


def to_markdown(proposal: Proposal, profiles: list[Profile], approximate: float | None,
                notes: list[str] = ()) -> str:
    lines = ["# Normalisation of the data", ""]
    if notes:  # a partial answer says so first
        lines += ["## Partial result: the search budget ran out", "",
                  "What follows is complete only as far as these notes say; raise --time-budget or "
                  "--max-dependencies (or lower --max-lhs) for the rest.", ""]
        lines += [f"- {n}" for n in notes] + [""]
    lines += ["NULL policy: " + " and ".join(repr(t) for t in sorted(NULL_TOKENS)) + " fields are NULL. In dependencies "
              "NULL is one value equal to itself; columns holding NULLs never become primary keys or determinants "
              "of split-off tables.",
              "Dependencies: " + (f"approximate, g3 error at most {approximate}" if approximate else "exact") +
              ", minimal, one attribute on the right.", ""]
    for profile in profiles:
        table = profile.table
        lines += [f"## {table.path}", "",
                  f"{table.rows:,} rows, {len(table.columns)} columns; {len(profile.fds):,} minimal dependencies and "
                  f"{len(profile.uccs):,} unique column combinations found on "
                  + (f"a random sample of {profile.sample.rows:,} rows (re-checked on all rows where used)."
                     if profile.sampled else "all rows."), "",
                  "| column | type | NULLs | distinct | why |", "| --- | --- | --- | --- | --- |"]
        for column in table.columns:
            inferred = profile.types[column.name]
            kind = inferred.kind + (f"({inferred.precision},{inferred.scale})" if inferred.kind == "decimal" else "")
            lines.append(f"| `{column.name}` | {kind} | {'yes' if column.nullable else 'no'} | {column.distinct:,} "
                         f"| {inferred.reason} |")
        check = proposal.lossless.get(table.name)
        if check is not None:
            lines += ["", f"Lossless check: {check.describe()}."]
        lines.append("")
    lines += ["## Proposed tables", "", "| table | columns | primary key | rows |", "| --- | --- | --- | --- |"]
    for t in proposal.tables:
        key = ", ".join(t.key) if t.key else ("none" if t.keyless else "id (surrogate)")
        lines.append(f"| `{t.name}` | {', '.join(t.columns)} | {key} | {t.rows:,} |")
    merges = entity_decisions(proposal)
    if merges:
        lines += ["", "## The same entity in several files", "",
                  "Tables of different files with the same key are merged when the data agrees on every key they "
                  "share. A merged table holds the keys of every file, so each file's lossless check starts from "
                  "its own fact table (the rows whose key occurs in the file) and joins the other tables along the "
                  "foreign keys, restricted to the file's columns.", ""]
        lines += [f"- {d}" for d in merges]
    lines += ["", "## Foreign keys", ""]
    lines += [f"- `{link.child}` ({', '.join(link.columns)}) -> `{link.parent}` ({', '.join(link.references)}): "
              f"{link.reason}" for link in proposal.links] or ["(none)"]
    lines += ["", "## Decisions", ""]
    lines += [f"- {d}" for d in proposal.decisions] or ["(none)"]
    return "\n".join(lines) + "\n"


def entity_decisions(proposal: Proposal) -> list[str]:
    """The merges across files, and the tables kept apart because their data disagrees."""
    return [d for d in proposal.decisions if d.startswith(("merged ", "not merged: "))]
