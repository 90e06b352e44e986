"""The "Concurrent load" section of bench.md, and the console's summary line of it."""

from __future__ import annotations

from schemawright.documentation.markdown import code, number, table, text
from schemawright.performance.concurrent import HEADROOM, MAX_RETRIES
from schemawright.performance.concurrent_results import RATE_SUSTAINED, LoadResult, PatternLoad
from schemawright.performance.report import ms

CHART_SVG = "bench-concurrent.svg"
CHART_PNG = "bench-concurrent.png"


def rate(value: float) -> str:
    return f"{value:,.2f}" if value < 10 else f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def scale_sentence(load: LoadResult) -> str:
    """How the rates were chosen: said in every output, since the scale changes what PASS means."""
    asked = (f"{load.rate_scale:.1%} of the declared rates ({rate(load.target_rate)} of {rate(load.declared_rate)} "
             "runs/s)")
    if load.scale_source == "given":
        return f"{asked}, as --rate-scale asked"
    sustained = f"a closed-loop calibration sustained {rate(load.capacity or 0)} runs/s"
    if load.rate_scale >= 1:
        return f"{asked}: {sustained}, more than the declared mix needs"
    return f"{asked}: {sustained} on this machine, and the load asks for {HEADROOM:.0%} of that"


def summary(load: LoadResult) -> str:
    met = len(load.patterns) - len(load.missed)
    verdict = (f"all {met} access patterns meet their p95 target at their rate" if not load.missed else
               f"{met} of {len(load.patterns)} access patterns meet their p95 target at their rate, "
               f"{len(load.missed)} do not ({', '.join(p.name for p in load.missed)})")
    return (f"{load.connections} connections for {load.duration:g} s at {scale_sentence(load)}; {verdict}; "
            f"{rate(load.achieved_rate)} runs/s achieved, {load.conflicts} serialization failures and deadlocks "
            "retried")


def _verdict(p: PatternLoad) -> str:
    if p.verdict == "FAIL" and not p.rate_sustained and not (p.target_ms is not None and p.latency is not None
                                                             and p.latency.p95 > p.target_ms):
        return "**FAIL** (rate)"
    return {"PASS": "PASS", "FAIL": "**FAIL**", "ERROR": "**ERROR**", "NOT MEASURED": "**NOT MEASURED**"}[p.verdict]


def _rows(load: LoadResult) -> list[list[str]]:
    rows = []
    for p in load.patterns:
        lat = p.latency
        rows.append([code(p.name), p.kind, rate(p.frequency), rate(p.target_rate), rate(p.achieved_rate),
                     number(round(p.rows, 1)) if p.rows is not None else "—",
                     ms(lat.p50 if lat else None), ms(lat.p95 if lat else None), ms(lat.p99 if lat else None),
                     ms(p.target_ms), ms(p.commit_p95), ms(p.start_delay_p95), number(p.serialization_failures),
                     number(p.deadlocks),
                     number(p.refused), number(p.errors), _verdict(p)])
    return rows


def _notes(load: LoadResult) -> list[str]:
    notes = [f"- {code(p.name)}: {p.errors:,} run(s) failed: {text(p.error)}" if p.errors else
             f"- {code(p.name)}: {text(p.error)}" for p in load.patterns if p.error and not p.refused]
    notes += [f"- {code(p.name)}: {p.refused:,} run(s) refused by a constraint (the drawn values, e.g. a key another "
              f"run inserted first): {text(p.error)}" for p in load.patterns if p.refused]
    notes += [f"- {code(p.name)}: {p.gave_up:,} run(s) still failed after {MAX_RETRIES} retries (counted as errors)"
              for p in load.patterns if p.gave_up]
    notes += [f"- {code(p.name)}: a parameter draw failed, so its runs repeat one value for those parameters "
              f"({text(failure)})" for p in load.patterns for failure in p.draw_failures]
    roles = [p for p in load.patterns if p.runs_as]
    if roles:
        runs_as = ", ".join(f"{code(p.name)} as {text(p.runs_as)}" for p in roles)
        notes.append("- Row-level security: each run sets its group role and its tenant with SET LOCAL in its "
                     f"transaction, before the timed statement ({runs_as})")
    if load.not_started:
        notes.append(f"- {load.not_started:,} scheduled run(s) had not started when the time was up: the connections "
                     "fell behind the schedule")
    return notes


def load_section(load: LoadResult | None) -> list[str]:
    """bench.md's section for `bench --concurrent` (nothing without it)."""
    if load is None:
        return []
    out = ["## Concurrent load", "", summary(load)[0].upper() + summary(load)[1:] + ".", ""]
    out += [f"![p50, p95 and p99 latency per access pattern under the concurrent load, and achieved rates]"
            f"({CHART_SVG})", ""]
    out += table(["Pattern", "Kind", "Declared /s", "Target /s", "Achieved /s", "Rows / run", "p50 (ms)", "p95 (ms)",
                  "p99 (ms)", "Target p95 (ms)", "Commit p95 (ms)", "Start delay p95 (ms)", "Serialization failures",
                  "Deadlocks", "Refused", "Errors", "Result"], _rows(load), align="llrrrrrrrrrrrrrrl") + [""]
    out += _notes(load) + ([""] if _notes(load) else [])
    out += [f"Every access pattern runs at once, at its `frequency` times the rate scale, scheduled evenly from a "
            f"seeded start, each run taken by whichever of the {load.connections} connections is free; a run that "
            "finds them all busy starts late (start delay). Each run is its own transaction at the design's "
            f"isolation ({text(load.isolation)}) and commits, as the application's would; the statement is timed "
            "apart from its COMMIT (commit p95: the WAL flush, which an application's transaction pays once for all "
            f"its statements). A serialization failure or deadlock is retried up to {MAX_RETRIES} times after a "
            "short random pause and counted; the latency of such a run is from its first attempt to its success. "
            f"A pattern passes when its p95 meets its target and it achieved at least {RATE_SUSTAINED:.0%} of its "
            "target rate. Parameters are drawn from the data as for the single-pattern timing, one set per run. "
            f"The server saw up to {load.connections_seen} load connections at once, {load.most_active} of them "
            "running a statement at the same moment.", ""]
    return out
