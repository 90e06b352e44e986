"""`generate`: fill a database with synthetic rows at the declared volumes times a scale."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date

from schemawright import model as m
from schemawright.database import Database, DatabaseError
from schemawright.generation.columns import GenerationError
from schemawright.generation.counts import declared_counts, load_order, row_counts
from schemawright.generation.deferred import AUDIT_FILLED, audit_paused, audit_triggers, keys_after_load
from schemawright.generation.existing import missing_objects, present_tables, resolve_tables, truncation_reach
from schemawright.generation.loader import BATCH_ROWS, load_table, reset_sequences
from schemawright.generation.tables import Loaded, TableGenerator, data_profiles
from schemawright.sql.postgresql import render_up
from schemawright.sql.quoting import quote_ident as q
from schemawright.validation.plaintext import plaintext_design, use_test_key
from schemawright.validation.rule_load import balance_groups, rules_paused
from schemawright.validation.script import run_script
from schemawright.validation.synthetic import design_enums
from schemawright.validation.values import base_date

# progress(table, rows loaded so far in this table, rows planned for it)
Progress = Callable[[str, int, int], None]

_ENUMS = """
SELECT format_type(t.oid, NULL), t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder)::text[]
FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.oid, t.typname
"""


SHORT_FRACTION = 0.01  # a table loaded with fewer rows than this share below its declared rows fails


@dataclass
class TableResult:
    table: str
    rows: int  # loaded
    planned: int  # what generation set out to load (the declared rows, or fewer where a key caps them)
    seconds: float
    note: str | None = None
    declared: int | None = None  # the volume times the scale (or the rows asked for); None: no volume

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    @property
    def expected(self) -> int:
        return self.declared if self.declared is not None else self.planned

    @property
    def short(self) -> bool:
        """Loaded more than 1 % below what it should hold, so what is measured on it proves little."""
        return self.rows < self.expected * (1 - SHORT_FRACTION)

    @property
    def cause(self) -> str:
        """Why the table holds fewer rows than it should."""
        if self.note:
            return self.note
        if self.planned < self.expected:
            return (f"its unique keys allow at most {self.planned:,} rows with the rows of the tables it references "
                    "(one per parent, or one per distinct pair): lower its volume or raise theirs")
        return f"{self.planned - self.rows:,} rows were not loaded"

    def shortfall(self) -> str:
        return (f"table {self.table}: {self.rows:,} of {self.expected:,} rows loaded "
                f"({100 * (self.expected - self.rows) / max(self.expected, 1):.1f} % short): {self.cause}")


@dataclass
class GenerationResult:
    tables: list[TableResult] = field(default_factory=list)
    seconds: float = 0.0
    schema_applied: bool = False
    notes: list[str] = field(default_factory=list)  # business rules the loaded rows break, by rule

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    @property
    def short(self) -> list[TableResult]:
        """Tables loaded more than 1 % below their declared rows."""
        return [t for t in self.tables if t.short]


def plan(design: m.Design, scale: float) -> dict[str, int]:
    """Rows per table for `scale` (see generation.counts)."""
    if scale <= 0:
        raise GenerationError("the scale must be above 0, e.g. 0.01 for 1 % of the declared volumes")
    return row_counts(design, scale)


def _prepare_schema(db: Database, design: m.Design, truncate: bool, truncate_also: Sequence[str]) -> bool:
    """Apply the design when none of its tables exist; returns whether it was applied.
    Otherwise the whole design must be there: loading into part of it would skip the
    triggers and constraints that are missing."""
    if not present_tables(db, design):
        _create_schema(db, design)
        return True
    missing = missing_objects(db, design)
    if missing:
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        raise GenerationError(f"the database holds the design only in part: it lacks {', '.join(missing[:10])}{more}; "
                              "nothing was loaded. Create the missing objects (the design's migration does), or "
                              "point --database-url at an empty database")
    filled = [t.name for t in design.tables if db.query_value(f"SELECT EXISTS (SELECT 1 FROM {q(t.name)})")]
    if filled and not truncate:
        raise GenerationError(f"tables already hold rows ({', '.join(filled[:5])}); use --truncate to empty them "
                              "first, or another database")
    if filled:
        _truncate(db, design, truncate_also)
    return False


def _create_schema(db: Database, design: m.Design) -> None:
    """The up script in one transaction: all of it or, on any error, nothing."""
    with db.transaction():
        error = run_script(db, render_up(design))
        if error is not None:  # raised inside the transaction: it is rolled back
            raise GenerationError(f"the schema could not be created, so nothing of it was kept: {error}")


def _truncate(db: Database, design: m.Design, also: Sequence[str]) -> None:
    """Empty the design's tables and the tables the user named, and nothing else: no
    CASCADE, so PostgreSQL itself refuses if any other table references them."""
    named, unknown = resolve_tables(db, list(also))
    if unknown:
        raise GenerationError(f"--truncate-also {unknown[0]}: no such table (write the name as in SQL, "
                              "schema-qualified if it is not on the search path); nothing was emptied")
    tables = [q(t.name) for t in design.tables] + named
    with db.transaction():
        outside = truncation_reach(db, tables)
        if outside:
            raise GenerationError(
                "--truncate would also empty tables outside the design, which reference its tables through "
                f"foreign keys (directly or through each other) or inherit from them: {', '.join(outside)}; "
                "nothing was emptied. To empty them too, name each one: "
                + " ".join(f"--truncate-also {n}" for n in outside) + " (or load into another database)")
        db.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")


def _referenced(design: m.Design) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for table in design.tables:
        for fk in table.foreign_keys:
            out.setdefault(fk.ref_table, set()).update(fk.ref_columns)
    return out


def generate(
    design: m.Design,
    database_url: str,
    scale: float = 0.01,
    seed: int = 0,
    progress: Progress | None = None,
    *,
    truncate: bool = False,
    truncate_also: Sequence[str] = (),
    anchor: date | None = None,
    batch_rows: int = BATCH_ROWS,
    analyze: bool = True,
    counts: dict[str, int] | None = None,
) -> GenerationResult:
    """Fill the database at `database_url` with rows for every table of `design`.

    The schema is created first when none of its tables exist (all of it or nothing), and
    the rows are loaded only into the whole schema.  With `truncate`, rows already there are
    removed first, from the design's tables and the `truncate_also` tables (names as in
    SQL), which must include every table a TRUNCATE ... CASCADE would reach.  Row counts are the
    declared volumes times `scale`; the data is the same for the same seed and anchor
    date (default: 30 days before today, the date around which times are spread).
    `counts`: rows per table instead of the scaled volumes (the index planner's capped sample).
    Raises GenerationError for a request that cannot be met, DatabaseError when the
    server refuses.
    """
    declared = declared_counts(design, scale) if counts is None else counts
    counts = plan(design, scale) if counts is None else counts
    anchor = anchor or base_date()
    result = GenerationResult()
    started = time.perf_counter()
    profiles = data_profiles(design)
    referenced = _referenced(design)
    with Database(database_url) as db:
        db.execute("SET synchronous_commit = off")
        db.execute("SET TIME ZONE 'UTC'")
        db.execute("SET client_encoding = 'UTF8'")  # the COPY text is UTF-8 whatever the database's encoding
        result.schema_applied = _prepare_schema(db, design, truncate, truncate_also)
        use_test_key(db, design)  # pii: encrypt: ciphertext under this run's own key, never printed
        enums = design_enums(design)
        for formatted, typname, labels in db.query(_ENUMS):
            enums.setdefault(formatted, tuple(labels))
            enums.setdefault(typname, tuple(labels))
        parents: dict[str, Loaded] = {}
        # On a schema this run created, keys and plain indexes are made after the rows, in the
        # load's transaction (generation/deferred.py), and each table is emptied in its load's
        # savepoint so that COPY may FREEZE its rows (loader.py). Rule triggers off while rows load (as
        # restore tools do), on again after; groups that a `sum(x) = c` rule covers are balanced,
        # and the rules the rows still break reported.
        fresh = result.schema_applied
        audited = audit_triggers(db, design)
        with db.transaction() if fresh else nullcontext(), keys_after_load(db, design) if fresh else nullcontext(), \
                rules_paused(db, design), audit_paused(db, audited):
            _load_tables(db, design, counts, result, parents, referenced, profiles, enums, seed, anchor, batch_rows,
                         progress, set(audited), fresh)
            result.notes += balance_groups(db, design)
        for table in result.tables:
            table.declared = declared.get(table.table)
        if analyze:
            db.execute("ANALYZE " + ", ".join(q(t.name) for t in design.tables)) if design.tables else None
    result.seconds = time.perf_counter() - started
    return result


def _load_tables(db: Database, design: m.Design, counts: dict[str, int], result: GenerationResult,  # noqa: PLR0913
                 parents: dict[str, Loaded], referenced: dict[str, set[str]], profiles: dict, enums: dict,
                 seed: int, anchor: date, batch_rows: int, progress: Progress | None, audited: set[str],
                 fresh: bool) -> None:
    """Generate and load every table, parents first; an encrypted column gets values drawn for
    its plaintext (type, CHECKs), which the loader writes through pii_encrypt()."""
    design = plaintext_design(design)
    for table in load_order(design):
        planned = counts[table.name]
        table_started = time.perf_counter()
        done = 0

        def step(rows: int, name: str = table.name, total: int = planned) -> None:
            nonlocal done
            done = min(done + rows, total)
            if progress:
                progress(name, done, total)

        if progress:
            progress(table.name, 0, planned)
        generator = TableGenerator(design, table, planned, seed=seed, anchor=anchor, enums=enums,
                                   profiles=profiles, parents=parents,
                                   defaulted=frozenset(AUDIT_FILLED) if table.name in audited else frozenset())
        data = generator.generate()
        try:
            note = load_table(db, generator, data, step, batch_rows, fresh=fresh)
        except DatabaseError as error:
            raise GenerationError(f"table {table.name}: PostgreSQL refused the rows: {error}") from None
        reset_sequences(db, data)
        if data.dropped and note is None:
            note = f"{data.dropped} rows fewer than planned: the unique keys allow no more"
        keep = referenced.get(table.name, set())
        loaded = data.loaded()
        parents[table.name] = Loaded(loaded.rows, {k: v for k, v in loaded.raw.items() if k in keep},
                                     {k: v for k, v in loaded.nulls.items() if k in keep}, loaded.gens)
        result.tables.append(TableResult(table.name, data.rows, planned, time.perf_counter() - table_started, note))
        if progress:
            progress(table.name, planned, planned)
