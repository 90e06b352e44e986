"""Proof of the configuration plan, part two: the patterns run at least as well with the
generated settings as with PostgreSQL's defaults, both measured in one run.

Two scratch servers of the machine's PostgreSQL (validation/operations/tuned_server.py), one
with config/postgresql.operations.conf and one with nothing added, each get the same data
(same scale, same seed) and run `bench --concurrent`'s load (performance/concurrent.py):
- round 1, each calibrated: its closed-loop capacity (runs per second with every connection
  busy) is the side's throughput;
- round 2, in the other order (so a drift of the shared machine hits both sides alike), each
  at the same offered rate (the smaller of the two calibrated scales): per-pattern p95, and
  the side's p95 is their geometric mean (each pattern counts alike, whatever its latency).
PASS when the tuned side's throughput is at least (1 - NOISE) x the default's and its p95 at
most (1 + NOISE) x the default's (+ FLOOR_MS, as sub-millisecond p95s jitter by more than 20 %).
"""

from __future__ import annotations

import math
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
from schemawright.security.names import run_roles, scoped
from schemawright.sql.quoting import quote_ident
from schemawright.validation.operations.configuration_proof import CONF
from schemawright.validation.operations.context import OperationsRun
from schemawright.validation.operations.tuned_server import fitted, settings_in, tuned_server
from schemawright.validation.report import FAIL, NOT_TRIED, PASS, Check
from schemawright.validation.synthetic import design_enums

NAME = "configuration: the patterns run at least as well with the settings as with the defaults"
# Short runs on a shared 2-core machine: two runs of one server differ by up to ~15 %
# (benchmarks/operations_config.py measures default against default); 20 % is beyond that.
NOISE = 0.20
FLOOR_MS = 0.5
DEFAULTS = "# PostgreSQL's defaults: nothing added\n"
PROOF_LOAD = LoadOptions(duration=6.0, connections=8)

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
    text = run.files.get(CONF)
    if text is None:
        yield Check(NAME, NOT_TRIED, f"the plan wrote no {CONF}")
        return
    yield compared(run.design, text, scale=run.scale, seed=run.seed, say=run.say)


def compared(design: m.Design, text: str, *, scale: float, seed: int, options: LoadOptions = PROOF_LOAD,
             say: Say = lambda _text: None) -> Check:
    if debian_binaries() is None:
        return Check(NAME, NOT_TRIED, "no PostgreSQL server binaries under /usr/lib/postgresql")
    try:
        comparison = compare(design, text, scale=scale, seed=seed, options=options, say=say)
    except ServerError as error:
        return Check(NAME, FAIL, f"a server did not start: {error}")
    except (DatabaseError, GenerationError) as error:
        return Check(NAME, FAIL, str(error))
    return Check(NAME, PASS if comparison.passed else FAIL, comparison.detail())


def compare(design: m.Design, text: str, *, scale: float, seed: int, options: LoadOptions = PROOF_LOAD,
            say: Say = lambda _text: None) -> Comparison:
    """Both sides measured in one run (see the module's docstring)."""
    binaries = debian_binaries()
    assert binaries is not None
    tuned_text, note = fitted(text, design.machine.memory_gb, servers=2)
    limit = int(settings_in(tuned_text).get("max_connections", "100"))
    load = LoadOptions(options.duration, max(1, min(options.connections, limit - 8)))
    enums = design_enums(design)
    with ExitStack() as stack:
        urls = {}
        for side, fragment in (("default", DEFAULTS), ("tuned", tuned_text)):
            say(f"Starting the {side} server")
            running = stack.enter_context(tuned_server(binaries, fragment))
            box = stack.enter_context(sandboxed_database(running.url, design.extensions, run_roles(design)))
            loaded = for_generated_rows(scoped(design, box.database) if design.roles else design)
            say(f"Loading the {side} server at scale {scale:g}")
            generate(loaded, box.url, scale, seed)
            with Database(box.url) as db:
                db.execute("VACUUM (ANALYZE) " + ", ".join(quote_ident(t.name) for t in loaded.tables))
            urls[side] = (box.url, loaded)
        first: dict[str, LoadResult] = {}
        for side in ("default", "tuned"):
            say(f"Calibrating and loading the {side} server")
            url, loaded = urls[side]
            first[side] = run_load(url, loaded, load, seed=seed, enums=enums)
        common = min(r.rate_scale for r in first.values())
        second: dict[str, LoadResult] = {}
        for side in ("tuned", "default"):
            say(f"Loading the {side} server at {common:.1%} of the declared rates")
            url, loaded = urls[side]
            second[side] = run_load(url, loaded, LoadOptions(load.duration, load.connections, common), seed=seed + 2,
                                    enums=enums)
    both = set.intersection(*({p.name for p in r.patterns if p.latency} for r in second.values()))
    sides = {side: _side(side, first[side], second[side], both) for side in first}
    return Comparison(sides["tuned"], sides["default"], common, note)


def _side(name: str, calibrated: LoadResult, measured: LoadResult, patterns: set[str]) -> Side:
    p95s = {p.name: p.latency.p95 for p in measured.patterns if p.name in patterns and p.latency}
    mean = math.exp(sum(math.log(max(v, 1e-3)) for v in p95s.values()) / len(p95s)) if p95s else 0.0
    errors = sum(p.errors for p in (*calibrated.patterns, *measured.patterns))
    return Side(name, calibrated.capacity or 0.0, mean, dict(sorted(p95s.items())), errors)
