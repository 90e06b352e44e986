"""How schemawright copes with large existing schemas: import + lint + docs.

    python benchmarks/existing.py                      # the 200- and the 2,000-table schema
    python benchmarks/existing.py --schemas 200        # only the one the target is about
    python benchmarks/existing.py --sql dump.sql       # also time a real DDL file
    python benchmarks/existing.py --write-sql DIR      # keep the generated DDL files
    python benchmarks/existing.py --profile 2000       # cProfile one run instead

Two synthetic PostgreSQL schemas are generated in memory, deterministic for a seed:

- 200 tables with 500 foreign keys, written by hand as people do (inline keys and
  REFERENCES, CREATE INDEX, COMMENT ON), with plain table names;
- 2,000 tables written as `pg_dump --schema-only` writes them (SET lines, enum types,
  CREATE TABLE, identity via ALTER TABLE ... ADD GENERATED, ALTER TABLE ONLY ... ADD
  CONSTRAINT for keys and ~2.5 foreign keys per table, indexes including partial and
  expression ones, COMMENT ON, a view), with module-prefixed names as large applications
  (Odoo, Magento, Django projects) use.

Both have modules of related tables, a few hub tables referenced from everywhere
(`users`, `organizations`, `currencies`, `countries`), self-references, junction tables,
CHECK constraints, unique keys and comments.

Phases, each timed: import (`import_postgresql_sql`), lint (`schemawright.lint`), docs
(Markdown and Mermaid of the whole site, written to a temporary directory), svg (the
Graphviz drawings of every domain and neighbourhood, when `dot` is installed).  Each
schema runs in a fresh Python subprocess, so its peak RSS (ru_maxrss) is its own.

Target (issue 3, section 4): import, lint and docs together in under 5 s on a schema of
200+ tables and 500 foreign keys.  The 2,000-table figures are reported beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the shared helpers beside this file
from _report import print_table as print_rows  # noqa: E402

TARGET_SECONDS = 5.0
TARGET_TABLES = 200
DEFAULT_SCHEMAS = (200, 2000)

# --------------------------------------------------------------------------- the DDL

_MODULES = (
    ("billing", "invoice"), ("catalog", "product"), ("crm", "lead"), ("hr", "employee"),
    ("inventory", "stock"), ("logistics", "shipment"), ("marketing", "campaign"), ("payment", "transaction"),
    ("support", "ticket"), ("analytics", "report"), ("content", "article"), ("forum", "thread"),
    ("procurement", "purchase"), ("manufacturing", "workorder"), ("project", "task"), ("accounting", "journal"),
    ("payroll", "payslip"), ("asset", "equipment"), ("fleet", "vehicle"), ("event", "session"),
    ("booking", "reservation"), ("learning", "course"), ("survey", "question"), ("compliance", "policy"),
    ("messaging", "message"), ("media", "asset_file"), ("pricing", "pricelist"), ("subscription", "plan"),
    ("warehouse", "bin"), ("quality", "inspection"), ("maintenance", "request"), ("legal", "contract"),
    ("partner", "reseller"), ("loyalty", "reward"), ("tax", "tax_rule"), ("treasury", "bank_statement"),
    ("recruitment", "applicant"), ("expense", "claim"), ("timesheet", "entry"), ("website", "page"),
)
_NOUNS = (
    "line", "item", "note", "attachment", "status_history", "tag", "category", "type", "rule", "schedule",
    "batch", "approval", "version", "template", "setting", "log", "rate", "period", "contact", "address",
    "assignment", "comment", "review", "step", "stage", "link", "alias", "snapshot", "quota", "limit",
    "reminder", "condition", "mapping", "import", "export", "result", "score", "answer", "option", "slot",
)
_HUBS = ("users", "organizations", "currencies", "countries")
_STATUS = ("draft", "active", "done", "cancelled")


def _plural(word: str) -> str:
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


class _Table:
    def __init__(self, name: str, module: int) -> None:
        self.name = name
        self.module = module
        self.columns: list[tuple[str, str, bool, str | None]] = []  # name, type, not null, default
        self.fks: list[tuple[str, str, str]] = []  # column, parent table, on delete
        self.checks: list[tuple[str, str]] = []
        self.uniques: list[tuple[str, ...]] = []
        self.indexes: list[tuple[str, str, str | None, bool]] = []  # name, definition, where, unique
        self.comment = ""
        self.column_comments: dict[str, str] = {}
        self.pk: tuple[str, ...] = ("id",)
        self.identity = True


def _schema(tables: int, seed: int, prefixed: bool) -> list[_Table]:
    """The tables of a synthetic schema with `tables` tables (hubs included)."""
    rnd = random.Random(seed + tables)
    modules = max(4, tables // 45) if prefixed else max(4, tables // 22)
    modules = min(modules, len(_MODULES) * 3)
    out: list[_Table] = []
    used: set[str] = set()
    for hub in _HUBS:
        t = _Table(hub, -1)
        used.add(hub)
        out.append(t)
    # hubs: users -> organizations, organizations -> countries, currencies
    by_name = {t.name: t for t in out}
    by_name["users"].fks.append(("organization_id", "organizations", "restrict"))
    by_name["organizations"].fks += [("country_id", "countries", "restrict"), ("currency_id", "currencies", "restrict")]
    per_module: list[list[_Table]] = [[] for _ in range(modules)]
    remaining = tables - len(out)
    for i in range(remaining):
        m = i % modules
        module, root = _MODULES[m % len(_MODULES)]
        suffix = "" if m < len(_MODULES) else f"{m // len(_MODULES) + 1}"
        members = per_module[m]
        if not members:
            base = f"{module}{suffix}_{root}" if prefixed else f"{root}{suffix}"
            name = base if prefixed else _plural(base)
        else:
            noun = rnd.choice(_NOUNS)
            sibling = re.sub(r"_\d+$", "", members[rnd.randrange(len(members))].name)
            owner = rnd.choice([root] * 3 + [_singular(sibling.split("_")[-1])])
            if prefixed:
                name = f"{module}{suffix}_{owner}_{noun}" if rnd.random() < 0.6 else f"{module}{suffix}_{noun}"
            else:
                name = _plural(f"{owner}_{noun}") if rnd.random() < 0.6 else _plural(f"{noun}_{rnd.choice(_NOUNS)}")
        k = 2
        candidate = name
        while candidate in used:
            candidate, k = f"{name}_{k}", k + 1
        used.add(candidate)
        t = _Table(candidate, m)
        members.append(t)
        out.append(t)

    fk_target = 2.5
    for t in out[len(_HUBS):]:
        members = per_module[t.module]
        position = members.index(t)
        # parents inside the module (mostly the module's first tables), a hub or two, rarely another module
        if position:
            t.fks.append((f"{_singular(members[0].name)}_id", members[0].name, rnd.choice(["cascade", "restrict"])))
        if position > 1 and rnd.random() < 0.6:
            other = members[rnd.randrange(1, position)]
            t.fks.append((f"{_singular(other.name)}_id", other.name, rnd.choice(["cascade", "set null", "restrict"])))
        if rnd.random() < 0.45:
            t.fks.append(("created_by_id", "users", "set null"))
        if rnd.random() < 0.25:
            t.fks.append(("organization_id", "organizations", "cascade"))
        if rnd.random() < 0.08:
            t.fks.append(("currency_id", "currencies", "restrict"))
        if rnd.random() < 0.06:
            other_members = per_module[(t.module + rnd.randrange(1, modules)) % modules]
            if other_members:
                target = other_members[0]
                t.fks.append((f"{_singular(target.name)}_ref_id", target.name, "set null"))
        if rnd.random() < 0.04:
            t.fks.append(("parent_id", t.name, "cascade"))
    # top up to ~2.5 FKs per table with links inside modules
    total = sum(len(t.fks) for t in out)
    want = int(len(out) * fk_target)
    candidates = [t for t in out[len(_HUBS):] if per_module[t.module].index(t) > 2]
    while total < want and candidates:
        t = rnd.choice(candidates)
        members = per_module[t.module]
        other = members[rnd.randrange(0, members.index(t))]
        column = f"{_singular(other.name)}_id"
        if any(c == column for c, _, _ in t.fks):
            column = f"{_singular(other.name)}_alt_id"
            if any(c == column for c, _, _ in t.fks):
                continue
        t.fks.append((column, other.name, "restrict"))
        total += 1

    for t in out:
        _fill(t, rnd)
    return out


def _singular(name: str) -> str:
    last = name
    if last.endswith("ies"):
        return last[:-3] + "y"
    if last.endswith("ses") or last.endswith("xes"):
        return last[:-2]
    return last[:-1] if last.endswith("s") and not last.endswith("ss") else last


def _fill(t: _Table, rnd: random.Random) -> None:
    t.columns.append(("id", "bigint", True, None))
    fk_columns = set()
    for column, parent, _ in t.fks:
        nullable = column in ("created_by_id", "parent_id") or column.endswith("_ref_id") or column.endswith("_alt_id")
        t.columns.append((column, "bigint", not nullable, None))
        fk_columns.add(column)
    pool = [
        ("name", "character varying(120)", True, None),
        ("code", "character varying(40)", True, None),
        ("status", "text", True, "'draft'::text"),
        ("amount", "numeric(12,2)", True, "0"),
        ("quantity", "integer", False, None),
        ("description", "text", False, None),
        ("is_active", "boolean", True, "true"),
        ("valid_from", "date", False, None),
        ("valid_to", "date", False, None),
        ("settings", "jsonb", False, "'{}'::jsonb"),
        ("external_ref", "uuid", False, None),
        ("email", "character varying(254)", False, None),
        ("phone", "character varying(32)", False, None),
        ("position", "integer", True, "0"),
        ("happened_at", "timestamp without time zone", False, None),
        ("deleted_at", "timestamp with time zone", False, None),
    ]
    extra = rnd.sample(pool, rnd.randint(3, 8))
    if t.module < 0:  # hubs: the view selects users.name and users.is_active
        extra = [c for c in pool if c[0] in ("name", "is_active")] + [c for c in extra if c[0] not in ("name", "is_active")]
    for c in extra:
        t.columns.append(c)
    t.columns += [("created_at", "timestamp with time zone", True, "now()"),
                  ("updated_at", "timestamp with time zone", True, "now()")]
    names = {c[0] for c in t.columns}
    if "status" in names:
        t.checks.append((f"{t.name}_status_check", "status = ANY (ARRAY['" + "'::text, '".join(_STATUS) + "'::text])"))
    if "amount" in names:
        t.checks.append((f"{t.name}_amount_check", "amount >= (0)::numeric"))
    if "valid_from" in names and "valid_to" in names:
        t.checks.append((f"{t.name}_valid_check", "valid_to >= valid_from"))
    if "code" in names:
        t.uniques.append(("code",))
    for column, _, _ in t.fks:
        if rnd.random() < 0.75:  # a quarter of the foreign keys lack an index, as in real schemas
            t.indexes.append((f"{t.name}_{column}_idx", f"USING btree ({column})", None, False))
    if "happened_at" in names and rnd.random() < 0.5:
        first = t.fks[0][0] if t.fks else "id"
        t.indexes.append((f"{t.name}_{first}_happened_idx", f"USING btree ({first}, happened_at DESC)", None, False))
    if "email" in names and rnd.random() < 0.5:
        t.indexes.append((f"{t.name}_email_lower_idx", "USING btree (lower((email)::text))", None, True))
    if "deleted_at" in names and "status" in names and rnd.random() < 0.5:
        t.indexes.append((f"{t.name}_live_idx", "USING btree (status)", "(deleted_at IS NULL)", False))
    if rnd.random() < 0.7:
        where = "shared by every module" if t.module < 0 else f"of module {t.module}"
        t.comment = f"{t.name.replace('_', ' ').capitalize()}: synthetic table {where}."
    for column, *_ in t.columns:
        if column not in ("id", "created_at", "updated_at") and rnd.random() < 0.25:
            t.column_comments[column] = f"What {column.replace('_', ' ')} means for one {_singular(t.name)}."


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def hand_written_ddl(tables: list[_Table]) -> str:
    """Tables with inline keys and REFERENCES, in dependency order where possible."""
    lines = ["-- Synthetic schema, written the way people write DDL by hand.", "",
             "BEGIN;", ""]
    order = _dependency_order(tables)
    deferred: list[str] = []
    placed: set[str] = set()
    for t in order:
        body = []
        for name, sql_type, not_null, default in t.columns:
            if name == "id":
                body.append("    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY")
                continue
            text = f"    {name} {sql_type}" + (" NOT NULL" if not_null else "") + (f" DEFAULT {default}" if default else "")
            fk = next((f for f in t.fks if f[0] == name), None)
            if fk is not None and (fk[1] in placed or fk[1] == t.name):
                text += f" REFERENCES {fk[1]} (id) ON DELETE {fk[2].upper()}"
            elif fk is not None:
                deferred.append(f"ALTER TABLE {t.name} ADD CONSTRAINT {t.name}_{name}_fkey FOREIGN KEY ({name}) "
                                f"REFERENCES {fk[1]} (id) ON DELETE {fk[2].upper()};")
            body.append(text)
        for cols in t.uniques:
            body.append(f"    UNIQUE ({', '.join(cols)})")
        for name, expression in t.checks:
            body.append(f"    CONSTRAINT {name} CHECK ({expression})")
        lines.append(f"CREATE TABLE {t.name} (")
        lines.append(",\n".join(body))
        lines.append(");")
        for name, definition, where, unique in t.indexes:
            lines.append(f"CREATE {'UNIQUE ' if unique else ''}INDEX {name} ON {t.name} {definition.replace('USING btree ', '')}"
                         + (f" WHERE {where}" if where else "") + ";")
        if t.comment:
            lines.append(f"COMMENT ON TABLE {t.name} IS {_q(t.comment)};")
        for column, comment in t.column_comments.items():
            lines.append(f"COMMENT ON COLUMN {t.name}.{column} IS {_q(comment)};")
        lines.append("")
        placed.add(t.name)
    lines += deferred
    lines += ["", "COMMIT;", ""]
    return "\n".join(lines)


def pg_dump_ddl(tables: list[_Table]) -> str:
    """What `pg_dump --schema-only` prints for the same kind of schema."""
    out = ["--", "-- PostgreSQL database dump", "--", "",
           "-- Dumped from database version 16.2", "-- Dumped by pg_dump version 16.2", "",
           "SET statement_timeout = 0;", "SET lock_timeout = 0;", "SET idle_in_transaction_session_timeout = 0;",
           "SET client_encoding = 'UTF8';", "SET standard_conforming_strings = on;",
           "SELECT pg_catalog.set_config('search_path', '', false);", "SET check_function_bodies = false;",
           "SET xmloption = content;", "SET client_min_messages = warning;", "SET row_security = off;", "",
           "--", "-- Name: record_state; Type: TYPE; Schema: public; Owner: app", "--", "",
           "CREATE TYPE public.record_state AS ENUM (", "    'draft',", "    'active',", "    'archived'", ");", "",
           "ALTER TYPE public.record_state OWNER TO app;", "",
           "SET default_tablespace = '';", "", "SET default_table_access_method = heap;", ""]
    for t in tables:
        out += ["--", f"-- Name: {t.name}; Type: TABLE; Schema: public; Owner: app", "--", ""]
        cols = [f"    {name} {sql_type}" + (f" DEFAULT {default}" if default else "") + (" NOT NULL" if not_null else "")
                for name, sql_type, not_null, default in t.columns]
        cols += [f"    CONSTRAINT {name} CHECK (({expression}))" for name, expression in t.checks]
        out += [f"CREATE TABLE public.{t.name} (", ",\n".join(cols), ");", "", "",
                f"ALTER TABLE public.{t.name} OWNER TO app;", ""]
        if t.comment:
            out += ["--", f"-- Name: TABLE {t.name}; Type: COMMENT; Schema: public; Owner: app", "--", "",
                    f"COMMENT ON TABLE public.{t.name} IS {_q(t.comment)};", "", ""]
        for column, comment in t.column_comments.items():
            out += [f"COMMENT ON COLUMN public.{t.name}.{column} IS {_q(comment)};", ""]
        out += [f"ALTER TABLE public.{t.name} ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (",
                f"    SEQUENCE NAME public.{t.name}_id_seq", "    START WITH 1", "    INCREMENT BY 1",
                "    NO MINVALUE", "    NO MAXVALUE", "    CACHE 1", ");", ""]
    out += ["--", "-- Name: active_users; Type: VIEW; Schema: public; Owner: app", "--", "",
            "CREATE VIEW public.active_users AS", " SELECT users.id,", "    users.name", "   FROM public.users",
            "  WHERE (users.is_active = true);", "", ""]
    for t in tables:
        out += [f"ALTER TABLE ONLY public.{t.name}", f"    ADD CONSTRAINT {t.name}_pkey PRIMARY KEY (id);", ""]
        for cols in t.uniques:
            out += [f"ALTER TABLE ONLY public.{t.name}",
                    f"    ADD CONSTRAINT {t.name}_{'_'.join(cols)}_key UNIQUE ({', '.join(cols)});", ""]
    for t in tables:
        for name, definition, where, unique in t.indexes:
            out += [f"CREATE {'UNIQUE ' if unique else ''}INDEX {name} ON public.{t.name} {definition}"
                    + (f" WHERE {where}" if where else "") + ";", ""]
    for t in tables:
        for column, parent, on_delete in t.fks:
            action = "" if on_delete == "restrict" else f" ON DELETE {on_delete.upper()}"
            out += [f"ALTER TABLE ONLY public.{t.name}",
                    f"    ADD CONSTRAINT {t.name}_{column}_fkey FOREIGN KEY ({column}) "
                    f"REFERENCES public.{parent}(id){action};", ""]
    out += ["--", "-- PostgreSQL database dump complete", "--", ""]
    return "\n".join(out)


def _dependency_order(tables: list[_Table]) -> list[_Table]:
    by_name = {t.name: t for t in tables}
    done: set[str] = set()
    order: list[_Table] = []

    def visit(t: _Table, stack: set[str]) -> None:
        if t.name in done or t.name in stack:
            return
        stack.add(t.name)
        for _, parent, _ in t.fks:
            if parent in by_name:
                visit(by_name[parent], stack)
        stack.discard(t.name)
        done.add(t.name)
        order.append(t)

    for t in tables:
        visit(t, set())
    return order


def synthetic_ddl(tables: int, seed: int = 20240601) -> str:
    """The benchmark's DDL for `tables` tables: hand-written below 1,000, pg_dump above."""
    if tables < 1000:
        return hand_written_ddl(_schema(tables, seed, prefixed=False))
    return pg_dump_ddl(_schema(tables, seed, prefixed=True))


# --------------------------------------------------------------------------- one schema, in a child


def _rss_mb() -> float:
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def run_child(size: int | None, sql_file: str | None, svg: bool, profile: str | None) -> dict:
    if sql_file:
        with open(sql_file, encoding="utf-8") as handle:
            text = handle.read()
        label = os.path.basename(sql_file)
    else:
        text = synthetic_ddl(size)
        label = f"synthetic_{size}.sql"
    import gc

    from schemawright.commands.docs import findings_for
    from schemawright.documentation.site import docs_site, write_docs_site
    from schemawright.importers.postgresql_sql import import_postgresql_sql

    gc.collect()
    baseline = _rss_mb()
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    t0 = time.perf_counter()
    design = import_postgresql_sql(text, label)
    t1 = time.perf_counter()
    findings = findings_for(design)
    t2 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="schemawright-docs-") as out:
        written = write_docs_site(design, out, findings, svg=False)
        t3 = time.perf_counter()
        svg_s = None
        svgs = 0
        if svg:
            import shutil

            if shutil.which("dot"):
                from schemawright.documentation.dot import render_svgs

                _, drawings = docs_site(design, findings, svg=True)
                s0 = time.perf_counter()
                svgs = len(render_svgs(list(drawings.values())))
                svg_s = time.perf_counter() - s0
        size_kb = sum(p.stat().st_size for p in written) / 1024
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    return {
        "label": label,
        "tables": len(design.tables),
        "foreign_keys": sum(len(t.foreign_keys) for t in design.tables),
        "indexes": len(design.indexes),
        "ddl_lines": text.count("\n"),
        "ddl_kb": len(text.encode()) / 1024,
        "import_notes": len(design.import_notes),
        "findings": None if findings is None else len(findings),
        "files": len(written),
        "docs_kb": size_kb,
        "import_s": t1 - t0,
        "lint_s": t2 - t1,
        "docs_s": t3 - t2,
        "seconds": t3 - t0,
        "svg_s": svg_s,
        "svgs": svgs,
        "baseline_mb": baseline,
        "peak_mb": _rss_mb(),
    }


def in_child(size: int | None, sql_file: str | None = None, svg: bool = True, profile: str | None = None) -> dict:
    command = [sys.executable, os.path.abspath(__file__), "--child"]
    command += ["--sql-child", sql_file] if sql_file else ["--size-child", str(size)]
    if not svg:
        command.append("--no-svg")
    if profile:
        command += ["--profile-out", profile]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"the child for {sql_file or size} failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- report


def print_table(results: list[dict]) -> None:
    head = ["schema", "tables", "FKs", "indexes", "DDL lines", "import s", "lint s", "docs s", "total s",
            "findings", "files", "peak RSS MB", "svg s (extra)"]
    rows = []
    for r in results:
        rows.append([r["label"], f"{r['tables']:,}", f"{r['foreign_keys']:,}", f"{r['indexes']:,}",
                     f"{r['ddl_lines']:,}", f"{r['import_s']:.2f}", f"{r['lint_s']:.2f}", f"{r['docs_s']:.2f}",
                     f"{r['seconds']:.2f}", "-" if r["findings"] is None else f"{r['findings']:,}",
                     f"{r['files']:,}", f"{r['peak_mb']:.0f}",
                     "-" if r["svg_s"] is None else f"{r['svg_s']:.2f} ({r['svgs']:,})"])
    print_rows(head, rows)


def verdicts(results: list[dict]) -> bool:
    ok = True
    for r in results:
        if r["label"] != f"synthetic_{TARGET_TABLES}.sql":
            continue
        passed = r["seconds"] < TARGET_SECONDS
        ok &= passed
        print(f"{'PASS' if passed else 'FAIL'}  import + lint + docs of {r['tables']:,} tables and "
              f"{r['foreign_keys']:,} foreign keys: {r['seconds']:.2f} s (target < {TARGET_SECONDS:g} s)")
        if r["svg_s"] is not None:
            total = r["seconds"] + r["svg_s"]
            print(f"{'PASS' if total < TARGET_SECONDS else 'INFO'}  the same with every SVG drawn by Graphviz: "
                  f"{total:.2f} s")
    for r in results:
        if r["label"] == f"synthetic_{TARGET_TABLES}.sql":
            continue
        print(f"INFO  {r['label']}: {r['tables']:,} tables, {r['foreign_keys']:,} foreign keys, "
              f"{r['ddl_lines']:,} lines of DDL in {r['seconds']:.2f} s"
              + (f" (+{r['svg_s']:.2f} s for {r['svgs']:,} SVGs)" if r["svg_s"] is not None else ""))
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schemas", type=int, nargs="+", default=list(DEFAULT_SCHEMAS), help="table counts")
    parser.add_argument("--sql", nargs="*", default=[], help="real DDL files to time as well")
    parser.add_argument("--no-svg", action="store_true", help="do not time the Graphviz drawings")
    parser.add_argument("--write-sql", metavar="DIR", help="write the generated DDL files there and stop")
    parser.add_argument("--profile", type=int, metavar="N", help="profile the N-table schema with cProfile")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--size-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--sql-child", help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        print(json.dumps(run_child(args.size_child, args.sql_child, not args.no_svg, args.profile_out)))
        return 0
    if args.write_sql:
        os.makedirs(args.write_sql, exist_ok=True)
        for n in args.schemas:
            path = os.path.join(args.write_sql, f"synthetic_{n}.sql")
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(synthetic_ddl(n))
            print(path)
        return 0
    if args.profile:
        import pstats

        out = os.path.join(tempfile.mkdtemp(prefix="schemawright-profile-"), "existing.prof")
        result = in_child(args.profile, svg=False, profile=out)
        print(f"{result['tables']:,} tables: {result['seconds']:.2f} s under cProfile; stats in {out}\n")
        pstats.Stats(out).sort_stats("cumulative").print_stats(35)
        pstats.Stats(out).sort_stats("tottime").print_stats(25)
        return 0

    print("schemawright existing-schema benchmark: import (pglast) + lint + docs (Markdown, Mermaid) of a DDL file")
    print("svg = Graphviz drawings of every domain and neighbourhood diagram, timed separately.")
    print(f"Python {sys.version.split()[0]} on {os.cpu_count()} CPU(s); each schema runs in a fresh process.\n")
    results = []
    for n in sorted(args.schemas):
        results.append(in_child(n, svg=not args.no_svg))
        r = results[-1]
        print(f"  {r['label']}: {r['seconds']:.2f} s, peak RSS {r['peak_mb']:.0f} MB", flush=True)
    for path in args.sql:
        results.append(in_child(None, sql_file=path, svg=not args.no_svg))
        r = results[-1]
        print(f"  {r['label']}: {r['seconds']:.2f} s, peak RSS {r['peak_mb']:.0f} MB", flush=True)
    print()
    print_table(results)
    print("\ntotal = import + lint + docs; peak RSS = ru_maxrss of the child process.\n")
    return 0 if verdicts(results) else 1


if __name__ == "__main__":
    sys.exit(main())
