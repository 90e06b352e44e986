"""How `schemawright design` scales with the size of the spec.

    python benchmarks/design_scale.py                # 100, 300 and 1,000 entities
    python benchmarks/design_scale.py --sizes 50 2000 --no-tracemalloc
    python benchmarks/design_scale.py --profile 1000 # cProfile the largest run instead

For each size a synthetic but realistic spec is generated in memory: every entity has 6-8
attributes of mixed semantic types (strings with limits, enums, money, timestamps, json,
emails, lists ...), a one-to-many relationship to an earlier entity (some have a second
one, an optional self-reference or a one-to-one), every tenth entity takes part in a
many-to-many with attributes, and each entity has two SQL access patterns that filter and
sort on real columns (one joins its parent) plus a volume.

What is measured is the whole `design` command minus file writing and Graphviz: parse the
YAML text (with validation and reference checks), `design_from_spec`, and `deliverables`
(every generated file: schema.sql, migrations, erd.mmd, erd.dot, data-dictionary.md,
report.md, model.json).  Rendering erd.svg with the external `dot` program is excluded.

Each size runs in a fresh Python subprocess, so the peak resident set size (ru_maxrss of
that child) belongs to that size alone.  tracemalloc's peak (Python allocations only) is
measured in a second, separate child, because tracing slows the run down.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the shared helpers beside this file
from _report import print_table as print_rows  # noqa: E402

TARGET_SECONDS = 5.0
TARGET_MB = 500.0
TARGET_ENTITIES = 1000
DEFAULT_SIZES = (100, 300, 1000)

# --------------------------------------------------------------------------- the spec

_ATTRIBUTE_POOL = (
    # (attribute name, definition); `title`, `status` and `happened_at` are always present
    # because the access patterns use them.
    ("code", {"type": "string", "max_length": 40, "required": True, "unique": True}),
    ("amount", {"type": "money", "precision": 12, "scale": 2, "required": True, "default": 0, "min": 0}),
    ("quantity", {"type": "integer", "min": 0, "max": 100000}),
    ("ratio", {"type": "decimal", "precision": 7, "scale": 4}),
    ("is_active", {"type": "boolean", "required": True, "default": True}),
    ("notes", {"type": "text", "description": "Free text written by people."}),
    ("contact_email", {"type": "email", "pii": True}),
    ("contact_phone", {"type": "phone", "pii": True}),
    ("homepage", {"type": "url"}),
    ("settings", {"type": "json"}),
    ("valid_on", {"type": "date"}),
    ("external_ref", {"type": "uuid"}),
    ("labels", {"type": "array", "of": "string"}),
    ("tags", {"type": "list", "of": "string", "max_length": 40}),
)


def entity_name(i: int) -> str:
    return f"Entity{i:04d}"


def table_name(i: int) -> str:
    return f"entity{i:04d}s"  # snake_case + plural, as the default naming gives


def fk_column(i: int) -> str:
    return f"entity{i:04d}_id"


def generate_spec(n: int, seed: int = 20240601) -> dict:
    """A spec with `n` entities, as plain data (dumped to YAML text by the caller)."""
    rnd = random.Random(seed + n)
    entities: dict[str, dict] = {}
    relationships: list[dict] = []
    patterns: list[dict] = []
    volumes: dict[str, dict] = {}

    for i in range(n):
        extra = rnd.sample(_ATTRIBUTE_POOL, rnd.randint(3, 5))
        attributes = {
            "title": {"type": "string", "max_length": 120, "required": True},
            "status": {"type": "enum", "values": ["draft", "active", "archived"], "required": True, "default": "draft"},
            "happened_at": {"type": "timestamp", "required": True, "default": "now"},
        }
        attributes.update({name: dict(definition) for name, definition in extra})
        entities[entity_name(i)] = {
            "description": f"Synthetic entity number {i}.",
            "audit": i % 3 == 0,
            "attributes": attributes,
        }
        volumes[entity_name(i)] = {"rows": rnd.choice([1_000, 50_000, 2_000_000]),
                                   "growth_per_month": rnd.choice([0, 1_000, 100_000])}

    parent_of: dict[int, int] = {}
    for i in range(1, n):
        parent = rnd.randrange(max(0, i - 50), i)  # a local neighbourhood, like real schemas
        parent_of[i] = parent
        relationships.append({"from": entity_name(parent), "to": entity_name(i), "type": "one-to-many",
                              "on_delete": rnd.choice(["cascade", "restrict"])})
        if i % 7 == 0 and i >= 2:  # a second, optional parent with a role name
            other = rnd.randrange(0, i)
            relationships.append({"from": entity_name(other), "to": entity_name(i), "type": "one-to-many",
                                  "role": "secondary", "required": False})
        if i % 11 == 0:
            relationships.append({"from": entity_name(i), "to": entity_name(i), "type": "one-to-many",
                                  "role": "parent", "required": False})
        if i % 13 == 0 and i >= 2:
            other = rnd.randrange(0, i)
            relationships.append({"from": entity_name(other), "to": entity_name(i), "type": "one-to-one",
                                  "role": "owner", "required": False, "on_delete": "set null"})
        if i % 10 == 0:
            other = rnd.randrange(0, i)
            relationships.append({"name": f"link_{i:04d}_{other:04d}", "from": entity_name(i),
                                  "to": entity_name(other), "type": "many-to-many",
                                  "attributes": {"position": {"type": "integer", "required": True, "default": 0},
                                                 "linked_at": {"type": "timestamp", "default": "now"}}})

    for i in range(n):
        table = table_name(i)
        if i in parent_of:
            parent, fk = table_name(parent_of[i]), fk_column(parent_of[i])
            patterns.append({
                "name": f"{table}_by_parent",
                "query": f"SELECT id, title, status, happened_at FROM {table}\n"
                         f"WHERE {fk} = :{fk} AND status = :status\nORDER BY happened_at DESC\nLIMIT 20",
                "frequency": rnd.choice([1, 10, 100]), "latency_p95_ms": 10})
            patterns.append({
                "name": f"{table}_recent_with_parent",
                "query": f"SELECT c.id, c.title, p.title AS parent_title\nFROM {table} c\n"
                         f"JOIN {parent} p ON p.id = c.{fk}\n"
                         f"WHERE c.happened_at >= :since AND p.status = 'active'\n"
                         f"ORDER BY c.happened_at\nLIMIT 50",
                "frequency": rnd.choice([0.5, 5, 50]), "latency_p95_ms": 50})
        else:
            patterns.append({
                "name": f"{table}_by_status",
                "query": f"SELECT id, title FROM {table} WHERE status = :status ORDER BY happened_at DESC LIMIT 20",
                "frequency": 5, "latency_p95_ms": 10})
            patterns.append({
                "name": f"{table}_by_title",
                "query": f"SELECT id, status FROM {table} WHERE title = :title",
                "frequency": 5, "latency_p95_ms": 10})

    return {
        "project": f"scale_{n}",
        "description": f"Synthetic benchmark spec with {n} entities.",
        "database": "postgresql",
        "naming": {"tables": "plural", "keys": "identity", "enums": "check"},
        "entities": entities,
        "relationships": relationships,
        "access_patterns": patterns,
        "volumes": volumes,
    }


def spec_text(n: int) -> str:
    """The spec as YAML block text, as a person would write it (and as the loader reads it)."""
    import yaml

    return yaml.safe_dump(generate_spec(n), sort_keys=False, default_flow_style=False, width=200, allow_unicode=True)


# --------------------------------------------------------------------------- one size, in a child


def _rss_mb() -> float:
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB elsewhere


def run_child(n: int, trace: bool, profile: str | None) -> dict:
    """Design one spec of size `n` in this (fresh) process and return its figures."""
    text = spec_text(n)
    # Import everything before the clock starts: start-up cost is not per-entity cost.
    from schemawright.pipeline import deliverables, design_from_spec
    from schemawright.pipeline import parse_spec

    import gc
    gc.collect()
    baseline_mb = _rss_mb()
    if trace:
        import tracemalloc

        tracemalloc.start()
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started = time.perf_counter()
    spec = parse_spec(text, f"<generated {n} entities>")
    parsed = time.perf_counter()
    design = design_from_spec(spec)
    designed = time.perf_counter()
    files = deliverables(design)
    finished = time.perf_counter()
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    result = {
        "entities": n,
        "tables": len(design.tables),
        "indexes": len(design.indexes),
        "patterns": len(design.access_patterns),
        "spec_kb": len(text.encode()) / 1024,
        "output_kb": sum(len(t.encode()) for t in files.values()) / 1024,
        "parse_s": parsed - started,
        "pipeline_s": designed - parsed,
        "deliverables_s": finished - designed,
        "seconds": finished - started,
        "baseline_mb": baseline_mb,
        "peak_mb": _rss_mb(),
    }
    if trace:
        import tracemalloc

        result["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / (1024 * 1024)
        tracemalloc.stop()
    return result


def in_child(n: int, trace: bool = False, profile: str | None = None) -> dict:
    command = [sys.executable, os.path.abspath(__file__), "--child", str(n)]
    if trace:
        command.append("--trace")
    if profile:
        command += ["--profile-out", profile]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"the child designing {n} entities failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- report


def print_table(results: list[dict], traced: dict[int, float]) -> None:
    head = ["entities", "tables", "indexes", "parse s", "pipeline s", "files s", "total s", "ms/entity",
            "vs first", "peak RSS MB", "RSS over start MB", "tracemalloc MB"]
    rows = []
    first = results[0]["seconds"] / results[0]["entities"]
    for r in results:
        per = r["seconds"] / r["entities"]
        rows.append([f"{r['entities']:,}", f"{r['tables']:,}", f"{r['indexes']:,}", f"{r['parse_s']:.2f}",
                     f"{r['pipeline_s']:.2f}", f"{r['deliverables_s']:.2f}", f"{r['seconds']:.2f}",
                     f"{per * 1000:.2f}", f"{per / first:.2f}x", f"{r['peak_mb']:.0f}",
                     f"{r['peak_mb'] - r['baseline_mb']:.0f}",
                     f"{traced[r['entities']]:.0f}" if r["entities"] in traced else "-"])
    print_rows(head, rows)


def verdicts(results: list[dict]) -> bool:
    ok = True
    at_target = next((r for r in results if r["entities"] == TARGET_ENTITIES), None)
    if at_target is None:
        print(f"SKIP  targets: no run at {TARGET_ENTITIES:,} entities")
    else:
        for label, value, limit, unit in (("time", at_target["seconds"], TARGET_SECONDS, "s"),
                                          ("peak memory", at_target["peak_mb"], TARGET_MB, "MB")):
            passed = value < limit
            ok &= passed
            print(f"{'PASS' if passed else 'FAIL'}  {label} at {TARGET_ENTITIES:,} entities: "
                  f"{value:.2f} {unit} (target < {limit:g} {unit})")
    if len(results) >= 2:
        small, large = results[0], results[-1]
        growth = (large["seconds"] / large["entities"]) / (small["seconds"] / small["entities"])
        # Per-entity time may wobble with warm-up and noise; 1.5x over a 10x size range
        # is still linear growth, quadratic would give ~10x.
        passed = growth < 1.5
        ok &= passed
        print(f"{'PASS' if passed else 'FAIL'}  growth: time per entity at {large['entities']:,} is {growth:.2f}x "
              f"that at {small['entities']:,} (linear ~1x, quadratic ~{large['entities'] / small['entities']:.0f}x; "
              f"limit 1.5x)")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES), help="entity counts to run")
    parser.add_argument("--no-tracemalloc", action="store_true", help="skip the tracemalloc runs")
    parser.add_argument("--profile", type=int, metavar="N", help="profile one run of N entities with cProfile")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child is not None:
        print(json.dumps(run_child(args.child, args.trace, args.profile_out)))
        return 0
    if args.profile:
        import pstats
        import tempfile

        out = os.path.join(tempfile.mkdtemp(prefix="schemawright-profile-"), "design.prof")
        result = in_child(args.profile, profile=out)
        print(f"{args.profile:,} entities: {result['seconds']:.2f} s under cProfile; stats in {out}\n")
        pstats.Stats(out).sort_stats("cumulative").print_stats(35)
        pstats.Stats(out).sort_stats("tottime").print_stats(25)
        return 0

    sizes = sorted(args.sizes)
    print("schemawright design benchmark: parse YAML + design_from_spec + deliverables (all generated files)")
    print("erd.svg rendering by Graphviz `dot` is excluded; writing files to disk is excluded.")
    print(f"Python {sys.version.split()[0]} on {os.cpu_count()} CPU(s); each size runs in a fresh process.\n")
    results, traced = [], {}
    for n in sizes:
        results.append(in_child(n))
        if not args.no_tracemalloc:
            traced[n] = in_child(n, trace=True)["tracemalloc_peak_mb"]
        r = results[-1]
        print(f"  {n:,} entities: {r['seconds']:.2f} s, peak RSS {r['peak_mb']:.0f} MB "
              f"(spec {r['spec_kb']:.0f} KiB, output {r['output_kb']:.0f} KiB)", flush=True)
    print()
    print_table(results, traced)
    print("\npeak RSS = ru_maxrss of the child process (includes the interpreter and imported libraries);")
    print("RSS over start = peak minus RSS after imports, before the spec is parsed;")
    print("tracemalloc = peak of Python allocations during the design, from a separate traced run.\n")
    return 0 if verdicts(results) else 1


if __name__ == "__main__":
    sys.exit(main())
