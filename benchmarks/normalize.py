"""`schemawright normalize` on the FD reference data sets, on planted ground truth, and on a
generated 1,000,000-row x 20-column CSV.

    python benchmarks/normalize.py                      # everything (about two minutes on 2 cores)
    python benchmarks/normalize.py --rows 200000        # a smaller large file
    python benchmarks/normalize.py --skip-large         # only the data sets and the ground truth
    python benchmarks/normalize.py --skip-large --skip-datasets   # only the planted ground truth

1. Data sets of ../shared/datasets/fd (or $SCHEMAWRIGHT_FD_DATASETS): rows, columns, minimal
   FDs found (exact, no limit on the determinant, as the published counts), and per stage the
   time and the peak resident memory of the process while the stage ran:
   discovery (read + FDs + UCCs), closure (closure of every determinant), keys (candidate keys
   of the whole relation), decomposition (ranking, guards, BCNF steps, keys, lossless check).
2. Planted ground truth (profiling/planted.py): eight shop tables joined into one CSV, clean,
   with random noise columns, and with misspelt cities (exact FDs, then --approximate 0.01):
   attribute-set Jaccard per planted table, primary-key and foreign-key precision and recall.
3. Planted ground truth in several files (planted.write_planted_files): the shop as
   order_lines.csv (with customer and product names), customers.csv and products.csv (a seventh
   of the products missing), so the same customers and products appear in two files and must
   be merged: the same scores, the merges made, and the lossless check per file; and with one
   customer named differently in customers.csv, which must keep the two customer tables apart.
   "merge+FK s" is the time from the merge to the end (merges, per-file lossless checks again,
   foreign keys across files, spec), inside the total "time s".
4. The large file, end to end as a user runs it (`schemawright normalize big.csv -o DIR` in a
   subprocess: reading, profiling, decomposition, lossless check, spec and every deliverable):
   wall time and peak memory, against the 60 s target.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _report import print_table  # noqa: E402

from schemawright.normalization import ClosureIndex, TooManyKeys, candidate_keys  # noqa: E402
from schemawright.profiling.csv_reader import read_csv  # noqa: E402
from schemawright.profiling.decompose import decompose  # noqa: E402
from schemawright.profiling.planted import Shape, recovery, write_planted, write_planted_files  # noqa: E402
from schemawright.profiling.file_profile import profile_table  # noqa: E402
from schemawright.profiling.proposal import Proposal, propose  # noqa: E402
from schemawright.profiling.run import Options, normalize  # noqa: E402

DATASETS = Path(os.environ.get("SCHEMAWRIGHT_FD_DATASETS", ROOT.parent / "shared" / "datasets" / "fd"))
FILES = ["abalone.csv", "bridges.csv", "breast-cancer-wisconsin.csv", "hepatitis.csv", "ncvoter_1001r_19c.csv",
         "adult.csv"]
TARGET_SECONDS = 60.0
KEY_LIMIT = 1000


class PeakMemory:
    """Peak resident memory while a block runs, sampled from /proc (desbordante's C++
    allocations included, which tracemalloc would miss)."""

    def __enter__(self) -> PeakMemory:
        self.peak, self._running = _rss(), True
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._running = False
        self._thread.join()
        self.peak = max(self.peak, _rss())

    def _sample(self) -> None:
        while self._running:
            self.peak = max(self.peak, _rss())
            time.sleep(0.005)


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _stage(results: dict, name: str, work):  # noqa: ANN001, ANN202
    with PeakMemory() as memory:
        start = time.perf_counter()
        value = work()
        results[name] = (time.perf_counter() - start, memory.peak)
    return value


def datasets() -> None:
    print(f"\n1. FD reference data sets ({DATASETS})")
    if not DATASETS.exists():
        print("   skipped: the folder is absent (set SCHEMAWRIGHT_FD_DATASETS)")
        return
    head = ["data set", "rows", "cols", "FDs", *(f"{s} s / MB" for s in ("discovery", "closure", "keys", "decomp.")),
            "candidate keys", "tables", "lossless"]
    rows, proposed = [], []
    for name in FILES:
        path = DATASETS / name
        if not path.exists():
            continue
        stages: dict = {}
        profile = _stage(stages, "discovery", lambda: profile_table(read_csv(path), max_lhs=None))
        attrs = frozenset(profile.table.names)
        _stage(stages, "closure", lambda: _closures(profile.fds))
        keys = _stage(stages, "keys", lambda: _keys(attrs, profile))
        proposal = Proposal()
        _stage(stages, "decomposition", lambda: propose(profile, decompose(profile), set(), proposal))
        tables = ", ".join(f"{t.name} ({', '.join(t.key) if t.key else 'id'})" for t in proposal.tables)
        proposed.append(f"   {name}: {tables}")
        lossless = "yes" if all(c.lossless for c in proposal.lossless.values()) else "NO"
        rows.append([name, f"{profile.table.rows:,}", str(len(profile.table.columns)), f"{len(profile.fds):,}",
                     *(f"{stages[s][0]:.2f} / {stages[s][1] / 2**20:.0f}" for s in
                       ("discovery", "closure", "keys", "decomposition")),
                     keys, str(len(proposal.tables)), lossless])
    print_table(head, rows)
    print("   tables proposed (primary key):")
    print("\n".join(proposed))


def _closures(fds: list) -> int:
    index = ClosureIndex(fds)
    return len([index.closure(lhs) for lhs in {f.lhs for f in fds}])


def _keys(attrs: frozenset[str], profile) -> str:  # noqa: ANN001
    try:
        return str(len(candidate_keys(attrs, profile.fds, limit=KEY_LIMIT)))
    except TooManyKeys:
        return f"> {KEY_LIMIT}"


def ground_truth(rows: int) -> None:
    print(f"\n2. Planted ground truth: 8 shop tables joined into one CSV of {rows:,} rows")
    head = ["variant", "options", "mean Jaccard", "min Jaccard (table)", "key P / R", "FK P / R", "lossless", "time s"]
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for variant, shape, options in [
            ("clean", Shape(rows=rows), Options()),
            ("3 noise columns", Shape(rows=rows, noise_columns=3), Options()),
            ("0.2% misspelt cities", Shape(rows=rows, typos=0.002), Options()),
            ("0.2% misspelt cities", Shape(rows=rows, typos=0.002), Options(approximate=0.01)),
        ]:
            path = Path(tmp) / "order_lines.csv"
            truth = write_planted(path, shape)
            start = time.perf_counter()
            result = normalize([path], options)
            seconds = time.perf_counter() - start
            score = recovery(result.proposal, truth)
            worst = min(score.jaccard.items(), key=lambda kv: (kv[1], kv[0]))
            check = result.proposal.lossless["order_lines"]
            out.append([variant, "--approximate 0.01" if options.approximate else "exact",
                        f"{sum(score.jaccard.values()) / len(score.jaccard):.3f}", f"{worst[1]:.2f} ({worst[0]})",
                        f"{score.key_precision:.2f} / {score.key_recall:.2f}",
                        f"{score.fk_precision:.2f} / {score.fk_recall:.2f}",
                        "yes" if check.lossless else f"no ({check.differing:,} rows differ)", f"{seconds:.1f}"])
            if variant == "clean":
                for planted in truth:
                    print(f"   {planted.name}: Jaccard {score.jaccard[planted.name]:.2f} "
                          f"with proposed table {score.matched[planted.name]}")
    print_table(head, out)


def multi_file(rows: int) -> None:
    print(f"\n3. Planted ground truth split into overlapping files ({rows:,} order lines)")
    head = ["variant", "files", "tables", "merges", "kept apart", "mean Jaccard", "min Jaccard (table)", "key P / R",
            "FK P / R", "lossless per file", "time s", "merge+FK s"]
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for variant, shape, files, misnamed in [
            ("3 files", Shape(rows=rows), ("order_lines", "customers", "products"), 0),
            ("3 files, 3 noise columns", Shape(rows=rows, noise_columns=3), ("order_lines", "customers", "products"),
             0),
            ("2 files (no products.csv)", Shape(rows=rows), ("order_lines", "customers"), 0),
            ("3 files, 1 customer misnamed", Shape(rows=rows), ("order_lines", "customers", "products"), 1),
        ]:
            paths, truth = write_planted_files(Path(tmp) / variant.replace(" ", "_"), shape, files, misnamed)
            stages: dict[str, float] = {}  # when each stage began, from normalize's progress messages
            start = time.perf_counter()
            result = normalize(paths, Options(), step=lambda text: stages.setdefault(text, time.perf_counter()))
            end = time.perf_counter()
            seconds, merging = end - start, end - stages["merging tables of the same entity across files"]
            score = recovery(result.proposal, truth)
            worst = min(score.jaccard.items(), key=lambda kv: (kv[1], kv[0]))
            merges = [d for d in result.proposal.decisions if d.startswith("merged ")]
            checks = result.proposal.lossless
            apart = [d for d in result.proposal.decisions if d.startswith("not merged: ")]
            out.append([variant, str(len(paths)), str(len(result.proposal.tables)), str(len(merges)), str(len(apart)),
                        f"{sum(score.jaccard.values()) / len(score.jaccard):.3f}", f"{worst[1]:.2f} ({worst[0]})",
                        f"{score.key_precision:.2f} / {score.key_recall:.2f}",
                        f"{score.fk_precision:.2f} / {score.fk_recall:.2f}",
                        ", ".join(f"{n} {'yes' if c.lossless else 'NO'}" for n, c in sorted(checks.items())),
                        f"{seconds:.1f}", f"{merging:.2f}"])
            if variant == "3 files" or apart:
                for decision in merges + apart:
                    print(f"   {variant}: {decision.split(': both describe')[0].split(' (for example')[0]}"
                          .replace(str(Path(tmp) / variant.replace(" ", "_")) + "/", ""))
    print_table(head, out)


def large(rows: int) -> None:
    print(f"\n4. End to end on a generated {rows:,}-row x 20-column CSV")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "order_lines.csv"
        write_planted(path, Shape(rows=rows, customers=50_000, products=5_000, zips=3_000, regions=50, stores=200,
                                  categories=40, noise_columns=2))
        size = path.stat().st_size
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "schemawright.cli", "normalize", str(path), "-o",
                               str(Path(tmp) / "out")], capture_output=True, text=True,
                              env={**os.environ, "COLUMNS": "200"})
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    print(done.stdout.rstrip())
    if done.returncode != 0:
        print(done.stderr.rstrip())
    verdict = "PASS" if seconds < TARGET_SECONDS and done.returncode == 0 else "FAIL"
    print(f"   file {size / 2**20:.0f} MB; wall time {seconds:.1f} s (target < {TARGET_SECONDS:.0f} s: {verdict}); "
          f"peak memory {peak / 2**20:.0f} MB; exit code {done.returncode}; {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the large file")
    parser.add_argument("--truth-rows", type=int, default=20_000, help="rows of the planted ground-truth files")
    parser.add_argument("--files-rows", type=int, help="order lines of the multi-file case (default: --truth-rows)")
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--skip-datasets", action="store_true", help="leave out the FD reference data sets")
    args = parser.parse_args()
    if not args.skip_datasets:
        datasets()
    ground_truth(args.truth_rows)
    multi_file(args.files_rows or args.truth_rows)
    if not args.skip_large:
        large(args.rows)


if __name__ == "__main__":
    main()
