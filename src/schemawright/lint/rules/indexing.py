"""Indexing: unindexed foreign keys, duplicate and prefix-redundant indexes (key constraints
count: each is backed by a unique index), and index-heavy tables that are mostly written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from schemawright import model as m
from schemawright.lint.context import SQL, Context, IndexPath, fix
from schemawright.lint.rule import Hit, Rule, register

_PRIORITY = {"primary key": 0, "unique constraint": 1, "index": 2}


def _directions(path: IndexPath) -> tuple[tuple[str, bool], ...]:
    """Columns with directions made relative: a B-tree scans both ways, so (a DESC, b DESC)
    serves the same orders as (a, b)."""
    if path.columns and path.columns[0][1]:
        return tuple((c, not d) for c, d in path.columns)
    return path.columns


def _btree(path: IndexPath) -> bool:
    return path.method == "btree"


@register
class UnindexedForeignKey(Rule):
    code = "SW301"
    name = "unindexed-foreign-key"
    family = "indexing"
    severity = "warning"
    summary = "A foreign key's columns are not the leading columns of any index."
    rationale = (
        "PostgreSQL indexes the referenced key but not the referencing columns. Without an index, every "
        "delete or key update of a parent row scans the whole child table to check for children (under a "
        "lock), and joins from parent to children scan too. An index (or key) whose leading columns are the "
        "foreign key's columns, in any order, serves both. A spec's foreign key to a lookup table of at most "
        "1,000 declared rows that no access pattern deletes from or re-keys is not reported: design leaves "
        "it unindexed on purpose (the check never runs; the index would only cost upkeep on every write) and "
        "says so in the constraint's comment, which starts 'No index on purpose:'.")
    example = ("CREATE TABLE orders (id bigint PRIMARY KEY);\n"
               "CREATE TABLE order_lines (\n    id bigint PRIMARY KEY,\n"
               "    order_id bigint NOT NULL REFERENCES orders\n);")
    fixed = ("CREATE TABLE orders (id bigint PRIMARY KEY);\n"
             "CREATE TABLE order_lines (\n    id bigint PRIMARY KEY,\n"
             "    order_id bigint NOT NULL REFERENCES orders\n);\n"
             "CREATE INDEX ix_order_lines_order_id ON order_lines (order_id);")
    fix = "CREATE INDEX CONCURRENTLY on the foreign key's columns (or put them first in an existing index)."

    def check(self, ctx: Context) -> Iterator[Hit]:
        from schemawright.indexing.first_cut import NO_INDEX_ON_PURPOSE, lookup_foreign_keys

        # design leaves a key to a tiny lookup table nothing deletes from unindexed on purpose: judged
        # again from the volumes when the design has them (a spec), else read from the comment it put
        # on the constraint (a schema.sql or database it made)
        lookups = lookup_foreign_keys(ctx.design) if ctx.design.volumes else None
        for table in ctx.design.tables:
            paths = [p for p in ctx.paths(table) if _btree(p) and not p.where]
            for fk in table.foreign_keys:
                wanted = set(fk.columns)
                on_purpose = (table.name, fk.columns) in lookups if lookups is not None \
                    else fk.reason.startswith(NO_INDEX_ON_PURPOSE)
                if on_purpose or any(set(p.names[: len(fk.columns)]) == wanted for p in paths):
                    continue
                cols = ", ".join(fk.columns)
                yield Hit(table.name, fk.columns[0],
                          f"foreign key {table.name}.({cols}) -> {fk.ref_table} has no index",
                          fix(SQL.create_index_sql(m.Index(name="", table=table.name,
                                                           columns=tuple(m.IndexColumn(expression=c) for c in fk.columns)))))


@register
class DuplicateIndex(Rule):
    code = "SW302"
    name = "duplicate-index"
    family = "indexing"
    severity = "warning"
    summary = "Two indexes (or an index and a key constraint) have the same columns, method and predicate."
    rationale = (
        "A duplicate index serves no query the other does not, yet every insert, update and delete "
        "maintains both, VACUUM scans both, and both take memory and disk. Primary keys and unique "
        "constraints count: each is a unique index.")
    example = ("CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL UNIQUE);\n"
               "CREATE INDEX ix_customers_email ON customers (email);")
    fixed = "CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL UNIQUE);"
    fix = "Drop the duplicate (DROP INDEX CONCURRENTLY), keeping the key constraint or unique index."

    def check(self, ctx: Context) -> Iterator[Hit]:
        for table in ctx.design.tables:
            groups: dict[tuple, list[IndexPath]] = {}
            for p in ctx.paths(table):
                key = (_directions(p), p.method, p.where, tuple(sorted(p.include)))
                groups.setdefault(key, []).append(p)
            for group in groups.values():
                if len(group) < 2:
                    continue
                ranked = sorted(group, key=lambda p: (_PRIORITY[p.kind], not p.unique, p.name))
                keep = ranked[0]
                for extra in ranked[1:]:
                    what = f"{extra.kind} {extra.name}"
                    yield Hit(table.name, extra.names[0] if extra.plain else None,
                              f"{what} on {table.name} ({', '.join(extra.names)}) duplicates {keep.kind} {keep.name}",
                              fix(SQL.drop_index_sql(extra.name, concurrently=True)) if extra.kind == "index"
                              else fix(SQL.drop_constraint_sql(table.name, extra.name)))


@register
class RedundantPrefixIndex(Rule):
    code = "SW303"
    name = "redundant-prefix-index"
    family = "indexing"
    severity = "warning"
    summary = "A non-unique index is a leading prefix of another B-tree index on the same table."
    rationale = (
        "A B-tree on (a, b) serves every lookup and sort on (a) that an index on (a) serves, so the "
        "shorter index only costs writes, memory and VACUUM time. Unique indexes are never reported (they "
        "enforce something), nor partial indexes with a different predicate.")
    example = ("CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, placed_at timestamptz);\n"
               "CREATE INDEX ix_orders_customer ON orders (customer_id);\n"
               "CREATE INDEX ix_orders_customer_placed ON orders (customer_id, placed_at);")
    fixed = ("CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, placed_at timestamptz);\n"
             "CREATE INDEX ix_orders_customer_placed ON orders (customer_id, placed_at);")
    fix = "Drop the shorter index (DROP INDEX CONCURRENTLY) after checking no query depends on its smaller size."

    def check(self, ctx: Context) -> Iterator[Hit]:
        for table in ctx.design.tables:
            paths = [p for p in ctx.paths(table) if _btree(p)]
            for short in paths:
                if short.unique or short.kind != "index":
                    continue
                cols = _directions(short)
                for long in paths:
                    if long is short or len(long.columns) <= len(short.columns) or long.where != short.where:
                        continue
                    if _directions(long)[: len(cols)] != cols:
                        continue
                    if not set(short.include) <= set(long.names) | set(long.include):
                        continue
                    yield Hit(table.name, short.names[0] if short.plain else None,
                              f"index {short.name} on {table.name} ({', '.join(short.names)}) is a prefix of "
                              f"{long.kind} {long.name} ({', '.join(long.names)})",
                              fix(SQL.drop_index_sql(short.name, concurrently=True)))
                    break


@register
class TooManyIndexes(Rule):
    code = "SW304"
    name = "too-many-indexes"
    family = "indexing"
    severity = "warning"
    summary = "A table that is mostly written carries more indexes than its writes can afford."
    rationale = (
        "Every index is updated by every insert (and by updates that change its columns or defeat HOT "
        "updates). On a table whose access patterns write at least as often as they read, each extra index "
        "multiplies write cost and WAL volume. Write and read rates come from the access patterns' "
        "frequencies (updates count only when they change an indexed column: other updates can be HOT "
        "updates, which touch no index); key constraints count as indexes.")
    example = ("-- readings: 70 inserts/s, 5 reads/s\n"
               "CREATE TABLE readings (id bigint PRIMARY KEY, sensor_id bigint, recorded_at timestamptz,\n"
               "                       value numeric, quality text, received_at timestamptz);\n"
               "CREATE INDEX ON readings (sensor_id);\nCREATE INDEX ON readings (recorded_at);\n"
               "CREATE INDEX ON readings (value);\nCREATE INDEX ON readings (quality);\n"
               "CREATE INDEX ON readings (received_at);\nCREATE INDEX ON readings (sensor_id, recorded_at);")
    fixed = ("CREATE TABLE readings (id bigint PRIMARY KEY, sensor_id bigint, recorded_at timestamptz,\n"
             "                       value numeric, quality text, received_at timestamptz);\n"
             "CREATE INDEX ON readings (sensor_id, recorded_at);")
    fix = "Keep the indexes the read patterns need (one composite index often replaces several); drop the rest."
    options: ClassVar[dict[str, object]] = {"max_indexes": 5, "write_ratio": 1.0}

    def check(self, ctx: Context) -> Iterator[Hit]:
        limit = int(ctx.option(self.code, "max_indexes"))  # type: ignore[arg-type]
        ratio = float(ctx.option(self.code, "write_ratio"))  # type: ignore[arg-type]
        for table in ctx.design.tables:
            own = [u for u in ctx.pattern_uses if u.write_target == table.name]
            if not own:
                continue
            indexed = ctx.indexed_columns(table) if any(u.statement == "update" for u in own) else set()
            # An UPDATE that changes no indexed column can be a HOT update, which touches no index.
            writes = sum(u.pattern.frequency for u in own if u.statement != "update" or u.set_columns & indexed)
            reads = sum(u.pattern.frequency for u in ctx.pattern_uses
                        if u.write_target != table.name and table.name in u.touches)
            count = len(ctx.paths(table))
            if writes <= 0 or writes < ratio * reads or count <= limit:
                continue
            yield Hit(table.name, None,
                      f"{table.name} has {count} indexes (limit {limit}) and is write-heavy: "
                      f"{writes:g} writes/s against {reads:g} reads/s in the access patterns",
                      "drop indexes no read pattern needs, or merge them into composite ones")
