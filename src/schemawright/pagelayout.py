"""PostgreSQL's on-disk layout, pure arithmetic: how many bytes rows and B-trees take.

Shared by the index planner (indexing.btree_size reads the widths and distinct counts from a
database's statistics) and the capacity plan (scaling.capacity takes them from the spec).
Heap rows follow heapam: a 23-byte tuple header (+ a null bitmap of one bit per column when the
row holds a NULL) MAXALIGNed to 8, attributes aligned by type (a short varlena, under 127 bytes,
has a 1-byte header and no alignment), the tuple MAXALIGNed, a 4-byte line pointer, 8192-byte
pages with a 24-byte header filled to the fillfactor, at most 291 tuples a page.
B-trees follow what `CREATE INDEX` (nbtsort.c) writes:

- leaf tuple: IndexTuple header (8 bytes, 16 with a null bitmap: only for rows with a NULL key)
  + each key and INCLUDE column at its average width (NULLs take no room), aligned like the heap
  does, the whole MAXALIGNed (8), + a 4-byte line pointer;
- deduplication (PostgreSQL 13+, on by default): equal keys share one posting-list tuple (key
  once + 6 bytes per heap row, lists up to about 10 % of a page), for key types whose equality
  is bitwise (not numeric, float, jsonb; char(n) only on PostgreSQL 18) and never with INCLUDE
  columns;
- leaf pages filled to the fillfactor (90 %) of 8192 - 24 (page header) - 16 (special space),
  each with a high key; internal pages filled to 70 % with truncated pivot tuples (key columns
  only), level by level up to the root; plus the metapage.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

BLOCK = 8192
PAGE_HEADER = 24
BTREE_SPECIAL = 16
USABLE = BLOCK - PAGE_HEADER - BTREE_SPECIAL
LEAF_FILLFACTOR = 0.90  # BTREE_DEFAULT_FILLFACTOR
INTERNAL_FILLFACTOR = 0.70  # BTREE_NONLEAF_FILLFACTOR
# Leaves grown by inserts at random places split in halves and settle about two thirds full (Yao:
# ln 2 = 69 %); measured 65-68 % on shop's unique keys loaded with their index in place.  Keys that
# only grow (identity, now()) split at the right edge and stay LEAF_FILLFACTOR full.
GROWN_LEAF_FILL = 0.68
LINE_POINTER = 4
TUPLE_HEADER = 8  # IndexTupleData
NULL_HEADER = 16  # MAXALIGN(8 + 4-byte null bitmap)
HEAP_TID = 6
MAX_POSTING = (BLOCK * 10 // 100) // 8 * 8 - LINE_POINTER  # nbtsort: a posting list is at most ~10 % of a page
# Types whose B-trees are deduplicated: equal values bitwise equal (`equalimage`; not numeric,
# float, jsonb).  char(n) (bpchar) too from BPCHAR_DEDUP_VERSION: measured deduplicated on
# PostgreSQL 18, not on 15; 16 and 17 are taken as 15 (a larger estimate keeps a budget safe).
DEDUP_TYPES = {"int2", "int4", "int8", "oid", "date", "time", "timestamp", "timestamptz", "bool", "char",
               "text", "varchar", "uuid", "name", "bytea", "money"}
BPCHAR_DEDUP_VERSION = 180000
ALIGN = {"c": 1, "s": 2, "i": 4, "d": 8}


def maxalign(n: float) -> float:
    return math.ceil(n / 8) * 8


@dataclass(frozen=True)
class Column:
    width: float  # average stored width, bytes (pg_stats.avg_width, or the type's length)
    null_frac: float
    n_distinct: float  # pg_stats: > 0 a count, < 0 a share of the rows
    typlen: int
    align: int
    type_name: str


@dataclass(frozen=True)
class Estimate:
    bytes: int
    rows: float
    leaf_pages: int
    internal_pages: int
    deduplicated: bool


def data_width(columns: list[Column], start: float) -> float:
    """Bytes from the tuple start to the end of the data, attributes aligned like the heap's
    (a short varlena, under 127 bytes, has a 1-byte header and no alignment)."""
    offset = start
    for col in columns:
        if col.typlen == -1 and col.width < 127:
            offset += col.width * (1 - col.null_frac)
            continue
        offset = math.ceil(offset / col.align) * col.align if col.null_frac < 1 else offset
        offset += col.width * (1 - col.null_frac)
    return offset


def estimate(rows: float, keys: list[Column], include: list[Column] = (),  # type: ignore[assignment]
             server_version: int = BPCHAR_DEDUP_VERSION, leaf_fill: float = LEAF_FILLFACTOR) -> Estimate:
    """The size of a B-tree over `rows` rows with these key and INCLUDE columns: as CREATE INDEX
    builds it, or with `leaf_fill` as inserts leave its leaves (GROWN_LEAF_FILL for keys that
    arrive at random places)."""
    include = list(include)
    rows = max(rows, 0.0)
    if rows < 1:
        return Estimate(BLOCK, 0.0, 0, 0, False)
    with_null = 1.0 - math.prod(1.0 - c.null_frac for c in keys + include)
    header = TUPLE_HEADER + (NULL_HEADER - TUPLE_HEADER) * with_null
    plain = maxalign(data_width(keys + include, header))
    pivot = maxalign(data_width(keys, TUPLE_HEADER))
    # Deduplication: equal keys share a posting list.  Rows with a NULL key group apart (NULLs
    # are equal to each other in an index), by the key columns that are never NULL.
    types = DEDUP_TYPES | ({"bpchar"} if server_version >= BPCHAR_DEDUP_VERSION else set())
    dedup = not include and all(c.type_name in types for c in keys)
    if dedup:
        tuples = tuple_bytes = 0.0
        for share, distinct in ((1.0 - with_null, _distinct(keys, rows, False)),
                                (with_null, _distinct(keys, rows, True))):
            part = rows * share
            if part <= 0:
                continue
            count, size = _posting(part, min(max(distinct, 1.0), part), plain)
            tuples += count
            tuple_bytes += count * size
        tuple_size = tuple_bytes / tuples
    else:
        tuple_size, tuples = plain, rows
    # nbtsort: a leaf takes tuples while its free space is at least 10 % of the page (fillfactor
    # 90); the last one then moves to the next page and a high key takes its place.
    per_leaf = max(math.floor((USABLE - max(BLOCK * (1 - leaf_fill), tuple_size + LINE_POINTER))
                              / (tuple_size + LINE_POINTER)), 1)
    leaves = max(math.ceil(tuples / per_leaf), 1)
    internal = 0
    level = leaves
    per_internal = max(math.floor((USABLE - BLOCK * (1 - INTERNAL_FILLFACTOR)) / (pivot + LINE_POINTER)), 2)
    while level > 1:
        level = math.ceil(level / per_internal)
        internal += level
    return Estimate(int((1 + leaves + internal) * BLOCK), rows, leaves, internal, dedup and tuples < rows)


def _distinct(keys: list[Column], rows: float, nulls: bool) -> float:
    """Distinct key combinations among the rows without a NULL key (or, `nulls`, among those with
    one, where a column that may be NULL counts as one value)."""
    distinct = 1.0
    for c in keys:
        if nulls and c.null_frac > 0:
            continue
        distinct *= max(-c.n_distinct * rows if c.n_distinct < 0 else c.n_distinct, 1.0)
    return min(distinct, rows)


def _posting(rows: float, distinct: float, plain: float) -> tuple[float, float]:
    """(tuples, bytes per tuple) of `rows` index entries over `distinct` equal-key groups, taken
    as evenly sized (groups of floor(g) and floor(g) + 1 rows for an average of g)."""
    group = rows / distinct
    if group < 1.01:
        return rows, plain
    per_list = max(int((MAX_POSTING // 8 * 8 - plain) // HEAP_TID), 2)  # MAXALIGN(tuple) <= MAX_POSTING
    small = math.floor(group)
    tuples = total = 0.0
    for size, count in ((small, distinct * (small + 1 - group)), (small + 1, distinct * (group - small))):
        if count <= 0:
            continue
        if size < 2:
            tuples, total = tuples + count, total + count * plain
            continue
        lists = math.ceil(size / per_list)
        tuples += count * lists
        total += count * lists * maxalign(plain + HEAP_TID * size / lists)
    return tuples, total / tuples


# ---------------------------------------------------------------- heap and TOAST

HEAP_TUPLE_HEADER = 23  # HeapTupleHeaderData up to t_bits
MAX_HEAP_TUPLES_PER_PAGE = 291  # MaxHeapTuplesPerPage for 8 kB pages
TOAST_TUPLE_THRESHOLD = 2032  # a row wider than this has its widest values compressed or moved out
TOAST_CHUNK = 1996  # TOAST_MAX_CHUNK_SIZE: bytes of a value per TOAST row
TOAST_POINTER = 18  # varatt_external and its 2-byte header, left in the row
FSM_LEAF_SLOTS = 4069  # heap pages one free space map leaf page covers (LeafNodesPerPage)
VM_HEAP_PAGES = 32672  # heap pages one visibility map page covers (HEAPBLOCKS_PER_PAGE)


@dataclass(frozen=True)
class Heap:
    bytes: int  # main fork + free space map + visibility map
    pages: int  # main fork
    tuple_bytes: float  # one row, MAXALIGNed, without its line pointer
    rows_per_page: int


def heap_tuple_bytes(columns: list[Column]) -> float:
    """One row's bytes: header (+ null bitmap when the row holds a NULL), data aligned, MAXALIGNed."""
    with_null = 1.0 - math.prod(1.0 - c.null_frac for c in columns)
    plain = maxalign(HEAP_TUPLE_HEADER)
    bitmap = maxalign(HEAP_TUPLE_HEADER + math.ceil(len(columns) / 8))
    header = plain + (bitmap - plain) * with_null
    return maxalign(data_width(columns, header))


def heap(rows: float, columns: list[Column], fillfactor: int = 100, vacuumed: bool = True) -> Heap:
    """A heap of `rows` rows written by inserts (COPY or INSERT): pages filled to the fillfactor
    (heapam keeps (100 - fillfactor) % of each page free for updates), plus its free space map
    (a root, an upper page and one leaf page per FSM_LEAF_SLOTS heap pages) and, once vacuumed,
    its visibility map."""
    tuple_bytes = heap_tuple_bytes(columns)
    save = BLOCK * (100 - fillfactor) // 100
    per_page = max(1, min(MAX_HEAP_TUPLES_PER_PAGE,
                          math.floor((BLOCK - PAGE_HEADER - save) / (tuple_bytes + LINE_POINTER))))
    pages = math.ceil(max(rows, 0.0) / per_page)
    # Inserts make the map once a page is full; VACUUM records every page's free space, even a lone one's.
    fsm = 0 if pages == 0 or (pages == 1 and not vacuumed) else 2 + math.ceil(pages / FSM_LEAF_SLOTS)
    vm = math.ceil(pages / VM_HEAP_PAGES) if vacuumed else 0
    return Heap((pages + fsm + vm) * BLOCK, pages, tuple_bytes, per_page)


def toast_chunks(value_bytes: float) -> int:
    """TOAST rows one out-of-line value takes (stored uncompressed: an upper bound)."""
    return math.ceil(max(value_bytes, 0.0) / TOAST_CHUNK)


TOAST_CHUNK_ROW = maxalign(HEAP_TUPLE_HEADER + 1) + 4 + 4 + 4 + TOAST_CHUNK  # chunk_id, chunk_seq, chunk_data
TOAST_KEY = [Column(4, 0.0, -1.0, 4, 4, "oid"), Column(4, 0.0, -1.0, 4, 4, "int4")]


def toast(rows: float, out_of_line: list[float]) -> int:
    """Bytes of a TOAST table (heap and its index on (chunk_id, chunk_seq)) holding, per row, one
    value of each width in `out_of_line`; the index's empty metapage when there is none."""
    chunks = rows * sum(toast_chunks(w) for w in out_of_line)
    if chunks < 1:
        return BLOCK  # the TOAST index exists from CREATE TABLE: its metapage
    per_page = max(1, math.floor((BLOCK - PAGE_HEADER) / (maxalign(TOAST_CHUNK_ROW) + LINE_POINTER)))
    pages = math.ceil(chunks / per_page)
    fsm = 0 if pages <= 1 else 2 + math.ceil(pages / FSM_LEAF_SLOTS)
    index = estimate(chunks, TOAST_KEY).bytes
    return (pages + fsm) * BLOCK + index
