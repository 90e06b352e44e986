"""Proof of the configuration plan, part two: the patterns run at least as well with the
generated settings as with PostgreSQL's defaults, both measured in one run.

Two scratch servers of the machine's PostgreSQL (validation/operations/tuned_server.py), one
with the configuration the planner gives for this machine and the data loaded (`planned_here`;
configuration_proof proves the target's own file is accepted) and one with nothing added, each
get the same data (same scale, same seed) and run `bench --concurrent`'s load
(performance/concurrent.py):
- each calibrated in turn: its closed-loop capacity (runs per second with every connection
  busy) is the side's throughput;
- then each twice at the same offered rate (the smaller of the two calibrated scales), in the
  order tuned, default, default, tuned, so a drift of the shared machine hits both sides
  alike: each pattern's p95 is the mean of its two runs, and the side's p95 their geometric
  mean (each pattern counts alike, whatever its latency).
After every load that side is settled (VACUUM ANALYZE, CHECKPOINT), so the autovacuum and dirty
buffers one load leaves do not run during the other side's next load.
PASS when the tuned side's throughput is at least (1 - NOISE) x the default's and its p95 at
most (1 + NOISE) x the default's (+ FLOOR_MS, as sub-millisecond p95s jitter by more than 20 %).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass

from schemawright import model as m
from schemawright.database import Database, DatabaseError, sandboxed_database
from schemawright.database.configured_server import ServerError, debian_binaries
from schemawright.generation.columns import GenerationError
from schemawright.generation.run import generate
from schemawright.performance.concurrent import LoadOptions, run_load
from schemawright.performance.concurrent_results import LoadResult
from schemawright.performance.partition_compare import for_generated_rows
from schemawright.scaling.machine import with_machine
from schemawright.scaling.plan import plan_operations
from schemawright.security.names import run_roles, scoped
from schemawright.sql.quoting import quote_ident
from schemawright.validation.operations.configuration_proof import CONF
from schemawright.validation.operations.context import OperationsRun
from schemawright.validation.operations.tuned_server import available_memory, fitted, settings_in, tuned_server
from schemawright.validation.report import FAIL, NOT_TRIED, PASS, Check
from schemawright.validation.synthetic import design_enums

NAME = "configuration: the patterns run at least as well with the settings as with the defaults"
# Short runs on a shared 2-core machine: benchmarks/operations_config.py --aa (defaults against
# defaults, shop at scale 0.01, 15 s loads) measured a throughput ratio of 0.84 and a p95 ratio
# of 0.97 between two identical servers; 20 % covers that.
NOISE = 0.20
FLOOR_MS = 0.5
DEFAULTS = "# PostgreSQL's defaults: nothing added\n"
PROOF_LOAD = LoadOptions(duration=4.0, connections=8)
# The p95 loads in an order that gives neither side the machine's quieter moments (ABBA).
FIXED_ORDER = ("tuned", "default", "default", "tuned")

Say = Callable[[str], None]


@dataclass(frozen=True)
class Side:
    name: str
    throughput: float  # runs per second, closed loop
    p95_ms: float  # geometric mean over the patterns of their p95 at the common rate
    p95s: dict[str, float]
    errors: int


@dataclass(frozen=True)
class Comparison:
    tuned: Side
    default: Side
    rate_scale: float
    note: str

    @property
    def passed(self) -> bool:
        return (self.tuned.throughput >= (1 - NOISE) * self.default.throughput
                and self.tuned.p95_ms <= (1 + NOISE) * self.default.p95_ms + FLOOR_MS)

    def detail(self) -> str:
        t, d = self.tuned, self.default
        text = (f"throughput {t.throughput:,.0f} runs/s tuned vs {d.throughput:,.0f} default "
                f"({t.throughput / d.throughput - 1:+.0%}); p95 {t.p95_ms:.2f} ms vs {d.p95_ms:.2f} ms "
                f"(geometric mean over {len(t.p95s)} patterns at {self.rate_scale:.1%} of the declared rates); "
                f"noise margin {NOISE:.0%} (+{FLOOR_MS} ms on p95)")
        return text + (f"; {self.note}" if self.note else "")


def checks(run: OperationsRun) -> Iterator[Check]:
    if CONF not in run.files:
        yield Check(NAME, NOT_TRIED, f"the plan wrote no {CONF}")
        return
    text, note, memory_gb = planned_here(run.design, run.scale)
    yield compared(run.design, text, scale=run.scale, seed=run.seed, say=run.say, note=note, memory_gb=memory_gb)


def planned_here(design: m.Design, scale: float, servers: int = 2) -> tuple[str, str, float]:
    """The configuration the planner gives for what this proof runs: the data it loads (the volumes
    x `scale`) on this machine (its cores, and its free memory shared by `servers` servers).  The
    file written for the target is proven accepted by configuration_proof; here its rules are proven
    on a machine and data they can be measured on: a 16-core, 64 GiB plan on 2 cores and 1 % of the
    rows would measure parallel workers fighting for two cores and a buffer pool a hundred times the
    data (each new connection mapping every page it touches), not the settings.  Returns the file,
    a note saying so and the memory (GiB) it was planned for."""
    cores = os.cpu_count() or 1
    # 90 % of the free memory each server may take: what is free moves while the proof runs.
    free = available_memory()
    memory_gb = max(1.0, 0.9 * free / servers / 1024**3) if free else design.machine.memory_gb
    volumes = tuple(v.model_copy(update={"rows": max(1, round(v.rows * scale)),
                                         "growth_per_month": round(v.growth_per_month * scale)})
                    for v in design.volumes)
    memory_gb = round(memory_gb, 1)
    here = with_machine(design.model_copy(update={"volumes": volumes}), cores=cores, memory_gb=memory_gb)
    text = plan_operations(here).sections["configuration"].files()[CONF]
    return text, (f"planned for this machine ({cores} cores, {memory_gb:.1f} GiB per server) and the {scale:g} of "
                  f"the volumes loaded"), memory_gb


def compared(design: m.Design, text: str, *, scale: float, seed: int, options: LoadOptions = PROOF_LOAD,
             say: Say = lambda _text: None, note: str = "", memory_gb: float | None = None) -> Check:
    if debian_binaries() is None:
        return Check(NAME, NOT_TRIED, "no PostgreSQL server binaries under /usr/lib/postgresql")
    try:
        comparison = compare(design, text, scale=scale, seed=seed, options=options, say=say, memory_gb=memory_gb)
    except ServerError as error:
        return Check(NAME, FAIL, f"a server did not start: {error}")
    except (DatabaseError, GenerationError) as error:
        return Check(NAME, FAIL, str(error))
    detail = comparison.detail() + (f"; {note}" if note else "")
    return Check(NAME, PASS if comparison.passed else FAIL, detail)


def compare(design: m.Design, text: str, *, scale: float, seed: int, options: LoadOptions = PROOF_LOAD,
            say: Say = lambda _text: None, memory_gb: float | None = None) -> Comparison:
    """Both sides measured in one run (see the module's docstring); `memory_gb`: the memory `text`
    was planned for (default: the design's target machine), to fit it to this machine."""
    binaries = debian_binaries()
    assert binaries is not None
    tuned_text, note = fitted(text, memory_gb or design.machine.memory_gb, servers=2)
    limit = int(settings_in(tuned_text).get("max_connections", "100"))
    load = LoadOptions(options.duration, max(1, min(options.connections, limit - 8)))
    enums = design_enums(design)
    with ExitStack() as stack:
        sides: dict[str, tuple[str, str, m.Design]] = {}  # side -> (admin url, scratch url, design as loaded)
        for side, fragment in (("default", DEFAULTS), ("tuned", tuned_text)):
            say(f"Starting the {side} server")
            running = stack.enter_context(tuned_server(binaries, fragment))
            box = stack.enter_context(sandboxed_database(running.url, design.extensions, run_roles(design)))
            loaded = for_generated_rows(scoped(design, box.database) if design.roles else design)
            say(f"Loading the {side} server at scale {scale:g}")
            generate(loaded, box.url, scale, seed)
            sides[side] = (running.url, box.url, loaded)
            _settle(*sides[side])
        calibrated: dict[str, LoadResult] = {}
        for side in ("default", "tuned"):
            say(f"Calibrating and loading the {side} server")
            calibrated[side] = run_load(sides[side][1], sides[side][2], load, seed=seed, enums=enums)
            _settle(*sides[side])
        common = min(r.rate_scale for r in calibrated.values())
        fixed = LoadOptions(load.duration, load.connections, common)
        measured: dict[str, list[LoadResult]] = {"default": [], "tuned": []}
        for number, side in enumerate(FIXED_ORDER):
            say(f"Loading the {side} server at {common:.1%} of the declared rates")
            measured[side].append(run_load(sides[side][1], sides[side][2], fixed, seed=seed + 2 + number, enums=enums))
            _settle(*sides[side])
    both = set.intersection(*({p.name for p in r.patterns if p.latency} for runs in measured.values() for r in runs))
    result = {side: _side(side, calibrated[side], measured[side], both) for side in calibrated}
    return Comparison(result["tuned"], result["default"], common, note)


def _settle(admin_url: str, url: str, design: m.Design) -> None:
    """Vacuum and analyse what a load wrote, then checkpoint, so no work a load left behind (autovacuum,
    dirty buffers) runs during the other side's next load on the same machine."""
    with Database(url) as db:
        db.execute("VACUUM (ANALYZE) " + ", ".join(quote_ident(t.name) for t in design.tables))
    with Database(admin_url) as admin:
        admin.execute("CHECKPOINT")


def _side(name: str, calibrated: LoadResult, measured: list[LoadResult], patterns: set[str]) -> Side:
    """Throughput from the calibration; each pattern's p95 the mean of its runs at the common rate."""
    p95s = {p: sum(next(x.latency.p95 for x in r.patterns if x.name == p and x.latency) for r in measured)
            / len(measured) for p in sorted(patterns)}
    mean = math.exp(sum(math.log(max(v, 1e-3)) for v in p95s.values()) / len(p95s)) if p95s else 0.0
    errors = sum(p.errors for r in (calibrated, *measured) for p in r.patterns)
    return Side(name, calibrated.capacity or 0.0, mean, p95s, errors)
