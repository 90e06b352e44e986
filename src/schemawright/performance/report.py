"""bench.md, and the "Performance at scale S" section of the design's report.md.

Everything but the measured numbers is deterministic: patterns in spec order, indexes in
design order then the advisor's, no dates.
"""

from __future__ import annotations

from schemawright.database.server_label import server_label
from schemawright.documentation.markdown import code, number, table, text
from schemawright.performance.loaded_rows import loaded_rows_section
from schemawright.performance.partition_report import partitioning_section
from schemawright.performance.results import BenchResult, PatternBench

CHART_SVG = "bench-latency.svg"
CHART_PNG = "bench-latency.png"
REPORT = "bench.md"
SECTION_ANCHOR = "performance"


def ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 100 else f"{value:,.0f}"


def summary(result: BenchResult) -> str:
    met = len(result.patterns) - len(result.missed)
    verdict = (f"All {met} access patterns meet their p95 target" if not result.missed else
               f"{met} of {len(result.patterns)} access patterns meet their p95 target, " + ", ".join(
                   f"**{len(found)} {label}**" for found, label in (
                       (result.with_verdict("FAIL"), "miss it"),
                       (result.with_verdict("NOT MEASURED"), "not measured (timed on no row)"),
                       (result.with_verdict("ERROR"), "error" if len(result.with_verdict("ERROR")) == 1 else "errors"))
                   if found))
    short = result.short_tables
    if short:  # said first: every latency below was measured on less data than declared
        verdict = (f"**{len(short)} table(s) hold more than 1 % fewer rows than declared** "
                   f"({', '.join(code(t.table) for t in short)}; see Rows loaded); {verdict}")
    return (f"{verdict}; {result.runs} timed runs each after {result.warmup} warm-up runs, "
            "parameters drawn from the data.")


def _verdict(p: PatternBench) -> str:
    return {"PASS": "PASS", "FAIL": "**FAIL**", "ERROR": "**ERROR**", "NOT MEASURED": "**NOT MEASURED**"}[p.verdict]


def _rows(p: PatternBench) -> str:
    """Mean rows per run, and the spec's `returns` beside it when it says one."""
    shown = number(round(p.rows, 1)) if p.rows is not None else "—"
    return shown + (f" (about {number(p.returns)} declared)" if p.returns is not None else "")


def pattern_table(result: BenchResult) -> list[str]:
    rows = []
    for p in result.patterns:
        lat, plan = p.latency, p.plan
        used = ", ".join(code(i) for i in plan.indexes) if plan else ""
        if plan and plan.seq_scans:
            used += ("; " if used else "") + "seq scan " + ", ".join(code(t) for t in plan.seq_scans)
        rows.append([code(p.name), p.kind, ms(p.target_ms), ms(lat.p50 if lat else None), ms(lat.p95 if lat else None),
                     ms(lat.max if lat else None), _verdict(p), _rows(p),
                     f"{plan.shared_hit:,} / {plan.shared_read:,}" if plan else "—", used or "—"])
    return table(["Pattern", "Kind", "Target p95 (ms)", "p50 (ms)", "p95 (ms)", "max (ms)", "Result", "Rows / run",
                  "Buffers hit / read", "Plan uses"], rows, align="llrrrrlrrl")


def _errors(result: BenchResult) -> list[str]:
    out = []
    failed = [p for p in result.patterns if p.error]
    if failed:
        out += ["Patterns that could not be measured:", ""] + [f"- {code(p.name)}: {text(p.error)}" for p in failed]
        out.append("")
    empty = [p for p in result.patterns if p.not_measured and not p.error]
    if empty:
        out += ["Patterns measured on nothing (NOT MEASURED: their latency proves nothing):", ""]
        out += [f"- {code(p.name)}: {text(p.not_measured)}" for p in empty] + [""]
    replaced = [p for p in result.patterns if p.misses_replaced and not p.error and not p.not_measured]
    if replaced:  # said, since it favours parameters that find rows
        out += [f"- {code(p.name)}: {p.misses_replaced} drawn parameter set(s) found no row and were replaced by "
                "ones that do" for p in replaced] + [""]
    undrawn = [p for p in result.patterns if p.draw_failures and not p.error]
    if undrawn:  # its runs repeat the base binding's value for those parameters: a cache-friendly timing
        out += [f"- {code(p.name)}: a parameter draw failed, so its runs repeat one value for those parameters "
                f"({text(failure)})" for p in undrawn for failure in p.draw_failures] + [""]
    refused = [p for p in result.patterns if p.refused and not p.error]
    if refused:  # skipped values are not timed; say so, since they bias towards values that work
        out += [f"- {code(p.name)}: {p.refused} drawn parameter set(s) broke a constraint and were replaced"
                for p in refused] + [""]
    return out


def _difference(with_rules: float, without: float) -> str:
    pct = f" ({(with_rules - without) / without * 100:+.0f} %)" if without > 0 else ""
    return f"{with_rules - without:+.3f}{pct}"


def rules_cost(result: BenchResult) -> list[str]:
    """The write patterns timed with and without the business rules' triggers (none: nothing)."""
    measured = [p for p in result.patterns if p.rule_triggers]
    if not measured:
        return []
    rows = []
    for p in measured:
        on, off = p.latency, p.without_rules
        rows.append([code(p.name), ", ".join(code(t) for t in p.rule_triggers),
                     ms(on.p50 if on else None), ms(off.p50 if off else None),
                     _difference(on.p50, off.p50) if on and off else "—",
                     ms(on.p95 if on else None), ms(off.p95 if off else None),
                     _difference(on.p95, off.p95) if on and off else "—"])
    out = ["## Cost of the business rules", "",
           "Write patterns on tables that business-rule triggers guard, timed a second time on the same data with "
           "the same parameters and every rule trigger switched off. With the rules, each run also fires the checks "
           "deferred to commit (SET CONSTRAINTS ALL IMMEDIATE), which a rolled-back run would otherwise skip.", ""]
    out += table(["Pattern", "Rule triggers on the tables it writes", "p50 with (ms)", "p50 without (ms)",
                  "p50 difference (ms)", "p95 with (ms)", "p95 without (ms)", "p95 difference (ms)"], rows,
                 align="llrrrrrr") + [""]
    notes = [f"- {code(p.name)}: in {p.checks_refused} runs the checks at commit refused the rows written alone (an "
             "application writes the rest of the group in the same transaction); those runs did the checking and "
             "are timed" for p in measured if p.checks_refused]
    notes += [f"- {code(p.name)}: {text(p.rules_error)}" for p in measured if p.rules_error]
    return out + (notes + [""] if notes else [])


def row_security_cost(result: BenchResult) -> list[str]:
    """Every pattern timed without and with the row-level security policies (none: nothing)."""
    measured = [p for p in result.patterns if p.with_policies or p.policies_error]
    if not measured:
        return []
    rows = []
    for p in measured:
        off, on = p.without_policies, p.with_policies
        rows.append([code(p.name), text(p.policies_role or "—"), ms(off.p50 if off else None),
                     ms(on.p50 if on else None), _difference(on.p50, off.p50) if on and off else "—",
                     ms(off.p95 if off else None), ms(on.p95 if on else None),
                     _difference(on.p95, off.p95) if on and off else "—"])
    out = ["## Cost of row-level security", "",
           f"Each pattern timed again, {result.runs} parameter sets drawn from the data (after {result.warmup} "
           "warm-up ones), each run twice with the two runs interleaved: without the policies as the loading "
           "role, which bypasses row-level security (BYPASSRLS), and with them as the group role that runs it, "
           "with the tenant setting set in the transaction to the tenant the parameters belong to, as the "
           "application sets it. Each is prepared as the role that runs it, so the second plan holds the "
           "policies' conditions.", ""]
    out += table(["Pattern", "Runs as", "p50 without (ms)", "p50 with (ms)", "p50 difference (ms)",
                  "p95 without (ms)", "p95 with (ms)", "p95 difference (ms)"], rows, align="llrrrrrr") + [""]
    notes = [f"- {code(p.name)}: {text(p.policies_error)}" for p in measured if p.policies_error]
    notes += [f"- {code(p.name)}: {p.policies_rows[0]:.1f} rows per run without the policies, "
              f"{p.policies_rows[1]:.1f} with them (the policies keep the rows of the tenant set)"
              for p in measured if p.policies_rows and abs(p.policies_rows[0] - p.policies_rows[1]) > 1e-9]
    return out + (notes + [""] if notes else [])


def _setup(result: BenchResult) -> list[str]:
    advised = [i for i in result.indexes if i.source == "advisor"]
    return [f"- **Data:** {result.rows_loaded:,} synthetic rows (declared volumes × {result.scale:g}, seed "
            f"{result.seed}), loaded in {result.generation_seconds:.1f} s ({result.rows_per_second:,.0f} rows/s)",
            f"- **Server:** {text(server_label(result.server, result.server_version))}",
            f"- **Indexes:** the design's {len(result.indexes) - len(advised)}, plus {len(advised)} chosen by the "
            f"planner-checked advisor on this data (what-if: {text(result.whatif)})" if not result.whatif.startswith("none")
            else f"- **Indexes:** the design's {len(result.indexes)}, chosen by the planner at the declared volumes "
                 "(measured as the DDL creates them)"] \
        + ([f"- **Note:** {text(result.sandbox_note)}"] if result.sandbox_note else [])


def _advised(result: BenchResult) -> list[str]:
    advised = [i for i in result.indexes if i.source == "advisor"]
    if not advised:
        return ["The advisor added no index to the design's on this data (no candidate lowered the workload's "
                "planner cost enough within its budgets).", ""]
    rows = [[code(i.name), code(i.definition), number(i.size_bytes) if i.size_bytes is not None else "—",
             ", ".join(code(p) for p in i.patterns) or "—"] for i in advised]
    return table(["Index", "Definition", "Size (bytes)", "Serves"], rows, align="llrl") + [""]


def index_use_summary(result: BenchResult) -> str:
    """One line: how many of the design's indexes the plans read, keep for a constraint, or waste."""
    uses = result.index_use
    if not uses:
        return ""
    used = sum(u.verdict == "used" for u in uses)
    kept = sum(u.verdict == "kept" for u in uses)
    unused = [u.name for u in uses if u.verdict == "unused"]
    text_ = (f"Of the design's {len(uses)} indexes, {used} {'is' if used == 1 else 'are'} read by some pattern's "
             f"plan at this scale and {kept} {'is' if kept == 1 else 'are'} kept for a constraint or a foreign key")
    serve = "serves" if len(unused) == 1 else "serve"
    return text_ + (f"; {len(unused)} {serve} nothing here: {', '.join(code(n) for n in unused)}." if unused else
                    "; none is unused.")


def _index_use(result: BenchResult) -> list[str]:
    if not result.index_use:
        return []
    rows = []
    for use in result.index_use:
        instead = f" ({code(use.instead)} leads with the same columns and serves its foreign key)" \
            if use.instead and use.instead != "a key" else " (a key leads with the same columns)" if use.instead else ""
        verdict = {"used": "used", "kept": f"kept: {text(use.kept_for)}",
                   "unused": "**unused**: no plan reads it and no constraint needs it" + instead}[use.verdict]
        elsewhere = f" (the plans of {', '.join(code(p) for p in use.not_used_by)} read another index or none)" \
            if use.not_used_by else ""
        rows.append([code(use.name), code(use.table), ", ".join(code(p) for p in use.used_by) or "—",
                     verdict + elsewhere])
    return (["## The design's indexes in the plans", "", index_use_summary(result), "",
             "Each index of the design beside the patterns whose EXPLAIN ANALYZE at this scale reads it. An index "
             "listed for a pattern whose plan reads another (an advisor's index, a key) says so: *served by* "
             "is what the plan does.", ""]
            + table(["Index", "Table", "Read by the plans of", "Verdict"], rows) + [""])


def to_bench_markdown(result: BenchResult) -> str:
    out = [f"# Performance of {text(result.project)} at scale {result.scale:g}", "", summary(result), ""]
    out += _setup(result) + [""]
    out += loaded_rows_section(result)
    out += [f"![p50 and p95 latency per access pattern against its target]({CHART_SVG})", ""]
    out += ["## Access patterns", ""] + pattern_table(result) + [""] + _errors(result)
    out += ["Latencies are measured by the client around each execution of the prepared statement, "
            "each run in a transaction that is rolled back. Buffers and plan come from one "
            "EXPLAIN (ANALYZE, BUFFERS) after the timed runs.", ""]
    out += rules_cost(result)
    out += row_security_cost(result)
    out += partitioning_section(result)
    out += _index_use(result)
    out += ["## Indexes chosen by the advisor", ""] + _advised(result)
    out += ["## Indexes measured besides primary keys and unique constraints", ""]
    out += table(["Index", "Table", "Source"], [[code(i.name), code(i.table), i.source] for i in result.indexes]) + [""]
    return "\n".join(out).rstrip() + "\n"


def performance_section(result: BenchResult) -> list[str]:
    """The section `design --bench` and `bench -o` put at the end of report.md."""
    out = [f'<a id="{SECTION_ANCHOR}"></a>', "", f"## Performance at scale {result.scale:g}", "",
           summary(result), ""]
    out += _setup(result) + [""]
    out += loaded_rows_section(result, heading="###")
    out += pattern_table(result) + [""] + _errors(result)
    out += [index_use_summary(result), ""] if result.index_use else []
    out += partitioning_section(result, heading="###")
    out += [f"![p50 and p95 latency per access pattern against its target]({CHART_SVG}) "
            f"([PNG]({CHART_PNG}); details and the advisor's indexes in [{REPORT}]({REPORT}))", ""]
    return out
