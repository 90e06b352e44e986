"""Send rows with COPY, in batches, rendering the next batch while the server loads this one.

Tables whose CHECKs all concern single columns are loaded straight into the table (the
values obey those rules by construction).  Tables with cross-column rules, or columns a
CHECK computes from others (`line_total = quantity * unit_price - discount`), go through
a temporary staging table: the rows are copied there, the rules are evaluated by
PostgreSQL itself, the rows that pass are moved with INSERT ... SELECT (computing the
derived columns), and the refused ones are drawn again, up to MAX_ROUNDS times; rows
still refused after that are dropped and counted.

A table this run created (`fresh`: its foreign keys are dropped until the load ends, deferred.py)
is emptied with TRUNCATE inside its load's savepoint, which PostgreSQL takes as a new table: the
COPY may then write its rows frozen (COPY ... FREEZE: no later VACUUM or first read rewrites each
page to set hint bits), and on a server at wal_level = minimal (the embedded one) the rows write
no WAL at all.  Not for partitioned or inherited tables (FREEZE cannot load a partitioned one)
nor a table with a TRUNCATE trigger (an audit trail would record the TRUNCATE, or refuse it).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator

import numpy as np

from schemawright.database import Database, DatabaseError
from schemawright.generation.tables import TableData, TableGenerator
from schemawright.validation.plaintext import written
from schemawright.validation.rules import check_columns
from schemawright.sql.postgresql import PostgresGenerator
from schemawright.sql.quoting import quote_ident as q

BATCH_ROWS = 50_000
MAX_ROUNDS = 60
STAGE = "_schemawright_stage"
_DROP_STAGE = PostgresGenerator().drop_table_sql(STAGE, if_exists=True)

Progress = Callable[[int], None]  # rows just loaded

# COPY's text format, written here rather than by psycopg's Copy.write_row: this runs in
# the prefetch thread while the server loads the previous batch, and a batch without NULL
# or special character costs one join and four scans instead of a call per value.
# Backslash, tab, newline and carriage return are the only characters the format reads
# specially (`\\N` and `\\.` start with a backslash), so escaping those four is complete.
_NULL = "\\N"
_SPECIAL = ("\\", "\t", "\n", "\r")
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_fields(values: list[str | None]) -> list[str]:
    """One column's values as COPY text fields (None is NULL)."""
    nulls = values.count(None)
    texts = [_NULL if v is None else v for v in values] if nulls else values
    joined = "".join(texts)  # type: ignore[arg-type]
    # as they are, unless a backslash other than those of the NULLs, or a tab, newline or CR occurs
    if joined.count("\\") == nulls and not any(c in joined for c in _SPECIAL[1:]):
        return texts  # type: ignore[return-value]
    return [_NULL if v is None else v.translate(_ESCAPES) for v in values]


def copy_text(columns: list[list[str | None]]) -> bytes:
    """Rows of COPY text format (UTF-8) from columns of text values (None is NULL)."""
    rows = len(columns[0]) if columns else 0
    if not rows:
        return b""
    try:  # the common case first: the batch joined as it is, right when no NULL, backslash
        # or CR occurs and every tab and newline is a separator (numpy counts them fast)
        data = "\n".join(map("\t".join, zip(*columns))).encode()  # type: ignore[arg-type]
        codes = np.frombuffer(data, dtype=np.uint8)
        if (b"\\" in data or b"\r" in data or np.count_nonzero(codes == 9) != rows * (len(columns) - 1)
                or np.count_nonzero(codes == 10) != rows - 1):
            raise ValueError
    except (TypeError, ValueError):  # a None (NULL) or a character to escape
        data = "\n".join(map("\t".join, zip(*map(copy_fields, columns)))).encode()
    return data + b"\n"


def _prefetch(items: Iterator[bytes], depth: int = 2) -> Iterator[bytes]:
    """Produce items in a background thread, so rendering overlaps the server's work."""
    box: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def work() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                box.put(item)
        except BaseException as error:  # noqa: BLE001 - handed to the consumer
            box.put(error)
            return
        box.put(done)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    try:
        while True:
            item = box.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            try:
                box.get_nowait()
            except queue.Empty:
                thread.join(0.01)


def _batches(data: TableData, indices: np.ndarray | None, with_row: bool, progress: Progress | None,
             batch_rows: int) -> Iterator[bytes]:
    total = data.rows if indices is None else indices.size
    for start in range(0, total, batch_rows):
        stop = min(start + batch_rows, total)
        if indices is None:
            rows = None
            columns = data.render_rows(start, stop)
            numbers = range(start, stop)
        else:
            rows = indices[start:stop]
            columns = data.render_rows(0, 0, rows)
            numbers = rows.tolist()
        if with_row:
            columns.insert(0, list(map(str, numbers)))
        if columns:
            yield copy_text(columns)
        if progress and indices is None:
            progress(stop - start)
        elif progress and rows is not None:
            progress(0)


def _collisions(gen: TableGenerator) -> list[str]:
    """Queries (over the staged rows `v`) returning the rows a partial unique index or a
    no-overlap rule would refuse: every row after the first of a key among the rows the index
    covers, every row whose period overlaps an earlier one of its group."""
    design, table = gen.design, gen.table
    out = []
    for index in design.indexes_on(table.name):
        if tuple(c.expression for c in index.columns) in gen.keys:
            continue  # generated unique over every row (TableGenerator._partial_keys)
        if index.unique and index.where and all(table.column(c.expression) for c in index.columns):
            key = ", ".join(q(c.expression) for c in index.columns)
            out.append(f"SELECT _sw_row FROM (SELECT _sw_row, row_number() OVER (PARTITION BY {key} ORDER BY _sw_row) "
                       f"AS n FROM {{rows}} AS v WHERE ({index.where}) AND {' AND '.join(f'{q(c.expression)} IS NOT NULL' for c in index.columns)}) AS d WHERE n > 1")
    for rule in design.rules:
        if rule.kind != "no_overlap" or not any(e.name in rule.enforced_by for e in table.exclusions) \
                or rule.name in gen.periods:  # laid out so they cannot overlap (TableGenerator._periods)
            continue
        start, end = (q(c) for c in rule.period)
        same = " AND ".join(f"b.{q(c)} = a.{q(c)}" for c in rule.columns) or "TRUE"
        where = f"({rule.condition})" if rule.condition else "TRUE"
        out.append(f"SELECT a._sw_row FROM {{rows}} AS a WHERE {where} AND EXISTS (SELECT 1 FROM "
                   f"{{rows}} AS b WHERE b._sw_row < a._sw_row AND {same} AND (b.{start}, coalesce(b.{end}, 'infinity')) "
                   f"OVERLAPS (a.{start}, coalesce(a.{end}, 'infinity')))")
    return out


def needs_staging(gen: TableGenerator) -> bool:
    # Encrypted columns (pii: encrypt) are copied as plaintext into the staging table and
    # encrypted by INSERT ... SELECT: COPY cannot call pii_encrypt().
    if gen.derived or _collisions(gen) or any(c.plaintext_type for c in gen.columns):
        return True
    for check in gen.table.checks:
        if check.name in gen.computed_checks:  # true by construction (generation/computed.py)
            continue
        columns = check_columns(check)
        if columns is None or len(columns) > 1:
            return True
    return False


# relkind 'r': a plain table; tgtype bit 5 (32): a TRUNCATE trigger
_EMPTIABLE = """
SELECT c.relkind = 'r' AND NOT c.relhassubclass
       AND NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgtype & 32 <> 0)
FROM pg_class c WHERE c.oid = %s::regclass
"""


def emptied(db: Database, table: str) -> bool:
    """TRUNCATE `table` (a fresh one: nothing references it) when that is harmless; whether it was.
    In the caller's savepoint, the COPY after it may use FREEZE."""
    if not db.query_value(_EMPTIABLE, [q(table)]):
        return False
    db.execute(f"TRUNCATE {q(table)}")
    return True


def load_direct(db: Database, data: TableData, progress: Progress | None, batch_rows: int = BATCH_ROWS,
                *, freeze: bool = False) -> None:
    """`freeze`: the table was created or emptied in the current savepoint (`emptied`)."""
    columns = ", ".join(q(c) for c in data.columns)
    sql = f"COPY {q(data.table.name)} ({columns}) FROM STDIN" + (" WITH (FREEZE)" if freeze else "")
    if data.rows:
        db.copy_in(sql, _prefetch(_batches(data, None, False, progress, batch_rows)))


def load_staged(db: Database, gen: TableGenerator, data: TableData, progress: Progress | None,
                batch_rows: int = BATCH_ROWS) -> str | None:
    """Load through the staging table; returns a note about dropped rows, if any."""
    table = data.table
    supplied = set(data.columns)
    known = supplied | set(gen.derived)
    stage_columns = ", ".join(["_sw_row bigint"] + [f"{q(c.name)} {c.sql_type}" for c in gen.columns])
    db.execute(_DROP_STAGE)
    db.execute(f"CREATE TEMP TABLE {STAGE} ({stage_columns})")
    inner = ", ".join(["s.*"] + [f"CAST(({sql}) AS {table.column(name).sql_type}) AS {q(name)}"  # type: ignore[union-attr]
                                 for name, sql in gen.derived.items()])
    view = f"(SELECT {inner} FROM {STAGE} s) v"
    conditions = []
    for check in table.checks:
        columns = check_columns(check)
        if columns is not None and columns <= known:
            conditions.append(f"({check.expression}) IS NOT FALSE")
    for name in gen.derived:
        column = table.column(name)
        if column is not None and not column.nullable:
            conditions.append(f"{q(name)} IS NOT NULL")
    for rule in gen.design.rules:  # a period's range needs its start before its end
        if rule.kind == "no_overlap" and any(e.name in rule.enforced_by for e in table.exclusions):
            start, end = (q(c) for c in rule.period)
            conditions.append(f"({start} <= {end} OR {end} IS NULL OR {start} IS NULL)")
    ok = " AND ".join(conditions) or "TRUE"
    targets = data.columns + list(gen.derived)
    overriding = " OVERRIDING SYSTEM VALUE" if any(c.identity for c in gen.columns) else ""
    values = [written(column, f"v.{q(c)}") if (column := table.column(c)) is not None else f"v.{q(c)}" for c in targets]
    insert = (f"INSERT INTO {q(table.name)} ({', '.join(q(c) for c in targets)}){overriding} "
              f"SELECT {', '.join(values)} FROM {view} WHERE {ok}")
    # A row a CHECK refuses, or one a partial unique index or an exclusion would refuse after an
    # earlier row, is drawn again (a second booked appointment of a patient may come back cancelled).
    collisions = [c.format(rows=f"(SELECT {inner} FROM {STAGE} s)") for c in _collisions(gen)]
    refused = (f"DELETE FROM {STAGE} WHERE _sw_row IN (SELECT unnest(%s::bigint[]) UNION SELECT v._sw_row FROM {view} "
               f"WHERE NOT ({ok})) RETURNING _sw_row")
    collided = " UNION ".join(collisions)
    copy_sql = f"COPY {STAGE} (_sw_row, {', '.join(q(c) for c in data.columns)}) FROM STDIN"
    if not collisions and not any(fk.ref_table == table.name for fk in table.foreign_keys):
        dropped_rows = _load_in_rounds(db, gen, data, insert, f"SELECT v._sw_row FROM {view} WHERE NOT ({ok})",
                                       copy_sql, progress, batch_rows)
        db.execute(_DROP_STAGE)
        return _dropped_note(data, set(dropped_rows.tolist()))
    # Every row waits in the staging table until all pass, then moves in one INSERT, so
    # rows may reference each other (self-references) whatever round they were drawn in.
    db.copy_in(copy_sql, _prefetch(_batches(data, None, True, progress, batch_rows)))
    db.execute(f"ANALYZE {STAGE}")  # temporary tables get no statistics otherwise: hash joins need them
    pending = np.zeros(0, dtype=np.int64)
    history: list[int] = []
    for round_ in range(1, MAX_ROUNDS + 1):
        keys = np.array(sorted(r[0] for r in db.query(collided)), dtype=np.int64) if collided \
            else np.zeros(0, dtype=np.int64)
        pending = np.array(sorted(r[0] for r in db.query(refused, [keys.tolist()])), dtype=np.int64)
        if not pending.size:
            break
        history.append(int(pending.size))
        if round_ == MAX_ROUNDS or _stalled(history):
            break  # no progress: these rows break a rule no redraw can fix
        passed = np.ones(data.rows, dtype=bool)
        passed[pending] = False
        gen.fill_free(data, pending, round_, passed, escape=keys)
        db.copy_in(copy_sql, _prefetch(_batches(data, pending, True, None, batch_rows)))
    dropped = set(pending.tolist())  # refused in the last round: already deleted from the stage
    dropped |= _orphans(db, table)
    for collision in collisions:  # orphans' removal changed nothing a key takes, but NULLed references may
        found = db.query(f"DELETE FROM {STAGE} WHERE _sw_row IN ({collision}) RETURNING _sw_row")
        dropped |= {r[0] for r in found}
    db.execute(insert)
    db.execute(_DROP_STAGE)
    return _dropped_note(data, dropped)


def _dropped_note(data: TableData, dropped: set[int]) -> str | None:
    if not dropped:
        return None
    keep = np.ones(data.rows, dtype=bool)
    keep[np.array(sorted(dropped), dtype=np.int64)] = False
    data.keep(keep)
    return f"{len(dropped)} rows dropped: no values found that pass the table's CHECK constraints"


def _stalled(history: list[int]) -> bool:
    """No progress over the last rounds: these rows break a rule no redraw can fix."""
    return len(history) >= 6 and history[-1] >= 100 and history[-1] * 100 >= history[-6] * 99


def _load_in_rounds(db: Database, gen: TableGenerator, data: TableData, insert: str, refused: str, copy_sql: str,
                    progress: Progress | None, batch_rows: int) -> np.ndarray:
    """The rows that pass move into the table each round and only the refused ones are drawn
    again, so a round scans only what is left (no row of the table references another, and no
    partial unique index or exclusion compares staged rows with each other). Returns the rows
    still refused after the last round."""
    db.copy_in(copy_sql, _prefetch(_batches(data, None, True, progress, batch_rows)))
    # No ANALYZE of the stage: its statements scan it once and join nothing (0.13 s for shop's shipments)
    staged, history = data.rows, []
    passed = np.ones(data.rows, dtype=bool)
    for round_ in range(1, MAX_ROUNDS + 1):
        if db.execute(insert) == staged:
            return np.zeros(0, dtype=np.int64)
        pending = np.array(sorted(r[0] for r in db.query(refused)), dtype=np.int64)
        history.append(int(pending.size))
        db.execute(f"TRUNCATE {STAGE}")
        if round_ == MAX_ROUNDS or _stalled(history):
            return pending
        passed[:] = True
        passed[pending] = False
        gen.fill_free(data, pending, round_, passed)
        db.copy_in(copy_sql, _prefetch(_batches(data, pending, True, None, batch_rows)))
        staged = int(pending.size)
    return np.zeros(0, dtype=np.int64)


def _orphans(db: Database, table) -> set[int]:  # type: ignore[no-untyped-def]
    """Self-references to rows that were dropped: NULL where allowed, else drop the row too."""
    removed: set[int] = set()
    for fk in table.foreign_keys:
        if fk.ref_table != table.name:
            continue
        match = " AND ".join(f"p.{q(rc)} = s.{q(c)}" for c, rc in zip(fk.columns, fk.ref_columns))
        present = " AND ".join(f"s.{q(c)} IS NOT NULL" for c in fk.columns)
        orphan = f"{present} AND NOT EXISTS (SELECT 1 FROM {STAGE} p WHERE {match})"
        nullable = all(getattr(table.column(c), "nullable", False) for c in fk.columns)
        if nullable:
            sets = ", ".join(f"{q(c)} = NULL" for c in fk.columns)
            db.execute(f"UPDATE {STAGE} s SET {sets} WHERE {orphan}")
            continue
        while True:
            rows = db.query(f"DELETE FROM {STAGE} s WHERE {orphan} RETURNING s._sw_row")
            if not rows:
                break
            removed.update(r[0] for r in rows)
    return removed


def load_table(db: Database, gen: TableGenerator, data: TableData, progress: Progress | None,
               batch_rows: int = BATCH_ROWS, *, fresh: bool = False) -> str | None:
    """Load `data`; returns a note for the report (rows dropped), or None.  `fresh`: the table
    was created by this run and nothing references it while it loads (see the module's note)."""
    if not needs_staging(gen):
        try:
            with db.transaction():
                load_direct(db, data, progress, batch_rows, freeze=fresh and emptied(db, data.table.name))
            return None
        except DatabaseError as error:
            if not (error.is_integrity_error or error.is_data_error) or error.sqlstate in ("23505", "23503"):
                raise
            # a single-column rule the generator did not foresee: filter through staging
    with db.transaction():
        if fresh:
            emptied(db, data.table.name)  # no FREEZE for INSERT ... SELECT, but no WAL either at wal_level minimal
        return load_staged(db, gen, data, progress, batch_rows)


def reset_sequences(db: Database, data: TableData) -> None:
    """Identity and serial columns continue after the largest loaded value."""
    for name in data.columns:
        column = data.table.column(name)
        if column is None or not (column.identity or "nextval(" in (column.default or "").lower()):
            continue
        db.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, %s), m) FROM (SELECT max({q(name)}) AS m FROM "
            f"{q(data.table.name)}) t WHERE m IS NOT NULL",
            [q(data.table.name), name],
        )
