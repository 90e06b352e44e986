"""DROP, RENAME and ALTER ... DROP in migration-style scripts: a file that creates a table
and later drops a column describes the table without it.  Expressions that mention a
renamed column are not rewritten; that is recorded as a simplification."""

from __future__ import annotations

from pglast import ast
from pglast.enums import ObjectType

from schemawright import model as m
from schemawright.importers import pg_tables as tb
from schemawright.importers.pg_text import qualified
from schemawright.importers.psql_script import Piece


class Changes:
    """Mixed into the SQL reader, whose state (tables, indexes, views ...) it edits."""

    tables: dict[str, tb.TableState]
    indexes: dict[str, m.Index]
    views: dict[str, m.View]
    enums: dict[str, list[str]]
    domains: dict[str, str]
    sequences: dict
    objects: list

    def _lossy(self, subject: str, reason: str) -> None:  # provided by the reader
        raise NotImplementedError

    def _drop_column(self, table: tb.TableState, name: str) -> None:
        table.columns.pop(name, None)
        if table.primary_key and name in table.primary_key.columns:
            table.primary_key = None
        table.foreign_keys = [fk for fk in table.foreign_keys if name not in fk.columns]
        table.uniques = [u for u in table.uniques if name not in u.columns]
        for index in [i for i in self.indexes.values() if i.table == table.name]:
            if any(c.expression == name for c in index.columns):
                del self.indexes[index.name]

    def _drop_constraint(self, table: tb.TableState, name: str) -> None:
        if table.primary_key and table.primary_key.name == name:
            table.primary_key = None
        table.foreign_keys = [c for c in table.foreign_keys if c.name != name]
        table.uniques = [c for c in table.uniques if c.name != name]
        table.checks = [c for c in table.checks if c.name != name]
        table.exclusions = [c for c in table.exclusions if c.name != name]

    def _on_DropStmt(self, stmt: ast.DropStmt, piece: Piece) -> str | None:  # noqa: N802
        kind = stmt.removeType
        for obj in stmt.objects:
            if isinstance(obj, ast.TypeName):
                _, name = qualified(obj.names)
            elif isinstance(obj, ast.ObjectWithArgs):
                _, name = qualified(obj.objname)
            elif isinstance(obj, tuple):
                _, name = qualified(obj)
            else:
                name = getattr(obj, "sval", "")
            if kind == ObjectType.OBJECT_TABLE and name in self.tables:
                del self.tables[name]
                self.indexes = {k: i for k, i in self.indexes.items() if i.table != name}
                for other in self.tables.values():
                    other.foreign_keys = [fk for fk in other.foreign_keys if fk.ref_table != name]
            elif kind == ObjectType.OBJECT_INDEX:
                self.indexes.pop(name, None)
            elif kind in (ObjectType.OBJECT_VIEW, ObjectType.OBJECT_MATVIEW):
                self.views.pop(name, None)
            elif kind == ObjectType.OBJECT_TYPE and name in self.enums:
                del self.enums[name]
            elif kind == ObjectType.OBJECT_SEQUENCE:
                self.sequences.pop(name, None)
            else:
                wanted = kind.name.removeprefix("OBJECT_").lower()
                self.domains.pop(name, None) if wanted == "domain" else None
                self.objects = [o for o in self.objects if not (
                    isinstance(o, m.SchemaObject) and o.name == name and o.kind == wanted)]
        return None

    def _on_RenameStmt(self, stmt: ast.RenameStmt, piece: Piece) -> str | None:  # noqa: N802
        kind, new = stmt.renameType, stmt.newname
        rel = stmt.relation.relname if stmt.relation is not None else None
        if kind == ObjectType.OBJECT_TABLE and rel in self.tables:
            table = self.tables.pop(rel)
            table.name = new
            self.tables[new] = table
            for other in self.tables.values():
                for fk in other.foreign_keys:
                    if fk.ref_table == rel:
                        fk.ref_table = new
            self.indexes = {k: (i.model_copy(update={"table": new}) if i.table == rel else i)
                            for k, i in self.indexes.items()}
        elif kind == ObjectType.OBJECT_COLUMN and rel in self.tables:
            self._rename_column(self.tables[rel], stmt.subname, new)
            return None
        elif kind == ObjectType.OBJECT_INDEX and rel in self.indexes:
            index = self.indexes.pop(rel)
            self.indexes[new] = index.model_copy(update={"name": new})
        elif kind == ObjectType.OBJECT_TABCONSTRAINT and rel in self.tables:
            table = self.tables[rel]
            if table.primary_key and table.primary_key.name == stmt.subname:
                table.primary_key = table.primary_key.model_copy(update={"name": new})
            for fk in table.foreign_keys:
                fk.name = new if fk.name == stmt.subname else fk.name
            for group in ("uniques", "checks", "exclusions"):
                setattr(table, group, [c.model_copy(update={"name": new}) if c.name == stmt.subname else c
                                       for c in getattr(table, group)])
        else:
            return f"RENAME of {kind.name.removeprefix('OBJECT_').lower()} {rel or ''}: not imported".replace("  ", " ")
        return None

    def _rename_column(self, table: tb.TableState, old: str, new: str) -> None:
        column = table.columns.get(old)
        if column is None:
            return
        column.name = new
        table.columns = {(new if k == old else k): c for k, c in table.columns.items()}

        def swap(names: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(new if n == old else n for n in names)

        if table.primary_key:
            table.primary_key = table.primary_key.model_copy(update={"columns": swap(table.primary_key.columns)})
        for fk in table.foreign_keys:
            fk.columns = swap(fk.columns)
        for other in self.tables.values():
            for fk in other.foreign_keys:
                if fk.ref_table == table.name:
                    fk.ref_columns = swap(fk.ref_columns)
        table.uniques = [u.model_copy(update={"columns": swap(u.columns)}) for u in table.uniques]
        for key, index in list(self.indexes.items()):
            if index.table == table.name:
                cols = tuple(c.model_copy(update={"expression": new}) if c.expression == old else c
                             for c in index.columns)
                self.indexes[key] = index.model_copy(update={"columns": cols, "include": swap(index.include)})
        if table.checks or table.exclusions:
            self._lossy(table.name, f"column {old} was renamed to {new}; check and exclusion expressions "
                                    "that mention it keep the old name")
