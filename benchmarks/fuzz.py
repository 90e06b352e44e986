"""Fuzz schemawright's input-reading commands at volume, with a time and a memory cap per case.

    python benchmarks/fuzz.py                         # 10,000 specs, 1,000 each of SQL, DBML, CSV
    python benchmarks/fuzz.py --specs 500 --sql 100 --dbml 100 --csv 100 --workers 2
    python benchmarks/fuzz.py --database-url postgresql://postgres@127.0.0.1:5432/postgres

Each case is drawn from its own seed (kind and number), so `--only spec:1234` replays one.
Cases run in worker processes capped at --memory-mb of address space; a case still running
after --timeout seconds is a hang (its worker is killed and replaced). Specs that `check`
accepts are designed and their schema.sql applied (and rolled back) on a real PostgreSQL, in
one scratch database per worker, next to a sentinel role that hostile names try to drop.
Findings are grouped by kind and first message line and written, with the inputs that
caused them, under --findings.

Prints per input kind: cases, read (the command that reads the input, check, import or
normalize, accepted it), refused cleanly, lint's verdict on SQL and DBML (clean, findings,
refused: its exit 1 for findings is not a refusal of the input), internal errors and
tracebacks, hangs, DDL refused by PostgreSQL, injections; then the distinct findings. Exit 1
on any finding.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import re
import resource
import sys
import tempfile
import time
from collections import Counter, defaultdict
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))  # the mutators and the outcome classifier live beside the fuzz test
sys.path.insert(0, str(ROOT / "benchmarks"))

from _report import print_table  # noqa: E402
from fuzz_runner import SENTINEL_ROLE, check_and_design, ddl_refused, ensure_sentinel, run_cli, sentinel_alive  # noqa: E402
from mutations import SEED_DBML, mutated_dbml, mutated_spec, mutated_sql, random_csv, seed_specs, seed_sql  # noqa: E402

from schemawright.database import Database, embedded_server, scratch_database  # noqa: E402

KINDS = ("spec", "sql", "dbml", "csv")
SUFFIX = {"spec": "yaml", "sql": "sql", "dbml": "dbml", "csv": "csv"}


def make_input(kind: str, number: int) -> str:
    rng = random.Random(f"{kind}-{number}")
    if kind == "spec":
        return mutated_spec(seed_specs(), rng)
    if kind == "sql":
        return mutated_sql(seed_sql(), rng)
    if kind == "dbml":
        return mutated_dbml([SEED_DBML], rng)
    return random_csv(rng)


def run_case(kind: str, number: int, work: Path, db: Database | None) -> tuple[str, str, str | None]:
    """(category, message, lint verdict) for one case.  category: accepted (the reading command,
    check, import or normalize, exited 0), refused, crash, ddl, injection; lint verdict, for SQL
    and DBML: clean (exit 0), findings (exit 1) or refused (another exit)."""
    text = make_input(kind, number)
    case = work / f"{kind}{number}"
    case.mkdir()
    path = case / f"input.{SUFFIX[kind]}"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    if kind == "spec":
        outcomes = check_and_design(path, case / "out")
    elif kind == "sql":
        dialect = random.Random(number).choice(["postgresql", "postgresql", "mysql", "sqlite"])
        outcomes = [run_cli(["import", str(path), "--dialect", dialect, "-o", str(case / "spec.yaml"),
                             "--dbml", str(case / "out.dbml")]),
                    run_cli(["lint", str(path), "--dialect", dialect, "--format", "sarif"])]
    elif kind == "dbml":
        outcomes = [run_cli(["import", str(path), "-o", str(case / "spec.yaml")]), run_cli(["lint", str(path)])]
    else:
        outcomes = [run_cli(["normalize", str(path), "-o", str(case / "out")])]
    lint = None
    if kind in ("sql", "dbml"):
        lint = {0: "clean", 1: "findings"}.get(outcomes[-1].exit_code, "refused")
    for outcome in outcomes:
        if outcome.defect:
            return "crash", f"{outcome.command}: {outcome.crash}", lint
    if kind == "spec" and len(outcomes) == 2:
        if not outcomes[1].accepted:
            return "ddl", "design failed after check accepted: " + outcomes[1].output.strip().splitlines()[-1][:200], lint
        if db is not None:
            refused = ddl_refused(db, (case / "out" / "schema.sql").read_text(encoding="utf-8"))
            if refused is not None:
                return ("injection" if refused.startswith("injection") else "ddl"), refused, lint
            if not sentinel_alive(db):
                return "injection", "the sentinel role was dropped", lint
    # Read: the command that reads the input accepted it; lint's exit 1 (it found problems) is its verdict.
    return ("accepted" if outcomes[0].accepted else "refused"), "", lint


def _worker(conn, server_url: str | None, memory_mb: int) -> None:  # noqa: ANN001 - a Connection
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 2**20, memory_mb * 2**20))
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 3000))
    with ExitStack() as stack:
        db = None
        if server_url:
            db = stack.enter_context(Database(server_url, statement_timeout_ms=20_000))
            ensure_sentinel(db)
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sw-fuzz-")))
        while True:
            task = conn.recv()
            if task is None:
                return
            kind, number = task
            try:
                result = run_case(kind, number, work, db)
            except MemoryError:
                result = ("crash", "MemoryError in the fuzz worker (over the memory cap)")
            except Exception as exc:  # the classifier itself failed: report it, keep going
                result = ("crash", f"fuzz harness: {type(exc).__name__}: {exc}"[:300])
            conn.send(result)


class Pool:
    """Workers fed one case at a time; a case over the time limit kills and replaces its worker."""

    def __init__(self, size: int, urls: list[str | None], memory_mb: int, timeout: float):
        self.ctx = mp.get_context("fork")
        self.urls, self.memory_mb, self.timeout = urls, memory_mb, timeout
        self.slots = [self._start(i) for i in range(size)]

    def _start(self, i: int) -> dict:
        parent, child = self.ctx.Pipe()
        process = self.ctx.Process(target=_worker, args=(child, self.urls[i], self.memory_mb), daemon=True)
        process.start()
        return {"process": process, "conn": parent, "task": None, "since": 0.0, "i": i}

    def run(self, tasks: list[tuple[str, int]], on_result) -> None:  # noqa: ANN001 - a callback
        pending = list(reversed(tasks))
        while pending or any(s["task"] for s in self.slots):
            for slot in self.slots:
                if slot["task"] is None and pending:
                    slot["task"], slot["since"] = pending.pop(), time.monotonic()
                    slot["conn"].send(slot["task"])
            time.sleep(0.005)
            for n, slot in enumerate(self.slots):
                if slot["task"] is None:
                    continue
                if slot["conn"].poll():
                    try:
                        result = slot["conn"].recv()
                    except (EOFError, OSError):
                        result = ("crash", "the worker died (killed by the memory cap or a signal)")
                        self.slots[n] = self._replace(slot)
                    on_result(slot["task"], result, time.monotonic() - slot["since"])
                    slot["task"] = None
                elif not slot["process"].is_alive():
                    on_result(slot["task"], ("crash", f"the worker died (exit {slot['process'].exitcode})"),
                              time.monotonic() - slot["since"])
                    self.slots[n] = self._replace(slot)
                elif time.monotonic() - slot["since"] > self.timeout:
                    on_result(slot["task"], ("hang", f"still running after {self.timeout:.0f} s"),
                              time.monotonic() - slot["since"])
                    self.slots[n] = self._replace(slot)

    def _replace(self, slot: dict) -> dict:
        slot["process"].kill()
        slot["process"].join()
        return self._start(slot["i"])

    def close(self) -> None:
        for slot in self.slots:
            try:
                slot["conn"].send(None)
            except (BrokenPipeError, OSError):
                pass
            slot["process"].join(timeout=5)
            if slot["process"].is_alive():
                slot["process"].kill()


def _drop_sentinel(server: str) -> None:
    with Database(server) as db:
        db.execute(f"DROP ROLE IF EXISTS {SENTINEL_ROLE}")


def _signature(message: str) -> str:
    """A finding's message without the parts that vary between cases (names, numbers, paths)."""
    first = message.splitlines()[0] if message else ""
    first = re.sub(r"/tmp/\S+", "<path>", first)
    first = re.sub(r'"[^"]*"', '"…"', first)
    first = re.sub(r"'[^']*'", "'…'", first)
    return re.sub(r"\d+", "N", first)[:160]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--specs", type=int, default=10_000)
    parser.add_argument("--sql", type=int, default=1_000)
    parser.add_argument("--dbml", type=int, default=1_000)
    parser.add_argument("--csv", type=int, default=1_000)
    parser.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 2)))
    parser.add_argument("--timeout", type=float, default=30.0, help="Seconds before a case counts as a hang.")
    parser.add_argument("--memory-mb", type=int, default=2048, help="Address-space cap of each worker.")
    parser.add_argument("--database-url", help="PostgreSQL server for the DDL check (default: embedded).")
    parser.add_argument("--no-ddl", action="store_true", help="Skip applying accepted specs' DDL.")
    parser.add_argument("--only", help="Replay one case, e.g. spec:1234, and print its input and outcome.")
    parser.add_argument("--findings", type=Path, default=Path("fuzz-findings"), help="Where failing inputs go.")
    args = parser.parse_args()

    if args.only:
        kind, number = args.only.split(":")
        print(make_input(kind, int(number)))
        print("---")
        with tempfile.TemporaryDirectory() as work:
            print(run_case(kind, int(number), Path(work), None))
        return 0

    counts = {"spec": args.specs, "sql": args.sql, "dbml": args.dbml, "csv": args.csv}
    tasks = [(kind, n) for kind in KINDS for n in range(counts[kind])]
    random.Random(0).shuffle(tasks)  # mix the kinds so every worker sees all of them
    tally: dict[str, Counter] = defaultdict(Counter)
    findings: dict[tuple[str, str], list[tuple[str, int, str]]] = defaultdict(list)
    slowest: list[float] = []
    started = time.monotonic()
    done = 0

    def on_result(task: tuple[str, int], result: tuple, seconds: float) -> None:
        nonlocal done
        kind, number = task
        category, message = result[:2]
        lint = result[2] if len(result) > 2 else None  # a killed worker reports (category, message)
        tally[kind][category] += 1
        if lint:
            tally[kind][f"lint {lint}"] += 1
        slowest.append(seconds)
        if category not in ("accepted", "refused"):
            findings[(category, _signature(message))].append((kind, number, message))
        done += 1
        if done % 200 == 0 or done == len(tasks):
            rate = done / (time.monotonic() - started)
            print(f"  {done:,}/{len(tasks):,} cases, {rate:.1f}/s, {sum(len(v) for v in findings.values())} findings",
                  file=sys.stderr, flush=True)

    with ExitStack() as stack:
        urls: list[str | None] = [None] * args.workers
        if not args.no_ddl:
            server = args.database_url or stack.enter_context(embedded_server())
            stack.callback(_drop_sentinel, server)  # roles are per server: leave none on a shared one
            urls = [stack.enter_context(scratch_database(server)) for _ in range(args.workers)]
        pool = Pool(args.workers, urls, args.memory_mb, args.timeout)
        try:
            pool.run(tasks, on_result)
        finally:
            pool.close()

    elapsed = time.monotonic() - started
    categories = ["accepted", "refused", "crash", "hang", "ddl", "injection"]
    lints = ["lint clean", "lint findings", "lint refused"]

    def row(kind: str) -> list[str]:
        counts = [f"{tally[kind][c]:,}" for c in categories]
        linted = [f"{tally[kind][c]:,}" if kind in ("sql", "dbml") else "-" for c in lints]
        return [kind, f"{sum(tally[kind][c] for c in categories):,}", *counts[:2], *linted, *counts[2:]]

    print(f"fuzz: {len(tasks):,} cases in {elapsed:.0f} s with {args.workers} workers "
          f"(timeout {args.timeout:.0f} s, memory cap {args.memory_mb} MB), slowest case {max(slowest, default=0):.1f} s")
    print("read: check, import or normalize accepted the input (a spec's DDL then applied); lint's verdict on SQL "
          "and DBML is counted apart (exit 1 means it found problems)")
    print_table(["input", "cases", "read", "refused cleanly", "lint clean", "lint findings", "lint refused",
                 "internal errors", "hangs", "DDL refused", "injections"], [row(kind) for kind in KINDS])
    if findings:
        args.findings.mkdir(parents=True, exist_ok=True)
        print(f"\n{len(findings)} distinct findings (inputs in {args.findings}/):")
        for (category, signature), cases in sorted(findings.items(), key=lambda kv: -len(kv[1])):
            kind, number, message = cases[0]
            example = args.findings / f"{category}-{kind}-{number}.{SUFFIX[kind]}"
            example.write_text(make_input(kind, number), encoding="utf-8", errors="surrogatepass")
            print(f"  {len(cases):5d} × {category}: {message.splitlines()[0][:160] if message else ''}  "
                  f"(replay: --only {kind}:{number})")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
