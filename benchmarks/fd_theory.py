"""How fast the normalisation theory is on large FD sets, and that closure is linear.

    python benchmarks/fd_theory.py                          # 100 attributes, 250 .. 4,000 FDs
    python benchmarks/fd_theory.py --attributes 200 --sizes 1000 2000 4000 8000
    python benchmarks/fd_theory.py --quick                  # small sizes, a few seconds

Two workloads, both generated in memory with a fixed seed:

- random: FDs with 1-3 left-hand and 1-2 right-hand attributes drawn uniformly from the
  attributes. For each size it prints the time to index the FDs once (ClosureIndex), the mean
  time of one closure of a random 3-attribute set, that time divided by the total size of the
  FDs (sum of |lhs| + |rhs|: the bound of the counter algorithm, so this column should stay
  flat as the size grows), canonical_cover and candidate_keys (with the key count).
- chain: a1 -> a2, a2 -> a3, ... listed backwards, closure of {a1}. Every FD fires, one per
  pass of a naive "repeat until nothing changes" loop, so the naive loop is quadratic there;
  it runs here beside the counter algorithm to show the difference (the naive loop exists
  only in this script).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the shared helpers beside this file
from _report import print_table  # noqa: E402

from schemawright.normalization import FD, ClosureIndex, TooManyKeys, candidate_keys, canonical_cover  # noqa: E402

DEFAULT_SIZES = (250, 500, 1000, 2000, 4000)
QUICK_SIZES = (250, 500, 1000)
KEY_LIMIT = 10_000


def random_fds(attributes: list[str], count: int, seed: int) -> list[FD]:
    rnd = random.Random(seed)
    return [
        FD(frozenset(rnd.sample(attributes, rnd.randint(1, 3))), frozenset(rnd.sample(attributes, rnd.randint(1, 2))))
        for _ in range(count)
    ]


def total_size(fds: list[FD]) -> int:
    return sum(len(f.lhs) + len(f.rhs) for f in fds)


def best_of(repeat: int, run: Callable[[], object]) -> float:
    """The fastest of `repeat` runs, in seconds: the least disturbed by other processes."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def random_row(attributes: list[str], count: int, seed: int, probes: int, repeat: int) -> list[str]:
    fds = random_fds(attributes, count, seed)
    size = total_size(fds)
    build = best_of(repeat, lambda: ClosureIndex(fds))
    index = ClosureIndex(fds)
    rnd = random.Random(seed + 1)
    starts = [rnd.sample(attributes, 3) for _ in range(probes)]
    reached = statistics.mean(len(index.closure(s)) for s in starts)
    one = best_of(repeat, lambda: [index.closure(s) for s in starts]) / probes
    cover_seconds = best_of(1, lambda: canonical_cover(fds))
    cover = canonical_cover(fds)
    start = time.perf_counter()
    try:
        keys = str(len(candidate_keys(attributes, fds, limit=KEY_LIMIT)))
    except TooManyKeys:
        keys = f">{KEY_LIMIT}"
    keys_seconds = time.perf_counter() - start
    return [
        f"{count:,}",
        f"{size:,}",
        f"{build * 1e3:.2f}",
        f"{one * 1e6:.0f}",
        f"{reached:.0f}",
        f"{one / size * 1e9:.1f}",
        f"{cover_seconds:.3f}",
        f"{len(cover):,}",
        f"{keys_seconds:.3f}",
        keys,
    ]


def naive_closure(start: set[str], fds: list[FD]) -> set[str]:
    """The textbook fixpoint loop, for comparison only."""
    result = set(start)
    changed = True
    while changed:
        changed = False
        for f in fds:
            if f.lhs <= result and not f.rhs <= result:
                result |= f.rhs
                changed = True
    return result


def chain_row(count: int, repeat: int, naive_limit: int) -> list[str]:
    names = [f"a{i}" for i in range(count + 1)]
    fds = [FD(frozenset((names[i],)), frozenset((names[i + 1],))) for i in reversed(range(count))]
    index = ClosureIndex(fds)
    assert len(index.closure([names[0]])) == count + 1  # every FD fired
    counter = best_of(repeat, lambda: index.closure([names[0]]))
    if count <= naive_limit:
        naive = best_of(1, lambda: naive_closure({names[0]}, fds))
        naive_cells = [f"{naive * 1e3:.1f}", f"{naive / count * 1e6:.2f}"]
    else:
        naive_cells = ["-", "-"]
    return [f"{count:,}", f"{counter * 1e3:.2f}", f"{counter / count * 1e9:.0f}", *naive_cells]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attributes", type=int, default=100)
    parser.add_argument("--sizes", type=int, nargs="+", help="FD counts (default 250 500 1000 2000 4000)")
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--probes", type=int, default=200, help="closures timed per size")
    parser.add_argument("--repeat", type=int, default=3, help="timings keep the best of this many runs")
    args = parser.parse_args(argv)
    sizes = args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES)
    attributes = [f"c{i:04d}" for i in range(args.attributes)]

    print(f"random FDs over {args.attributes} attributes (seed {args.seed}); closure of random 3-attribute sets")
    print_table(
        ["FDs", "size", "index ms", "closure us", "|closure|", "ns per size unit", "cover s", "cover FDs", "keys s", "keys"],
        [random_row(attributes, n, args.seed, args.probes, args.repeat) for n in sizes],
    )
    print()
    print("chain a1 -> a2 -> ... listed backwards; closure of {a1}")
    naive_limit = max(sizes) // 2
    print_table(
        ["FDs", "counter ms", "counter ns/FD", "naive ms", "naive us/FD"],
        [chain_row(n, args.repeat, naive_limit) for n in sizes],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
