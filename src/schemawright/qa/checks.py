"""What both QA suites check, in one order: every attempt of validation.attempts that one
session can make (a violation refused with its constraint, a valid operation that succeeds),
then the structure (tables, NOT NULL columns, keys, checks, exclusions, indexes, triggers).

Attempts run first, so the plain suite, which stops at the first failure, names the
behaviour that broke before the missing object behind it.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemawright import model as m
from schemawright.sql.quoting import dollar_quote, quote_literal
from schemawright.sql.quoting import quote_ident as q
from schemawright.validation.attempts import NOTHING, Attempt, NotTried, attempts

# 23001 (restrict_violation, ON DELETE RESTRICT) and 23503 (foreign_key_violation, NO ACTION)
# both refuse deleting a referenced row; the suites count either as the foreign key's refusal.
REFERENCE_STATES = ("23001", "23503")

@dataclass(frozen=True)
class Proof:
    """One attempt as a test: `have` is the SQL that runs it, `want` the outcome it must give."""

    description: str
    have: str
    want: str
    optional: bool  # nothing to try (SWNOD) skips it instead of failing
    may_be_implied: bool = False  # a CHECK's attempt: 'implied by <another check>' passes it


@dataclass(frozen=True)
class Structure:
    """One object that must exist: sw_has(kind, table, name) must say 'ok'."""

    description: str
    kind: str  # table, not null, p, u, f, c, x, index, unique index, trigger
    table: str
    name: str
    columns: tuple[str, ...] = ()
    ref_table: str = ""
    ref_columns: tuple[str, ...] = ()

    @property
    def have(self) -> str:
        return f"pg_temp.sw_has({quote_literal(self.kind)}, {quote_literal(q(self.table))}, {quote_literal(self.name)})"


@dataclass(frozen=True)
class Suite:
    proofs: list[Proof]
    structure: list[Structure]
    concurrent: list[Attempt]  # need two sessions: left to `schemawright validate`
    not_tried: list[NotTried]

    @property
    def count(self) -> int:
        return len(self.proofs) + len(self.structure)


def suite(design: m.Design) -> Suite:
    tried, skipped = attempts(design)
    checks = {c.name for t in design.tables for c in t.checks}
    proofs = [_proof(a, a.constraint in checks) for a in tried if not a.concurrent]
    return Suite(proofs, structure(design), [a for a in tried if a.concurrent], skipped)


def one_line(text: str) -> str:
    """Text for a comment or a TAP description: a newline there would end it."""
    return " ".join(text.split())


def _proof(attempt: Attempt, check: bool) -> Proof:
    have = f"pg_temp.sw_attempt({dollar_quote(attempt.sql, 'sw')})"
    if attempt.expect is None:
        return Proof(one_line(f"{attempt.subject}: accepts {attempt.description}"), have, "ok", attempt.optional)
    want = attempt.expect + (f" {attempt.constraint}" if attempt.constraint else "")
    if not attempt.constraint:  # any constraint, or none, with that SQLSTATE
        have = f"left({have}, 5)"
    if attempt.expect in REFERENCE_STATES:  # either state is the same refusal
        have = f"regexp_replace({have}, '^23001 ', '23503 ')"
        want = want.replace("23001", "23503", 1)
    return Proof(one_line(f"{attempt.subject}: refuses {attempt.description}"), have, want, attempt.optional, check)


def structure(design: m.Design) -> list[Structure]:
    out: list[Structure] = []
    tables = [t.name for t in design.tables]
    tables += sorted({t.table for t in design.triggers} - set(tables))  # the rule queue, kept objects
    out += [Structure(f"table {t} exists", "table", t, t) for t in tables]
    for table in design.tables:
        t = table.name
        out += [Structure(f"{t}.{c.name} is NOT NULL", "not null", t, c.name) for c in table.columns if not c.nullable]
        if table.primary_key:
            pk = table.primary_key
            out.append(Structure(f"primary key {pk.name} of {t} is ({', '.join(pk.columns)})", "p", t, pk.name,
                                 pk.columns))
        out += [Structure(f"unique {u.name} of {t} is ({', '.join(u.columns)})", "u", t, u.name, u.columns)
                for u in table.uniques]
        out += [Structure(f"foreign key {f.name}: {t} ({', '.join(f.columns)}) references {f.ref_table} "
                          f"({', '.join(f.ref_columns)})", "f", t, f.name, f.columns, f.ref_table, f.ref_columns)
                for f in table.foreign_keys]
        out += [Structure(f"check {c.name} on {t} exists and is validated", "c", t, c.name) for c in table.checks]
        out += [Structure(f"exclusion {x.name} on {t} exists", "x", t, x.name) for x in table.exclusions]
        for index in design.indexes_on(t):
            kind = "unique index" if index.unique else "index"
            out.append(Structure(f"{kind} {index.name} on {t} exists" + (", is unique" if index.unique else "")
                                 + " and is valid", kind, t, index.name))
    out += [Structure(f"trigger {tr.name} on {tr.table} exists and is enabled", "trigger", tr.table, tr.name)
            for tr in design.triggers]
    return out


def header(design: m.Design, found: Suite, title: str, run: str) -> list[str]:
    """The comment block both suites open with: what they prove, how to run them, what they leave out."""
    lines = [f"-- {title} of project {design.project}, generated by schemawright: do not edit by hand.",
             f"-- Run as the owner of the schema, on a database loaded with data: {run}",
             "-- Every attempt runs in a subtransaction that is rolled back: the data is never changed, and",
             "-- an attempt switches off, inside it, the rule triggers that do not enforce what it tests (hence",
             "-- the owner). A violation must be refused with its SQLSTATE and constraint name; a valid",
             "-- operation must succeed. An attempt that finds nothing to work on says SQLSTATE "
             f"{NOTHING}: that fails",
             "-- its test (an empty table proves nothing), except for the optional ones, which are skipped.",
             f"-- {len(found.proofs)} attempts, then {len(found.structure)} structure checks."]
    if found.concurrent:
        lines.append("-- Left out: these cases need two sessions at once (`schemawright validate` runs them):")
        lines += ["--   " + one_line(f"{a.subject}: {a.description}") for a in found.concurrent]
    if found.not_tried:
        lines.append("-- Not tried (no attempt could be built; the structure checks still cover them):")
        lines += ["--   " + one_line(f"{n.subject}: {n.reason}") for n in found.not_tried]
    return lines
