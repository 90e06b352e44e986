"""WAL a day from the write patterns' rates.

A pattern's `frequency` is executions a second at peak; the day's average is taken as
1 / PEAK_TO_AVERAGE of it (a daily cycle whose busiest hour runs about three times the day's
mean).  Each execution changes `returns` rows (1 when not given) of the table its statement
names, and writes:

- a commit record (COMMIT_RECORD bytes);
- INSERT: a heap insert record (the row's data + RECORD_OVERHEAD) and one index insert per
  index (its key + RECORD_OVERHEAD);
- UPDATE: a heap update record with the new row version; index entries too unless no indexed
  column is SET (then the update is HOT and the indexes are not touched);
- DELETE: a heap delete record (RECORD_OVERHEAD);
- full-page images: with full_page_writes on, the first change to a page after a checkpoint logs
  the whole 8 kB page.  Appends (heap inserts, index keys that only grow: identity, a `now()`
  default) touch few pages; changes at random places (updates, deletes, other index keys) touch
  min(pages of the relation, changes per checkpoint) distinct pages per checkpoint, taken every
  CHECKPOINT_SECONDS (checkpoint_timeout's default).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from schemawright import model as m
from schemawright.pagelayout import BLOCK
from schemawright.scaling.table_size import TableSize, appending_key, pages, table_indexes

PEAK_TO_AVERAGE = 3.0
CHECKPOINT_SECONDS = 300
COMMIT_RECORD = 40  # XLogRecord + xl_xact_commit, aligned
RECORD_OVERHEAD = 56  # XLogRecord (24) + block reference (20) + the heap/index record header, aligned
SECONDS_PER_DAY = 86_400

_STATEMENT = re.compile(r'^\s*(?:with\b.*?\)\s*)?(insert\s+into|update|delete\s+from)\s+("?[\w.]+"?)',
                        re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class PatternWal:
    pattern: str
    table: str
    statement: str  # insert, update, delete
    rows_per_run: float
    peak_per_second: float
    record_bytes: float  # WAL records of one execution, full-page images apart
    hot: bool  # an update that changes no indexed column
    page_image_bytes_per_day: float

    @property
    def average_per_second(self) -> float:
        return self.peak_per_second / PEAK_TO_AVERAGE

    @property
    def bytes_per_day(self) -> float:
        return self.record_bytes * self.average_per_second * SECONDS_PER_DAY + self.page_image_bytes_per_day


def written_table(sql: str) -> tuple[str, str] | None:
    """(statement, table) of a write pattern's SQL, or None when it is not a plain write."""
    found = _STATEMENT.search(sql)
    if not found:
        return None
    return found.group(1).split()[0].lower(), found.group(2).strip('"').split(".")[-1]


def set_columns(sql: str) -> set[str]:
    found = re.search(r"\bset\b(.*?)(\bwhere\b|\breturning\b|\bfrom\b|$)", sql, re.IGNORECASE | re.DOTALL)
    if not found:
        return set()
    return {a.group(1).strip('"') for a in re.finditer(r'("?[A-Za-z_][\w]*"?)\s*=', found.group(1))}


def distinct_pages(relation_pages: float, changes: float) -> float:
    """Expected distinct pages among `changes` changes at uniformly random places."""
    if relation_pages <= 0:
        return 0.0
    return relation_pages * (1.0 - math.exp(-changes / relation_pages))


def pattern_wal(design: m.Design, pattern: m.AccessPattern, sizes: dict[str, TableSize],
                tuple_bytes: dict[str, float]) -> PatternWal | None:
    """The WAL one write pattern makes (None for a read or a statement not understood)."""
    if pattern.kind != "write" or pattern.frequency <= 0:
        return None
    found = written_table(pattern.sql)
    if found is None or design.table(found[1]) is None:
        return None
    statement, name = found
    table = design.table(name)
    assert table is not None
    rows = float(pattern.returns or 1)
    indexes = table_indexes(design, table)
    size = sizes[name]
    index_bytes = dict(size.indexes)
    changed = set_columns(pattern.sql) if statement == "update" else set()
    hot = statement == "update" and not any(k in changed for i in indexes for k in (*i.keys, *i.include))
    row = tuple_bytes[name]
    per_row = {"insert": row + RECORD_OVERHEAD, "update": row + RECORD_OVERHEAD, "delete": RECORD_OVERHEAD}[statement]
    key_width = 24.0  # an index entry's key and header, typical
    touched = [i for i in indexes if statement == "insert" or (statement == "update" and not hot)]
    per_row += len(touched) * (key_width + RECORD_OVERHEAD)
    # Full-page images: distinct pages changed at random places per checkpoint.
    changes = rows * pattern.frequency / PEAK_TO_AVERAGE * CHECKPOINT_SECONDS
    random_pages = 0.0
    if statement in ("update", "delete"):
        random_pages += distinct_pages(pages(size.heap), changes)
    for index in touched:
        if not appending_key(table, index):
            random_pages += distinct_pages(pages(index_bytes.get(index.name, BLOCK)), changes)
    images = random_pages * BLOCK * SECONDS_PER_DAY / CHECKPOINT_SECONDS
    return PatternWal(pattern.name, name, statement, rows, pattern.frequency, COMMIT_RECORD + rows * per_row, hot,
                      images)
