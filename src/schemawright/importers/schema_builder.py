"""The schema being read, table by table, and its freezing into one `Design`.

Shared by the file importer (sqlglot_sql.py) and the live importer (sqlalchemy_live.py),
so a schema read from a file and the same schema read from a server come out alike.
`design()` finishes what the source database would have done (InnoDB's foreign key
indexes, unique keys under referenced columns) and gives names PostgreSQL accepts.
"""

from __future__ import annotations

from sqlglot import exp

from schemawright import model as m
from schemawright.importers.foreign_expressions import pg_query
from schemawright.importers.foreign_types import TypeMapping
from schemawright.importers.pg_names import choose_name, column_part, object_name
from schemawright.importers.sqlglot_dialects import DIALECT_NAMES
from schemawright.importers.table_builder import TableBuilder

SNIPPET = 200  # characters of a statement kept in an ImportNote


class SchemaBuilder:
    """Tables, views and kept objects being read, plus notes and decisions; `design()`
    freezes them into one `Design` with names PostgreSQL accepts."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.tables: dict[str, TableBuilder] = {}
        self.views: dict[str, m.View] = {}
        self.objects: dict[tuple[str, str], m.SchemaObject] = {}
        self.notes: list[m.ImportNote] = []
        self.column_types: dict[str, str] = {}
        self._decisions: dict[tuple[str, str, str], list[str]] = {}
        self._where: dict[str, tuple[int, int, str]] = {}

    # ------------------------------------------------------------ reporting

    def locate(self, key: str, line: int, column: int, statement: str) -> str:
        """Register a place for warnings (the file position of a statement or item)."""
        self._where[key] = (line, column, statement)
        return key

    def warn(self, where: str, reason: str) -> None:
        line, column, statement = self._where.get(where, (1, 1, where))
        self.notes.append(m.ImportNote(line=line, column=column, statement=statement[:SNIPPET], reason=reason))

    def note(self, line: int, column: int, statement: str, reason: str) -> None:
        self.notes.append(m.ImportNote(line=line, column=column, statement=statement[:SNIPPET], reason=reason))

    def decide(self, topic: str, subject: str, choice: str, reason: str) -> None:
        self._decisions.setdefault((topic, choice, reason), []).append(subject)

    # ------------------------------------------------------------ objects

    def table(self, name: str) -> TableBuilder:
        builder = TableBuilder(self, name)
        self.tables[name] = builder
        return builder

    def relation_names(self) -> set[str]:
        names = set(self.tables) | set(self.views)
        for t in self.tables.values():
            names |= {u.name for u in t.uniques} | {i.name for i in t.indexes}
            if t.primary_key_name:
                names.add(t.primary_key_name)
        return names

    def add_view(self, name: str, query: exp.Expression, where: str, original: str, schema: str | None = None) -> None:
        booleans = frozenset(c for t in self.tables.values() for c in t.booleans())
        try:
            sql = pg_query(query, self.dialect, booleans, schema)
        except ValueError as error:
            self.warn(where, f"view {name}: {error}; kept unanalysed")
            self.objects[("view", name)] = m.SchemaObject(kind="view", name=name, sql=original)
            return
        self.objects.pop(("view", name), None)
        self.views[name] = m.View(name=name, sql=sql)

    def add_object(self, kind: str, name: str, sql: str, table: str | None = None) -> None:
        """Keep an object as written. Its text is MySQL or SQLite, not PostgreSQL, so it is
        kept as SQL comments: DDL rendered from the model shows it, to translate by hand,
        and never runs it."""
        lines = [line.rstrip() for line in sql.strip().splitlines()]
        header = f"-- {DIALECT_NAMES[self.dialect]} {kind} {name}, kept as written (not translated to PostgreSQL):"
        text = "\n".join([header] + [f"--   {line}" if line else "--" for line in lines])
        self.objects[(kind, name)] = m.SchemaObject(kind=kind, name=name, sql=text, table=table)

    def drop(self, kind: str, name: str, table: str | None = None) -> None:
        if kind == "table":
            self.tables.pop(name, None)
        elif kind == "view":
            self.views.pop(name, None)
            self.objects.pop(("view", name), None)
        elif kind == "index":
            for t in self.tables.values():
                if table is None or t.name == table:
                    t.indexes = [i for i in t.indexes if i.name != name]
                    if self.dialect == "mysql":
                        t.uniques = [u for u in t.uniques if u.name != name]
        else:
            self.objects.pop((kind, name), None)

    # ------------------------------------------------------------ the model

    def design(self, project: str, source: m.Source) -> m.Design:
        if self.dialect == "mysql":
            for t in self.tables.values():
                t.implicit_foreign_key_indexes()
        self._typeless_keys()
        self._referenced_keys()
        fk_columns = {t.name: {c for fk in t.foreign_keys for c in fk.columns} for t in self.tables.values()}
        tables, indexes = [], []
        for t in self.tables.values():
            for fk in t.foreign_keys:
                if fk.ref_table not in self.tables:
                    self.warn(t.fk_where.get(fk.name, f"{t.name}.{fk.name}"),
                              f"foreign key {fk.name} on {t.name} references table {fk.ref_table}, which the schema "
                              "does not define; kept")
            table, table_indexes = t.freeze(fk_columns[t.name])
            tables.append(table)
            indexes.extend(table_indexes)
        tables, indexes = self._postgresql_names(tables, indexes)
        decisions = []
        for (topic, choice, reason), subjects in self._decisions.items():
            subject = subjects[0] if len(subjects) == 1 else topic
            text = reason if len(subjects) == 1 else f"{reason}. Applies to: {_listing(subjects)}"
            decisions.append(m.Decision(step="import", subject=subject, choice=choice, reason=text))
        if self.column_types:
            source = source.model_copy(update={"column_types": dict(self.column_types)})
        design = m.Design(
            project=project, dialect="postgresql", tables=tuple(tables), indexes=tuple(indexes),
            views=tuple(self.views.values()),
            objects=tuple(sorted(self.objects.values(), key=lambda o: (o.kind, o.name))),
            source=source, import_notes=tuple(sorted(self.notes, key=lambda n: (n.line, n.column))),
            decisions=tuple(decisions),
        )
        return with_conceptual(design)

    def _referenced_keys(self) -> None:
        """InnoDB lets a foreign key reference any indexed columns; PostgreSQL requires a
        primary key or unique constraint there: add the unique constraint."""
        for t in self.tables.values():
            for fk in t.foreign_keys:
                target = self.tables.get(fk.ref_table)
                if target is None:
                    continue
                keys = [set(target.primary_key or [])] + [set(u.columns) for u in target.uniques]
                if set(fk.ref_columns) in keys or not all(c in target.columns for c in fk.ref_columns):
                    continue
                name = choose_name(target.name, column_part(list(fk.ref_columns)), "key",
                                   set(target._constraint_names()), self.relation_names())
                target.uniques.append(m.Unique(name=name, columns=tuple(fk.ref_columns), reason="referenced by a foreign key"))
                self.decide("referenced keys", f"{target.name}.{name}", "unique",
                            "a foreign key references these columns; PostgreSQL requires them to be a primary key or unique")

    def _typeless_keys(self) -> None:
        """A SQLite column declared without a type that references a key takes the key's type
        (PostgreSQL needs comparable types on both sides of a foreign key)."""
        for t in self.tables.values():
            for fk in t.foreign_keys:
                target = self.tables.get(fk.ref_table)
                if target is None:
                    continue
                for column, ref in zip(fk.columns, fk.ref_columns):
                    col, ref_col = t.columns.get(column), target.columns.get(ref)
                    if col is None or ref_col is None or col.mapping.source or \
                            col.mapping.sql_type == ref_col.mapping.sql_type:
                        continue
                    col.mapping = TypeMapping(ref_col.mapping.sql_type, "", "no declared type: takes the type of the "
                                                                            "key it references")
                    subject = f"{t.name}.{column}"
                    for key, subjects in list(self._decisions.items()):
                        if key[0].startswith("type ") and subject in subjects:
                            subjects.remove(subject)
                            if not subjects:
                                del self._decisions[key]
                    self.decide("typeless foreign keys", f"{t.name}.{column}", col.mapping.sql_type,
                                f"declared without a type; takes the type of {fk.ref_table}.{ref}")

    def _postgresql_names(self, tables: list[m.Table], indexes: list[m.Index]) -> tuple[list[m.Table], list[m.Index]]:
        """Index and key names are per table in MySQL and SQLite, per schema in PostgreSQL."""
        relations = {t.name for t in tables} | set(self.views)
        renamed: dict[str, m.Table] = {}
        by_table: dict[str, list[m.Index]] = {}
        for index in indexes:
            by_table.setdefault(index.table, []).append(index)
        out_indexes: dict[int, m.Index] = {}

        def free(table: str, name: str, taken: set[str], kind: str) -> str:
            if name not in taken:
                taken.add(name)
                return name
            candidate = object_name(table, name, None) if not name.startswith(f"{table}_") else name
            number = 1
            while candidate in taken:
                number += 1
                candidate = object_name(table, name, str(number))
            taken.add(candidate)
            self.decide("renamed for PostgreSQL", f"{table}.{name}", candidate,
                        f"{kind} names share one namespace per schema in PostgreSQL (they are per table in "
                        f"{DIALECT_NAMES[self.dialect]})")
            return candidate

        # Whoever comes first keeps a clashing name: go by table name, so a file and the
        # database made from it (listed alphabetically) agree.
        for table in sorted(tables, key=lambda t: t.name):
            constraints: set[str] = set()
            update: dict[str, object] = {}
            if table.primary_key:
                name = free(table.name, table.primary_key.name, relations, "index")
                constraints.add(name)
                update["primary_key"] = table.primary_key.model_copy(update={"name": name})
            uniques = []
            for u in table.uniques:
                name = free(table.name, u.name, relations, "index")
                constraints.add(name)
                uniques.append(u.model_copy(update={"name": name}) if name != u.name else u)
            checks = []
            for c in table.checks:
                name = free(table.name, c.name, constraints, "constraint")
                checks.append(c.model_copy(update={"name": name}) if name != c.name else c)
            fks = []
            for f in table.foreign_keys:
                name = free(table.name, f.name, constraints, "constraint")
                fks.append(f.model_copy(update={"name": name}) if name != f.name else f)
            update.update(uniques=tuple(uniques), checks=tuple(checks), foreign_keys=tuple(fks))
            renamed[table.name] = table.model_copy(update=update)
            for index in by_table.get(table.name, []):
                name = free(table.name, index.name, relations, "index")
                out_indexes[id(index)] = index.model_copy(update={"name": name}) if name != index.name else index
        return [renamed[t.name] for t in tables], [out_indexes[id(i)] for i in indexes]


def with_conceptual(design: m.Design) -> m.Design:
    """Entities and relationships derived from the tables (importers/conceptual.py)."""
    from schemawright.importers.conceptual import with_conceptual as derive  # here: that module builds on this one

    return derive(design)


def _listing(items: list[str], limit: int = 8) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")
