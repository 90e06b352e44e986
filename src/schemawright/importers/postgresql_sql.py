"""Import PostgreSQL DDL (hand-written files, migrations, `pg_dump --schema-only`) with pglast.

The script is cut into statements the way psql does (psql_script), each statement is
parsed on its own by PostgreSQL's parser, and every statement lands in exactly one place:
the model (tables, indexes, enums, views), a kept object (functions, triggers, domains,
sequences ...), the `skipped` counts in `source` (session settings, ownership, grants,
data), or an ImportNote with its line and column.  Nothing is dropped silently, and no
statement can make the import fail.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pglast
from pglast import ast
from pglast.enums import AlterTableType as Alt
from pglast.enums import ConstrType, ObjectType

from schemawright.gcpause import without_gc
from schemawright import model as m
from schemawright.errors import SpecErrors, SpecIssue
from schemawright.importers import pg_tables as tb
from schemawright.importers.pg_changes import Changes
from schemawright.importers.pg_names import choose_name, column_part, object_name
from schemawright.importers.pg_sequences import SERIAL, SERIAL_BASE, Sequence, nextval_target
from schemawright.importers.pg_text import canonical_type, deparse, qualified, server_literal, strip_schema, type_base
from schemawright.importers.psql_script import Lines, Piece, Unclosed, split_script
from schemawright.importers.semantics import infer
from schemawright.sql import partition_bounds

# Statements that carry no schema design: counted in `source.skipped`, not reported one by one.
_SKIPPED = {
    "VariableSetStmt": "SET", "TransactionStmt": "transaction control", "GrantStmt": "GRANT/REVOKE",
    "GrantRoleStmt": "GRANT/REVOKE", "AlterDefaultPrivilegesStmt": "GRANT/REVOKE", "AlterOwnerStmt": "OWNER TO",
    "CopyStmt": "COPY", "InsertStmt": "data (INSERT/UPDATE/DELETE)", "UpdateStmt": "data (INSERT/UPDATE/DELETE)",
    "DeleteStmt": "data (INSERT/UPDATE/DELETE)", "MergeStmt": "data (INSERT/UPDATE/DELETE)",
    "RefreshMatViewStmt": "REFRESH MATERIALIZED VIEW", "CreatedbStmt": "database-level statement",
    "AlterDatabaseStmt": "database-level statement", "AlterDatabaseSetStmt": "database-level statement",
    "AlterDatabaseRefreshCollStmt": "database-level statement", "DropdbStmt": "database-level statement",
    "CreateRoleStmt": "role statement", "AlterRoleStmt": "role statement", "AlterRoleSetStmt": "role statement",
    "DropRoleStmt": "role statement", "VacuumStmt": "maintenance (VACUUM/ANALYZE)", "CheckPointStmt": "maintenance",
    "DiscardStmt": "session statement", "LockStmt": "session statement", "SecLabelStmt": "SECURITY LABEL",
    "AlterExtensionStmt": "ALTER EXTENSION", "AlterSystemStmt": "server configuration",
    "NotifyStmt": "session statement", "ListenStmt": "session statement",
}
# Statements kept as SchemaObjects of this kind: listed in documentation, never analysed.
_KEPT = {
    "CreateEventTrigStmt": "event trigger", "CreateStatsStmt": "statistics", "CreatePublicationStmt": "publication",
    "CreateSubscriptionStmt": "subscription", "CreateForeignServerStmt": "foreign server",
    "CreateFdwStmt": "foreign data wrapper", "CreateForeignTableStmt": "foreign table", "CreateCastStmt": "cast",
    "CreateConversionStmt": "conversion", "CreateOpClassStmt": "operator class",
    "CreateOpFamilyStmt": "operator family",
    "CreateTransformStmt": "transform", "CreatePLangStmt": "language", "CreateAmStmt": "access method",
    "AlterFunctionStmt": "function setting", "CreateUserMappingStmt": "user mapping", "CompositeTypeStmt": "type",
    "CreateRangeStmt": "type", "AlterPolicyStmt": "policy",
    "AlterOpFamilyStmt": "operator family", "AlterTSConfigurationStmt": "text search configuration",
    "AlterTSDictionaryStmt": "text search dictionary", "AlterDomainStmt": "domain change",
    "ImportForeignSchemaStmt": "foreign schema import", "CreateTableSpaceStmt": "tablespace",
}
_TABLE_SETTINGS = {
    Alt.AT_ClusterOn, Alt.AT_SetStatistics, Alt.AT_SetStorage, Alt.AT_SetCompression, Alt.AT_SetOptions,
    Alt.AT_ResetOptions, Alt.AT_SetRelOptions, Alt.AT_ResetRelOptions, Alt.AT_ReplicaIdentity, Alt.AT_EnableTrig,
    Alt.AT_DisableTrig, Alt.AT_EnableAlwaysTrig, Alt.AT_EnableReplicaTrig, Alt.AT_EnableTrigAll, Alt.AT_DisableTrigAll,
    Alt.AT_EnableTrigUser, Alt.AT_DisableTrigUser, Alt.AT_EnableRule, Alt.AT_DisableRule, Alt.AT_EnableAlwaysRule,
    Alt.AT_EnableReplicaRule, Alt.AT_EnableRowSecurity, Alt.AT_ForceRowSecurity, Alt.AT_DisableRowSecurity,
    Alt.AT_NoForceRowSecurity, Alt.AT_SetLogged, Alt.AT_SetUnLogged, Alt.AT_SetTableSpace, Alt.AT_SetAccessMethod,
}


@without_gc
def import_postgresql_sql(text: str, file: str = "<sql>", *, schema: str | None = None) -> m.Design:
    """The schema a PostgreSQL script creates, as a Design.  A statement PostgreSQL cannot
    parse is skipped with a note; a quote, dollar quote or comment left open to the end of
    the file raises SpecErrors (it swallowed every statement after it).

    `schema` picks which schema to import; by default `public`, or the only schema the
    script creates tables in.  Names in that schema lose their qualifier (`public.orders`
    -> `orders`); objects in other schemas are reported as notes.
    """
    return _Reader(text, file, schema).design()


class _Reader(Changes):
    """Reads the whole script, then hands out the Design: statements refer to each other
    (ALTER TABLE after CREATE TABLE, serial sequences, COMMENT ON), so state is kept until
    the end."""

    def __init__(self, text: str, file: str, schema: str | None) -> None:
        self.text, self.file = text, file
        self.lines = Lines(text)
        self.notes: list[m.ImportNote] = []
        self.decisions: list[m.Decision] = []
        self.skipped: Counter[str] = Counter()
        self.tables: dict[str, tb.TableState] = {}
        self.partitions: set[str] = set()  # their rows, keys and indexes are the parent's
        self.names = tb.Namespace()
        self.enums: dict[str, list[str]] = {}
        self.domains: dict[str, str] = {}
        self.sequences: dict[str, Sequence] = {}
        self.indexes: dict[str, m.Index] = {}
        self.views: dict[str, m.View] = {}
        self.objects: list[m.SchemaObject | tuple[str, str]] = []  # ("sequence", name): decided at the end
        self.extensions: list[str] = []
        statements = self._parse()
        self.schema = schema or self._choose_schema([s for _, s in statements])
        for piece, stmt in statements:
            self._statement(piece, stmt)

    # ------------------------------------------------------------ reading

    def _parse(self) -> list[tuple[Piece, ast.Node]]:
        out: list[tuple[Piece, ast.Node]] = []
        self._connects = 0
        unclosed: list[Unclosed] = []
        pieces = split_script(self.text, unclosed=unclosed)
        if unclosed:  # what follows was swallowed: importing the rest would silently lose it
            raise SpecErrors([SpecIssue(self.file, *self.lines.place(u.start), u.message, u.hint) for u in unclosed])
        for piece in pieces:
            out += self._parse_piece(piece, retry=True)
        return out

    def _connect(self) -> int:
        self._connects += 1
        return self._connects

    def _parse_piece(self, piece: Piece, retry: bool) -> list[tuple[Piece, ast.Node]]:
        if piece.kind == "data":
            self.skipped["COPY data"] += 1
            return []
        if piece.kind == "meta":
            command = piece.text.split(None, 1)[0].lower()
            if command in ("\\i", "\\ir", "\\include", "\\include_relative"):
                self._note(piece, "psql include: the included file is not read; import it separately")
            elif command in ("\\c", "\\connect") and self._connect() > 1:
                self._note(piece, "a second \\connect: statements of several databases are read as one schema")
            else:
                self.skipped["psql meta-command"] += 1
            return []
        try:
            return [(piece, raw.stmt) for raw in pglast.parse_sql(piece.text)]
        except pglast.parser.ParseError as error:
            if retry and ";" in piece.text.rstrip().rstrip(";"):
                # An unbalanced parenthesis swallowed the statements after it: cut again
                # without parentheses so only the broken statement is lost.
                parts = split_script(piece.text, parentheses=False)
                if len(parts) > 1:
                    out = []
                    for part in parts:
                        line, column = self.lines.place(piece.start + part.start)
                        moved = Piece(part.kind, part.text, piece.start + part.start, line, column)
                        out += self._parse_piece(moved, retry=False)
                    return out
            message, index = (*error.args, 0)[:2]
            self._note(piece, f"PostgreSQL cannot parse it: {message}; statement skipped", int(index or 0))
            return []

    def _choose_schema(self, statements: list[ast.Node]) -> str:
        counts: Counter[str] = Counter()
        for stmt in statements:
            if isinstance(stmt, ast.CreateStmt):
                counts[stmt.relation.schemaname or "public"] += 1
        if not counts or "public" in counts:
            return "public"
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]

    def _note(self, piece: Piece, reason: str, offset: int = 0) -> None:
        line, column = self.lines.place(piece.start + offset) if offset else (piece.line, piece.column)
        statement = " ".join(piece.text.split())
        self.notes.append(m.ImportNote(line=line, column=column, reason=reason,
                                       statement=statement if len(statement) <= 200 else statement[:197] + "..."))

    def _lossy(self, subject: str, reason: str) -> None:
        self.decisions.append(m.Decision(step="import", subject=subject, choice="imported with a simplification",
                                         reason=reason))

    def _statement(self, piece: Piece, stmt: ast.Node) -> None:
        if self.schema in piece.text:  # walking the tree is the costly part: only when it can help
            strip_schema(stmt, self.schema)
        kind = type(stmt).__name__
        handler = getattr(self, f"_on_{kind}", None)
        try:
            if kind in _SKIPPED:
                self.skipped[_SKIPPED[kind]] += 1
                reason = None
            elif handler is not None:
                reason = handler(stmt, piece)
            elif kind in _KEPT:
                reason = self._keep(_KEPT[kind], stmt, piece)
            else:
                reason = f"{kind.removesuffix('Stmt')} statements are not imported"
        except Exception as error:  # noqa: BLE001 - an unforeseen construct is reported, never fatal
            reason = f"could not import this statement ({type(error).__name__}: {error}); skipped"
        if reason:
            self._note(piece, reason)

    def _foreign(self, schemaname: str | None) -> str | None:
        if schemaname and schemaname != "pg_catalog":
            return f"in schema {schemaname}, which is not imported (importing schema {self.schema})"
        return None

    def _keep(self, kind: str, stmt: ast.Node, piece: Piece, name: str | None = None, table: str | None = None) -> None:
        try:
            sql = deparse(stmt) + ";"
        except Exception:  # noqa: BLE001 - pglast cannot print every statement; keep the original text
            sql = piece.text.strip()
        self.objects.append(m.SchemaObject(kind=kind, name=name if name is not None else _object_name(stmt),
                                           sql=sql, table=table))
        return None

    # ------------------------------------------------------------ tables

    def _on_CreateStmt(self, stmt: ast.CreateStmt, piece: Piece) -> str | None:  # noqa: N802
        rel = stmt.relation
        if foreign := self._foreign(rel.schemaname):
            return foreign
        name = rel.relname
        if stmt.partbound is not None:
            return self._partition_of(stmt)
        if rel.relpersistence == "t":
            return "temporary table: not part of the schema"
        if name in self.tables:
            return None if stmt.if_not_exists else f"table {name} is created twice; the first definition is kept"
        if stmt.ofTypename is not None:
            return "typed table (CREATE TABLE ... OF type): not imported"
        table = tb.TableState(name=name)
        self.tables[name] = table
        self.names.relations.add(name)
        lossy: list[str] = []
        for element in stmt.tableElts or ():
            if isinstance(element, ast.ColumnDef):
                self._add_column(table, element, piece, lossy)
            elif isinstance(element, ast.Constraint):
                self._constraint(table, element, piece, None, lossy)
            elif isinstance(element, ast.TableLikeClause):
                self._note(piece, f"LIKE {element.relation.relname}: copied columns are not expanded")
        if stmt.inhRelations:
            parents = ", ".join(r.relname for r in stmt.inhRelations)
            self._note(piece, f"INHERITS ({parents}): inheritance is not modelled; inherited columns are missing")
        if stmt.partspec is not None:
            table.partitioning = _partitioning(stmt.partspec)
            if table.partitioning is None:
                lossy.append("the table is partitioned by an expression; the model keeps it as a plain table")
            elif len(table.partitioning.columns) > 1:
                lossy.append("the partition key has several columns; a spec's `partition:` keeps one")
        if rel.relpersistence == "u":
            lossy.append("UNLOGGED is not modelled; the table is kept as a logged table")
        if stmt.options:
            lossy.append("storage parameters (WITH ...) are not modelled")
        for reason in lossy:
            self._lossy(name, reason)
        return None

    def _partition_of(self, stmt: ast.CreateStmt) -> str | None:
        """CREATE TABLE ... PARTITION OF: the partition joins its parent's scheme."""
        parent = stmt.inhRelations[0].relname if stmt.inhRelations else "?"
        if stmt.partspec is not None:
            return f"partition of {parent}: it is partitioned again, which is not modelled"
        return self._add_partition(parent, stmt.relation.relname, stmt.partbound)

    def _attach(self, table: tb.TableState, cmd: ast.PartitionCmd) -> str | None:
        """ALTER TABLE ... ATTACH PARTITION (how pg_dump writes partitions): the attached table
        stops being a table of its own."""
        name = cmd.name.relname
        reason = self._add_partition(table.name, name, cmd.bound)
        if reason is None:
            self.tables.pop(name, None)
        return reason

    def _add_partition(self, parent_name: str, name: str, bound: ast.PartitionBoundSpec) -> str | None:
        parent = self.tables.get(parent_name)
        scheme = parent.partitioning if parent else None
        if scheme is None:
            return f"partition {name} of {parent_name}: not modelled (the parent is not created here, or it is " \
                   "partitioned by an expression)"
        partition = m.Partition(name=name, bound=partition_bounds.from_node(bound))
        parent.partitioning = scheme.model_copy(update={
            "partitions": scheme.partitions + (partition,),
            "default_partition": name if bound.is_default else scheme.default_partition})
        self.partitions.add(name)
        self.names.relations.add(name)
        return None

    def _add_column(self, table: tb.TableState, col: ast.ColumnDef, piece: Piece, lossy: list[str]) -> None:
        if col.typeName is None:
            self._note(piece, f"column {col.colname} has no type (partition or typed table column); skipped")
            return
        column = tb.column_state(col)
        if column.sql_type in SERIAL_BASE:  # serial: NOT NULL, and a sequence of that name
            column.nullable = False
            self.names.relations.add(object_name(table.name, column.name, "seq"))
            column.type_base = SERIAL_BASE[column.sql_type]
        table.columns[column.name] = column
        if col.is_not_null:
            column.nullable = False
        if col.collClause is not None:
            lossy.append(f"column {col.colname} has COLLATE {'.'.join(n.sval for n in col.collClause.collname)}; "
                         "the model keeps the default collation")
        if col.raw_default is not None:
            self._set_default(column, col.raw_default)
        for con in col.constraints or ():
            if con.contype == ConstrType.CONSTR_DEFAULT:
                self._set_default(column, con.raw_expr)
            elif con.contype == ConstrType.CONSTR_IDENTITY:
                self._identity(table, column, con)
            elif con.contype == ConstrType.CONSTR_GENERATED:
                column.generated = deparse(con.raw_expr)
                if getattr(con, "generated_kind", "s") == "v":
                    lossy.append(f"column {column.name} is a VIRTUAL generated column; the model stores it (STORED)")
            else:
                self._constraint(table, con, piece, column.name, lossy)

    def _identity(self, table: tb.TableState, column: tb.ColumnState, con: ast.Constraint) -> None:
        column.identity, column.nullable = True, False
        if con.generated_when == "d":
            self._lossy(f"{table.name}.{column.name}", "GENERATED BY DEFAULT AS IDENTITY is kept as an identity "
                                                       "column, which the model renders GENERATED ALWAYS")

    def _set_default(self, column: tb.ColumnState, node: ast.Node | None) -> None:
        column.nextval = None
        if node is None:
            column.default = None
            return
        column.nextval = nextval_target(node)
        if column.nextval is not None and not isinstance(node.args[0], ast.TypeCast):
            # nextval('s') is stored as nextval('s'::regclass): write it the way it is stored
            node.args = (ast.TypeCast(arg=node.args[0], typeName=ast.TypeName(names=(ast.String(sval="regclass"),))),)
        # `'GB'::bpchar` on a char(2) column: the cast is the column's own type, which the
        # server adds by itself; dropping it keeps the default as people write it.
        if (isinstance(node, ast.TypeCast) and isinstance(node.arg, ast.A_Const)
                and type_base(node.typeName) == column.type_base
                and bool(node.typeName.arrayBounds) == column.sql_type.endswith("[]")):
            node = node.arg
        if isinstance(node, ast.TypeCast) and isinstance(node.arg, ast.A_Const) and node.arg.isnull:
            node = node.arg
        if isinstance(node, ast.A_Const) and node.isnull:
            column.default = None  # DEFAULT NULL is no default at all
            return
        column.default = deparse(server_literal(node, column.type_base))

    def _constraint(self, table: tb.TableState, con: ast.Constraint, piece: Piece, column: str | None,
                    lossy: list[str]) -> None:
        if con.indexname and con.contype in (ConstrType.CONSTR_PRIMARY, ConstrType.CONSTR_UNIQUE):
            self._constraint_using_index(table, con, piece)
            return
        reason = tb.add_constraint(table, con, self.names, column, lossy)
        if reason:
            self._note(piece, f"constraint {con.conname or ''} on {table.name}: {reason}".replace("  ", " "))

    def _constraint_using_index(self, table: tb.TableState, con: ast.Constraint, piece: Piece) -> None:
        index = self.indexes.get(con.indexname)
        if index is None or any(c.expression.startswith("(") for c in index.columns):
            self._note(piece, f"USING INDEX {con.indexname}: the index is unknown or not on plain columns")
            return
        del self.indexes[con.indexname]  # the index now is the constraint
        name = con.conname or con.indexname
        columns = tuple(c.expression for c in index.columns)
        if con.contype == ConstrType.CONSTR_PRIMARY:
            table.primary_key = m.PrimaryKey(name=name, columns=columns)
            for key in columns:
                if key in table.columns:
                    table.columns[key].nullable = False
        else:
            table.uniques.append(m.Unique(name=name, columns=columns))
        self.names.constraints.add(name)

    def _on_AlterTableStmt(self, stmt: ast.AlterTableStmt, piece: Piece) -> str | None:  # noqa: N802
        rel = stmt.relation
        if all(cmd.subtype == Alt.AT_ChangeOwner for cmd in stmt.cmds):
            self.skipped["OWNER TO"] += 1
            return None
        if foreign := self._foreign(rel.schemaname):
            return foreign
        table = self.tables.get(rel.relname)
        if rel.relname in self.partitions or all(cmd.subtype == Alt.AT_AttachPartition for cmd in stmt.cmds) \
                and rel.relname in self.indexes:
            self.skipped["partition-level DDL"] += 1  # pg_dump's per-partition keys and index attachments
            return None
        if table is None:
            if rel.relname in self.indexes or rel.relname in self.views or rel.relname in self.sequences:
                return self._keep("setting", stmt, piece, rel.relname, rel.relname)
            return f"ALTER of {rel.relname}, which this script does not create"
        lossy: list[str] = []
        for cmd in stmt.cmds:
            reason = self._alter(table, stmt, cmd, piece, lossy)
            if reason:
                self._note(piece, reason)
        for reason in lossy:
            self._lossy(table.name, reason)
        return None

    def _alter(self, table: tb.TableState, stmt: ast.AlterTableStmt, cmd: ast.AlterTableCmd, piece: Piece,
               lossy: list[str]) -> str | None:
        kind = cmd.subtype
        column = table.columns.get(cmd.name) if cmd.name else None
        needs_column = (Alt.AT_ColumnDefault, Alt.AT_SetNotNull, Alt.AT_DropNotNull, Alt.AT_AddIdentity,
                        Alt.AT_DropIdentity, Alt.AT_SetIdentity, Alt.AT_AlterColumnType, Alt.AT_DropColumn,
                        Alt.AT_DropExpression, Alt.AT_SetExpression)
        if kind in needs_column and column is None:
            return f"column {cmd.name} of {table.name} is not defined in this script"
        assert column is not None or kind not in needs_column
        if kind == Alt.AT_AddColumn:
            if cmd.def_.colname in table.columns:
                return None if cmd.missing_ok else f"column {cmd.def_.colname} is added twice to {table.name}"
            self._add_column(table, cmd.def_, piece, lossy)
        elif kind == Alt.AT_ColumnDefault:
            self._set_default(column, cmd.def_)
        elif kind == Alt.AT_SetNotNull:
            column.nullable = False
        elif kind == Alt.AT_DropNotNull:
            column.nullable = True
        elif kind == Alt.AT_AddIdentity:
            self._identity(table, column, cmd.def_)
        elif kind == Alt.AT_DropIdentity:
            column.identity = False
        elif kind == Alt.AT_SetIdentity:
            pass  # sequence options of an identity column are not modelled
        elif kind == Alt.AT_AlterColumnType:
            fresh = tb.column_state(ast.ColumnDef(colname=column.name, typeName=cmd.def_.typeName))
            column.sql_type, column.type_base = fresh.sql_type, fresh.type_base
        elif kind == Alt.AT_DropExpression:
            column.generated = None
        elif kind == Alt.AT_SetExpression:
            column.generated = deparse(cmd.def_)
        elif kind == Alt.AT_DropColumn:
            self._drop_column(table, cmd.name)
        elif kind == Alt.AT_AddConstraint:
            self._constraint(table, cmd.def_, piece, None, lossy)
        elif kind == Alt.AT_DropConstraint:
            self._drop_constraint(table, cmd.name)
        elif kind == Alt.AT_ChangeOwner:
            self.skipped["OWNER TO"] += 1
        elif kind in (Alt.AT_ValidateConstraint, Alt.AT_AlterConstraint):
            self.skipped["VALIDATE/ALTER CONSTRAINT"] += 1
        elif kind in _TABLE_SETTINGS:
            single = ast.AlterTableStmt(relation=stmt.relation, cmds=(cmd,), objtype=stmt.objtype)
            what = "row level security" if "RowSecurity" in kind.name else "table setting"
            self._keep(what, single, piece, table.name, table.name)
        elif kind == Alt.AT_AttachPartition:
            return self._attach(table, cmd.def_)
        else:
            return f"ALTER TABLE {kind.name.removeprefix('AT_')} is not imported"
        return None

    # ------------------------------------------------------------ indexes, sequences, types

    def _on_IndexStmt(self, stmt: ast.IndexStmt, piece: Piece) -> str | None:  # noqa: N802
        rel = stmt.relation
        if foreign := self._foreign(rel.schemaname):
            return foreign
        elements = [tb.element_name(e) for e in stmt.indexParams]
        name = stmt.idxname or choose_name(rel.relname, column_part(elements), "idx",
                                           self.names.relations)
        self.names.relations.add(name)
        if rel.relname in self.partitions:
            self.skipped["partition-level DDL"] += 1  # created on every partition by the parent's index
            return None
        if rel.relname not in self.tables:
            if rel.relname in self.views:  # an index on a materialized view: kept, as views come after indexes
                return self._keep("index", stmt, piece, name, rel.relname)
            return f"index {name} is on {rel.relname}, which this script does not create"
        if name in self.indexes:
            return None if stmt.if_not_exists else f"index {name} is created twice; the first definition is kept"
        columns = []
        for elem in stmt.indexParams:
            expression, descending = tb.index_element(elem)
            columns.append(m.IndexColumn(expression=expression, descending=descending))
        include = tuple(e.name for e in stmt.indexIncludingParams or ())
        self.indexes[name] = m.Index(
            name=name, table=rel.relname, columns=tuple(columns), unique=bool(stmt.unique),
            method=stmt.accessMethod or "btree", where=deparse(stmt.whereClause) if stmt.whereClause else None,
            include=include)
        if stmt.nulls_not_distinct:
            self._lossy(name, "NULLS NOT DISTINCT is not modelled; the index treats NULLs as distinct")
        if stmt.options:
            self._lossy(name, "storage parameters (WITH ...) are not modelled")
        return None

    def _on_CreateSeqStmt(self, stmt: ast.CreateSeqStmt, piece: Piece) -> str | None:  # noqa: N802
        if foreign := self._foreign(stmt.sequence.schemaname):
            return foreign
        name = stmt.sequence.relname
        if name in self.sequences:
            return None if stmt.if_not_exists else f"sequence {name} is created twice"
        sequence = Sequence(name)
        sequence.apply(stmt.options)
        self.sequences[name] = sequence
        self.names.relations.add(name)
        self.objects.append(("sequence", name))
        return None

    def _on_AlterSeqStmt(self, stmt: ast.AlterSeqStmt, piece: Piece) -> str | None:  # noqa: N802
        sequence = self.sequences.get(stmt.sequence.relname)
        if sequence is None:
            return None if stmt.missing_ok else (f"ALTER SEQUENCE of {stmt.sequence.relname}, "
                                                 "which this script does not create")
        sequence.apply(stmt.options)
        return None

    def _on_CreateEnumStmt(self, stmt: ast.CreateEnumStmt, piece: Piece) -> str | None:  # noqa: N802
        schema, name = qualified(stmt.typeName)
        if foreign := self._foreign(schema):
            return foreign
        self.enums[name] = [v.sval for v in stmt.vals or ()]
        return None

    def _on_AlterEnumStmt(self, stmt: ast.AlterEnumStmt, piece: Piece) -> str | None:  # noqa: N802
        _, name = qualified(stmt.typeName)
        values = self.enums.get(name)
        if values is None:
            return f"ALTER TYPE of {name}, which this script does not create as an enum"
        if stmt.oldVal:
            values[values.index(stmt.oldVal)] = stmt.newVal
        elif stmt.newVal not in values:
            at = len(values)
            if stmt.newValNeighbor in values:
                at = values.index(stmt.newValNeighbor) + (1 if stmt.newValIsAfter else 0)
            values.insert(at, stmt.newVal)
        return None

    def _on_CreateDomainStmt(self, stmt: ast.CreateDomainStmt, piece: Piece) -> str | None:  # noqa: N802
        schema, name = qualified(stmt.domainname)
        if foreign := self._foreign(schema):
            return foreign
        self.domains[name] = canonical_type(stmt.typeName)
        return self._keep("domain", stmt, piece, name)

    def _on_DefineStmt(self, stmt: ast.DefineStmt, piece: Piece) -> str | None:  # noqa: N802
        schema, name = qualified(stmt.defnames)
        if foreign := self._foreign(schema):
            return foreign
        return self._keep(stmt.kind.name.removeprefix("OBJECT_").lower().replace("_", " "), stmt, piece, name)

    # ------------------------------------------------------------ views, functions, triggers

    def _on_ViewStmt(self, stmt: ast.ViewStmt, piece: Piece) -> str | None:  # noqa: N802
        if foreign := self._foreign(stmt.view.schemaname):
            return foreign
        name = stmt.view.relname
        if stmt.aliases:
            self._lossy(name, "the view's column list is not modelled; columns keep the names its SELECT gives")
        if stmt.withCheckOption or stmt.options:
            self._lossy(name, "view options (WITH CHECK OPTION, security_barrier ...) are not modelled")
        description = self.views[name].description if name in self.views else None
        self.views[name] = m.View(name=name, sql=deparse(stmt.query), description=description)
        self.names.relations.add(name)
        return None

    def _on_CreateTableAsStmt(self, stmt: ast.CreateTableAsStmt, piece: Piece) -> str | None:  # noqa: N802
        rel = stmt.into.rel
        if foreign := self._foreign(rel.schemaname):
            return foreign
        if stmt.objtype != ObjectType.OBJECT_MATVIEW:
            return "CREATE TABLE AS: the columns come from a query and are not imported"
        self.views[rel.relname] = m.View(name=rel.relname, sql=deparse(stmt.query), materialized=True)
        self.names.relations.add(rel.relname)
        return None

    def _on_CreateFunctionStmt(self, stmt: ast.CreateFunctionStmt, piece: Piece) -> str | None:  # noqa: N802
        schema, name = qualified(stmt.funcname)
        if foreign := self._foreign(schema):
            return foreign
        stmt.replace = False  # pg_get_functiondef says OR REPLACE, pg_dump does not: keep one form
        return self._keep("procedure" if stmt.is_procedure else "function", stmt, piece, name)

    def _on_CreateTrigStmt(self, stmt: ast.CreateTrigStmt, piece: Piece) -> str | None:  # noqa: N802
        if foreign := self._foreign(stmt.relation.schemaname):
            return foreign
        stmt.replace = False
        return self._keep("trigger", stmt, piece, stmt.trigname, stmt.relation.relname)

    def _on_CreatePolicyStmt(self, stmt: ast.CreatePolicyStmt, piece: Piece) -> str | None:  # noqa: N802
        if foreign := self._foreign(stmt.table.schemaname):
            return foreign
        return self._keep("policy", stmt, piece, stmt.policy_name, stmt.table.relname)

    def _on_RuleStmt(self, stmt: ast.RuleStmt, piece: Piece) -> str | None:  # noqa: N802
        if foreign := self._foreign(stmt.relation.schemaname):
            return foreign
        return self._keep("rule", stmt, piece, stmt.rulename, stmt.relation.relname)

    def _on_CreateExtensionStmt(self, stmt: ast.CreateExtensionStmt, piece: Piece) -> str | None:  # noqa: N802
        if stmt.extname not in self.extensions:
            self.extensions.append(stmt.extname)
        return None

    def _on_CreateSchemaStmt(self, stmt: ast.CreateSchemaStmt, piece: Piece) -> str | None:  # noqa: N802
        if stmt.schemaname in (self.schema, "public"):
            self.skipped["CREATE SCHEMA (the imported schema)"] += 1
            return None
        if stmt.schemaElts:
            return f"CREATE SCHEMA {stmt.schemaname} with elements: not imported (importing schema {self.schema})"
        return self._keep("schema", stmt, piece, stmt.schemaname)

    def _on_DoStmt(self, stmt: ast.DoStmt, piece: Piece) -> str | None:  # noqa: N802
        return "DO block: the importer does not run code; anything it creates is missing"

    def _on_SelectStmt(self, stmt: ast.SelectStmt, piece: Piece) -> str | None:  # noqa: N802
        calls = [t.val for t in stmt.targetList or () if isinstance(t.val, ast.FuncCall)]
        if calls and len(calls) == len(stmt.targetList) and not stmt.fromClause:
            names = {qualified(c.funcname)[1] for c in calls}
            if names <= {"set_config", "setval", "lo_create"}:
                self.skipped["SELECT set_config/setval"] += 1
                return None
        return "query: not a schema statement"

    # ------------------------------------------------------------ comments, drops, renames

    def _on_CommentStmt(self, stmt: ast.CommentStmt, piece: Piece) -> str | None:  # noqa: N802
        kind, obj, text = stmt.objtype, stmt.object, stmt.comment
        if kind in (ObjectType.OBJECT_EXTENSION, ObjectType.OBJECT_SCHEMA, ObjectType.OBJECT_DATABASE):
            self.skipped[f"COMMENT ON {kind.name.removeprefix('OBJECT_')}"] += 1
            return None
        names = None
        if isinstance(obj, tuple) and all(isinstance(n, ast.String) for n in obj):
            names = [n.sval for n in obj]
            depth = 3 if kind in (ObjectType.OBJECT_COLUMN, ObjectType.OBJECT_TABCONSTRAINT) else 2
            if len(names) >= depth and (foreign := self._foreign(names[-depth])):
                return foreign
        if kind == ObjectType.OBJECT_TABLE and names and names[-1] in self.tables:
            self.tables[names[-1]].description = text
        elif kind == ObjectType.OBJECT_COLUMN and names and names[-2] in self.tables:
            column = self.tables[names[-2]].columns.get(names[-1])
            if column is None:
                return f"comment on unknown column {names[-2]}.{names[-1]}"
            column.description = text
        elif kind in (ObjectType.OBJECT_VIEW, ObjectType.OBJECT_MATVIEW) and names and names[-1] in self.views:
            self.views[names[-1]] = self.views[names[-1]].model_copy(update={"description": text})
        elif kind == ObjectType.OBJECT_INDEX and names and names[-1] in self.indexes:
            self.indexes[names[-1]] = self.indexes[names[-1]].model_copy(update={"reason": text or ""})
        elif kind == ObjectType.OBJECT_TABCONSTRAINT and names and self._comment_constraint(names, text):
            pass
        else:
            return self._keep("comment", stmt, piece, _object_name(stmt))
        return None

    def _comment_constraint(self, names: list[str], text: str | None) -> bool:
        table = self.tables.get(names[-2])
        if table is None:
            return False
        for group in ("uniques", "checks"):
            items = getattr(table, group)
            for i, item in enumerate(items):
                if item.name == names[-1]:
                    items[i] = item.model_copy(update={"reason": text or ""})
                    return True
        for fk in table.foreign_keys:  # a mutable state until the table is frozen
            if fk.name == names[-1]:
                fk.reason = text or ""
                return True
        return False

    # ------------------------------------------------------------ the model

    def design(self) -> m.Design:
        self._serials()
        objects: list[m.SchemaObject] = []
        for item in self.objects:
            if isinstance(item, tuple):
                sequence = self.sequences.get(item[1])
                if sequence is not None:
                    objects.append(m.SchemaObject(kind="sequence", name=sequence.name, sql=sequence.sql(),
                                                  table=sequence.owned_by[0] if sequence.owned_by else None))
            else:
                objects.append(item)
        enums = {name: tuple(values) for name, values in self.enums.items()}
        tables = []
        for state in self.tables.values():
            table = tb.freeze(state, self.tables)
            columns = tuple(c.model_copy(update={"semantic": infer(c.sql_type, enums=enums, domains=self.domains,
                                                                   column=c.name).type})
                            for c in table.columns)
            tables.append(table.model_copy(update={"columns": columns}))
        source = m.Source(kind="sql", path=self.file, dialect="postgresql", schema=self.schema,
                          skipped=dict(sorted(self.skipped.items())))
        return m.Design(
            project=Path(self.file).stem or "imported", dialect="postgresql", tables=tuple(tables),
            enums=tuple(m.EnumType(name=n, values=v) for n, v in enums.items()),
            indexes=tuple(i for i in self.indexes.values() if i.table in self.tables),
            extensions=tuple(self.extensions), views=tuple(self.views.values()), objects=tuple(objects),
            security=m.Security.enforced_by(tuple(objects)), source=source,
            import_notes=tuple(sorted(self.notes, key=lambda n: (n.line, n.column))),
            decisions=tuple(self.decisions),
        )

    def _serials(self) -> None:
        """`integer DEFAULT nextval('t_id_seq')` with a default sequence owned by the column is
        what `serial` expands to; say `serial` so the model renders (and re-applies) it."""
        for table in self.tables.values():
            for column in table.columns.values():
                sequence = self.sequences.get(column.nextval or "")
                if sequence is not None and sequence.is_serial_of(table.name, column.name, column.sql_type):
                    column.sql_type, column.default, column.nextval = SERIAL[column.sql_type], None, None
                    column.nullable = False
                    del self.sequences[sequence.name]


def _partitioning(spec: ast.PartitionSpec) -> m.Partitioning | None:
    """PARTITION BY RANGE|LIST|HASH (columns); None for a key with expressions (not modelled)."""
    columns = tuple(p.name for p in spec.partParams or ())
    if not columns or any(c is None for c in columns):
        return None
    method = {"r": "range", "l": "list", "h": "hash"}[str(getattr(spec.strategy, "value", spec.strategy))[:1].lower()]
    return m.Partitioning(method=method, columns=columns)  # type: ignore[arg-type]


def _object_name(stmt: ast.Node) -> str:
    """A readable name for a kept statement: the first name-like field it has."""
    for slot in ("trigname", "policy_name", "rulename", "extname", "servername", "pubname", "subname",
                 "conversion_name", "defnames", "funcname", "opclassname", "opfamilyname", "typeName", "typevar",
                 "domainname", "relation", "func", "object", "plname", "amname", "trigname", "tablespacename"):
        value = getattr(stmt, slot, None)
        if value is None:
            continue
        if isinstance(value, str):
            return value
        if isinstance(value, ast.RangeVar):
            return value.relname
        if isinstance(value, ast.TypeName):
            return qualified(value.names)[1]
        if isinstance(value, ast.ObjectWithArgs):
            return qualified(value.objname)[1]
        if isinstance(value, tuple):
            name = qualified(value)[1]
            if name:
                return name
        if isinstance(value, ast.String):
            return value.sval
    base = getattr(stmt, "base_", None)  # CREATE FOREIGN TABLE wraps a CreateStmt
    return base.relation.relname if base is not None and getattr(base, "relation", None) else ""
