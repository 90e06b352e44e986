"""PostgreSQL's rules for keys on a partitioned table, checked before a scheme is chosen.

A partitioned table enforces uniqueness per partition only, so every primary key and
unique constraint must contain the partition key; a foreign key that points at the table
needs such a key, so every referencing table would have to carry the partition key too.
"""

from __future__ import annotations

from schemawright import model as m


def _cols(columns: tuple[str, ...]) -> str:
    return ", ".join(columns)


def blockers(design: m.Design, table: m.Table, key: str) -> list[str]:
    """Why partitioning `table` by `key` would break something the design needs; [] if nothing."""
    out = []
    column = table.column(key)
    if column is None:
        return [f"{table.name} has no column {key}"]
    if column.generated is not None:
        out.append(f"{key} is a generated column, which PostgreSQL does not accept as a partition key")
    for unique in table.uniques:
        if key not in unique.columns:
            out.append(f"unique constraint {unique.name} ({_cols(unique.columns)}) would have to include {key}, "
                       f"and would then no longer keep ({_cols(unique.columns)}) unique on its own")
    for index in design.indexes_on(table.name):
        if index.unique and key not in (c.expression for c in index.columns):
            out.append(f"unique index {index.name} would have to include {key}")
    if table.exclusions:
        out.append("an exclusion constraint cannot be enforced across partitions")
    referencing = sorted({f"{t.name}.{fk.name}" for t in design.tables for fk in t.foreign_keys
                          if fk.ref_table == table.name and key not in fk.ref_columns})
    if referencing:
        out.append(f"foreign keys reference it ({', '.join(referencing)}); a foreign key to a partitioned table "
                   f"needs a referenced key that includes {key}, so every referencing table would need a {key} "
                   "column as well")
    return out


def with_key_in_primary_key(table: m.Table, key: str) -> tuple[m.Table, list[m.Decision]]:
    """Add the partition key to the primary key (and make it NOT NULL), recording both."""
    decisions = []
    columns = table.columns
    column = table.column(key)
    if column is not None and column.nullable and table.primary_key is not None:
        columns = tuple(c.model_copy(update={"nullable": False}) if c.name == key else c for c in columns)
        decisions.append(m.Decision(step="partitioning", subject=f"{table.name}.{key}", choice="NOT NULL",
                                    reason="the partition key joins the primary key, whose columns cannot be NULL"))
    pk = table.primary_key
    if pk is not None and key not in pk.columns:
        new = pk.model_copy(update={"columns": pk.columns + (key,)})
        decisions.append(m.Decision(
            step="partitioning", subject=f"{table.name}.{pk.name}",
            choice=f"primary key ({_cols(pk.columns)}) -> ({_cols(new.columns)})",
            reason=f"PostgreSQL requires the partition key {key} in every primary key of a partitioned table; "
                   f"({_cols(pk.columns)}) stays unique in practice (it is generated), but the database now "
                   f"enforces only ({_cols(new.columns)}), and a lookup by ({_cols(pk.columns)}) alone probes "
                   "every partition"))
        pk = new
    return table.model_copy(update={"columns": columns, "primary_key": pk}), decisions
