"""One table under construction, as MySQL/MariaDB or SQLite would create it.

Unnamed keys, constraints and indexes get the names the source database would give them
(`users_ibfk_1`, `email_2`, `CONSTRAINT_1`), and every translation that changes a type or
drops a default is recorded on the schema as a Decision.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlglot import exp

from schemawright import model as m
from schemawright.importers.foreign_expressions import pg_default, pg_expression
from schemawright.importers.foreign_types import TypeMapping
from schemawright.importers.pg_names import choose_name, column_part, object_name
from schemawright.importers.semantics import infer
from schemawright.importers.sqlglot_dialects import DIALECT_NAMES
from schemawright.sql.quoting import quote_ident, quote_literal

if TYPE_CHECKING:
    from schemawright.importers.schema_builder import SchemaBuilder


@dataclass
class _Column:
    name: str
    mapping: TypeMapping
    nullable: bool = True
    default: str | None = None
    identity: bool = False
    generated: str | None = None
    description: str | None = None


@dataclass
class _Index:
    name: str
    columns: list[m.IndexColumn]
    unique: bool = False
    method: str = "btree"
    where: str | None = None
    reason: str = ""


@dataclass
class TableBuilder:
    """A table under construction; `SchemaBuilder.design` freezes it into `model.Table`."""

    schema: SchemaBuilder
    name: str
    description: str | None = None
    columns: dict[str, _Column] = field(default_factory=dict)
    primary_key: list[str] | None = None
    primary_key_name: str | None = None
    foreign_keys: list[m.ForeignKey] = field(default_factory=list)
    uniques: list[m.Unique] = field(default_factory=list)
    checks: list[m.Check] = field(default_factory=list)
    indexes: list[_Index] = field(default_factory=list)
    without_rowid: bool = False
    fk_where: dict[str, str] = field(default_factory=dict)
    _counters: Counter = field(default_factory=Counter)

    # ------------------------------------------------------------ names

    @property
    def mysql(self) -> bool:
        return self.schema.dialect == "mysql"

    def column_name(self, name: str) -> str | None:
        """The declared name of a column (MySQL column names are case-insensitive)."""
        if name in self.columns:
            return name
        lowered = name.lower()
        return next((c for c in self.columns if c.lower() == lowered), None)

    def _key_names(self) -> set[str]:
        names = {u.name for u in self.uniques} | {i.name for i in self.indexes}
        if self.primary_key is not None:
            names.add("PRIMARY")
        return names

    def _constraint_names(self) -> set[str]:
        names = {c.name for c in self.checks} | {f.name for f in self.foreign_keys} | {u.name for u in self.uniques}
        if self.primary_key_name:
            names.add(self.primary_key_name)
        return names

    def _mysql_key_name(self, first_column: str) -> str:
        taken = {n.lower() for n in self._key_names()}
        name, number = first_column, 1
        while name.lower() in taken:
            number += 1
            name = f"{first_column}_{number}"
        return name

    # ------------------------------------------------------------ pieces

    def add_column(self, name: str, mapping: TypeMapping, *, nullable: bool = True, default: exp.Expression | None = None,
                   identity: bool = False, generated: exp.Expression | None = None, stored: bool = True,
                   on_update: exp.Expression | None = None, comment: str | None = None, where: str = "") -> None:
        subject = f"{self.name}.{name}"
        if mapping.reason:
            self.schema.decide(f"type {mapping.source} -> {mapping.sql_type}", subject, mapping.sql_type,
                               f"{DIALECT_NAMES[self.schema.dialect]} {mapping.source}: {mapping.reason}")
            self.schema.column_types[subject] = mapping.source
        column = _Column(name, mapping, nullable=nullable, identity=identity, description=comment or None)
        if generated is not None:
            try:
                column.generated = pg_expression(generated, self.schema.dialect, self.booleans())
                if not stored:
                    self.schema.decide("virtual generated columns", subject, "STORED",
                                       "PostgreSQL 15 computes generated columns only as STORED")
            except ValueError as error:
                self.schema.warn(where, f"generated column {subject}: {error}; kept as a plain column")
        elif not identity:
            column.default, why = pg_default(default, mapping, self.schema.dialect)
            if why:
                self.schema.decide("defaults dropped", subject, "no default", why)
        if on_update is not None:
            self.schema.decide("ON UPDATE", subject, "not kept",
                               "PostgreSQL has no ON UPDATE for columns: set it in the application or a BEFORE UPDATE trigger")
        self.columns[name] = column
        if mapping.values:
            values = ", ".join(quote_literal(v) for v in mapping.values)
            self.checks.append(m.Check(name=object_name(self.name, name, "values"),
                                       expression=f"{quote_ident(name)} IN ({values})",
                                       reason=f"the values of {mapping.source}"))

    def booleans(self) -> frozenset[str]:
        return frozenset(c.name for c in self.columns.values() if c.mapping.boolean_from_int)

    def _columns(self, names: list[str], what: str, where: str) -> list[str] | None:
        resolved = []
        for name in names:
            found = self.column_name(name)
            if found is None:
                self.schema.warn(where, f"{what} on {self.name} names column {name!r}, which the table does not have; skipped")
                return None
            resolved.append(found)
        return resolved

    def set_primary_key(self, columns: list[str], name: str | None = None, where: str = "") -> None:
        resolved = self._columns(columns, "primary key", where)
        if resolved is None:
            return
        self.primary_key = resolved
        if self.mysql or not name:
            name = object_name(self.name, None, "pkey")
        self.primary_key_name = name

    def add_unique(self, columns: list[str], name: str | None = None, where: str = "", prefixed: bool = False) -> None:
        resolved = self._columns(columns, "unique key", where)
        if resolved is None:
            return
        if not name:
            if self.mysql:
                name = self._mysql_key_name(resolved[0])
            else:
                name = choose_name(self.name, column_part(resolved), "key", set(self._constraint_names()),
                                   set(self.schema.relation_names()))
        if prefixed:
            self.schema.decide("prefix keys", f"{self.name}.{name}", "whole column",
                               "PostgreSQL indexes whole values, not prefixes: the unique key covers the whole column")
        self.uniques.append(m.Unique(name=name, columns=tuple(resolved)))

    def add_foreign_key(self, columns: list[str], ref_table: str, ref_columns: list[str], *, on_delete: str | None = None,
                        on_update: str | None = None, name: str | None = None, where: str = "") -> None:
        resolved = self._columns(columns, "foreign key", where)
        if resolved is None:
            return
        if not ref_columns:  # REFERENCES t: t's primary key
            target = self.schema.tables.get(ref_table)
            if target is None and ref_table == self.name:
                target = self
            if target is None or not target.primary_key:
                self.schema.warn(where, f"foreign key on {self.name} references {ref_table} without columns, and its "
                                        "primary key is not known; skipped")
                return
            ref_columns = list(target.primary_key)
        if not name:
            if self.mysql:
                self._counters["ibfk"] += 1
                name = f"{self.name}_ibfk_{self._counters['ibfk']}"
            else:
                name = choose_name(self.name, column_part(resolved), "fkey", set(self._constraint_names()))
        if on_delete is None:
            on_delete = "restrict" if self.mysql else "no action"
        if on_update and on_update.lower() not in ("restrict", "no action"):
            self.schema.decide("ON UPDATE actions", f"{self.name}.{name}", "not kept",
                               f"the model keeps ON DELETE only; ON UPDATE {on_update.upper()} is not carried over")
        self.foreign_keys.append(m.ForeignKey(name=name, columns=tuple(resolved), ref_table=ref_table,
                                              ref_columns=tuple(ref_columns), on_delete=on_delete.lower()))
        self.fk_where[name] = where

    def add_check(self, node: exp.Expression, name: str | None = None, column: str | None = None, where: str = "") -> None:
        # MariaDB stores a JSON column as longtext CHECK (json_valid(col)): that is jsonb.
        if isinstance(node, exp.Paren):
            node = node.this
        if isinstance(node, (exp.Anonymous, exp.Func)) and node.sql_name().lower() in ("json_valid", "isjson", "is_json") \
                or (isinstance(node, exp.Anonymous) and node.name.lower() == "json_valid"):
            args = list(node.iter_expressions())
            if len(args) == 1 and isinstance(args[0], exp.Column):
                target = self.column_name(args[0].name)
                col = self.columns.get(target or "")
                if col is not None and col.mapping.sql_type in ("text", "jsonb"):
                    if col.mapping.sql_type == "text":
                        col.mapping = TypeMapping("jsonb", col.mapping.source, "JSON column (text checked by json_valid): jsonb")
                        self.schema.decide("type json -> jsonb", f"{self.name}.{col.name}", "jsonb",
                                           "MariaDB's JSON is longtext with CHECK (json_valid(...)): jsonb")
                        self.schema.column_types[f"{self.name}.{col.name}"] = "json"
                    return
        try:
            expression = pg_expression(node, self.schema.dialect, self.booleans())
        except ValueError as error:
            self.schema.warn(where, f"check on {self.name}: {error}; skipped")
            return
        if not name:
            if self.mysql:  # MariaDB: a column check is named after its column, others CONSTRAINT_1 ...
                if column:
                    name = column
                else:
                    self._counters["check"] += 1
                    name = f"CONSTRAINT_{self._counters['check']}"
            else:
                refs = sorted({c.name for c in node.find_all(exp.Column)})
                name = choose_name(self.name, column or (refs[0] if len(refs) == 1 else None), "check",
                                   set(self._constraint_names()))
        self.checks.append(m.Check(name=name, expression=expression))

    def add_index(self, parts: list[tuple[exp.Expression | str, bool, bool]], *, name: str | None = None, unique: bool = False,
                  kind: str | None = None, where_clause: exp.Expression | None = None, where: str = "") -> None:
        """`parts`: (column name or expression, descending, had a prefix length)."""
        kind = (kind or "").upper()
        columns: list[m.IndexColumn] = []
        names: list[str] = []
        prefixed = False
        for part, descending, prefix in parts:
            prefixed = prefixed or prefix
            if isinstance(part, exp.Column) and not part.table:
                part = part.name
            if isinstance(part, exp.Identifier):
                part = part.name
            if isinstance(part, str):
                found = self._columns([part], "index", where)
                if found is None:
                    return
                names.append(found[0])
                columns.append(m.IndexColumn(expression=found[0], descending=descending))
            else:
                try:
                    text = pg_expression(part, self.schema.dialect, self.booleans())
                except ValueError as error:
                    self.schema.warn(where, f"index on {self.name}: {error}; skipped")
                    return
                columns.append(m.IndexColumn(expression=f"({text})", descending=descending))
        if not columns:
            return
        if kind == "SPATIAL":
            self.schema.decide("spatial indexes", f"{self.name}.{name or names[0]}", "not kept",
                               "a spatial index needs PostGIS in PostgreSQL")
            return
        if not name:
            if self.mysql:
                name = self._mysql_key_name(names[0] if names else "index")
            else:
                name = choose_name(self.name, column_part(names) if names else "expr", "idx", set(self.schema.relation_names()))
        if unique and self.mysql and all(not c.expression.startswith("(") for c in columns):
            self.add_unique(names, name, where, prefixed)  # MySQL: a unique index is the unique key
            return
        method = "btree"
        reason = ""
        if kind == "FULLTEXT":
            method = "gin"
            text = " || ' ' || ".join(f"coalesce({quote_ident(n)}, '')" for n in names)
            columns = [m.IndexColumn(expression=f"(to_tsvector('simple'::regconfig, {text}))")]
            self.schema.decide("FULLTEXT indexes", f"{self.name}.{name}", "GIN on to_tsvector",
                               "PostgreSQL's full-text search indexes a tsvector with GIN")
            reason = "full-text index"
        elif prefixed:
            self.schema.decide("prefix keys", f"{self.name}.{name}", "whole column",
                               "PostgreSQL indexes whole values, not prefixes")
        where_text = None
        if where_clause is not None:
            try:
                where_text = pg_expression(where_clause, self.schema.dialect, self.booleans())
            except ValueError as error:
                self.schema.warn(where, f"index {name}: {error}; skipped")
                return
        self.indexes.append(_Index(name=name, columns=columns, unique=unique, method=method, where=where_text, reason=reason))

    def copy_like(self, other: TableBuilder) -> None:
        """CREATE TABLE ... LIKE other: its columns, keys, checks and indexes, not its foreign keys."""
        self.description = other.description
        self.columns = {k: _Column(**vars(v)) for k, v in other.columns.items()}
        self.primary_key = list(other.primary_key) if other.primary_key else None
        self.primary_key_name = object_name(self.name, None, "pkey") if other.primary_key else None
        self.uniques = list(other.uniques)
        self.checks = list(other.checks)
        self.indexes = [_Index(i.name, list(i.columns), i.unique, i.method, i.where, i.reason) for i in other.indexes]

    # ------------------------------------------------------------ freezing

    def implicit_foreign_key_indexes(self) -> None:
        """InnoDB creates an index for a foreign key whose columns lead no existing index."""
        for fk in self.foreign_keys:
            keys = [list(self.primary_key or [])] + [list(u.columns) for u in self.uniques] + \
                   [[c.expression for c in i.columns] for i in self.indexes]
            if any(k[:len(fk.columns)] == list(fk.columns) for k in keys):
                continue
            explicit = not re.fullmatch(re.escape(self.name) + r"_ibfk_\d+", fk.name)
            name = fk.name if explicit and fk.name.lower() not in {n.lower() for n in self._key_names()} \
                else self._mysql_key_name(fk.columns[0])
            self.indexes.append(_Index(name=name, columns=[m.IndexColumn(expression=c) for c in fk.columns],
                                       reason="created by InnoDB for a foreign key"))
            self.schema.decide("foreign key indexes", f"{self.name}.{name}", "index",
                               "InnoDB creates an index for every foreign key that has none")

    def freeze(self, fk_columns: set[str]) -> tuple[m.Table, list[m.Index]]:
        pk = list(self.primary_key or [])
        columns = []
        for c in self.columns.values():
            nullable = c.nullable and c.name not in pk
            if c.mapping.values:
                semantic = "enum"
            elif c.identity and pk == [c.name]:
                semantic = "id"
            elif c.name in fk_columns:
                semantic = "fk"
            else:
                semantic = infer(c.mapping.sql_type, column=c.name).type
            columns.append(m.Column(name=c.name, semantic=semantic, sql_type=c.mapping.sql_type, nullable=nullable,
                                    default=c.default, identity=c.identity, generated=c.generated,
                                    description=c.description))
        table = m.Table(
            name=self.name, description=self.description, columns=tuple(columns),
            primary_key=m.PrimaryKey(name=self.primary_key_name or object_name(self.name, None, "pkey"), columns=tuple(pk))
            if pk else None,
            foreign_keys=tuple(self.foreign_keys), uniques=tuple(self.uniques), checks=tuple(self.checks),
        )
        indexes = [m.Index(name=i.name, table=self.name, columns=tuple(i.columns), unique=i.unique, method=i.method,
                           where=i.where, reason=i.reason) for i in self.indexes]
        return table, indexes
