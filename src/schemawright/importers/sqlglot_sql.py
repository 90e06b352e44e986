"""MySQL/MariaDB and SQLite DDL -> the model, read with sqlglot.

Real files, as dump tools and people write them: mysqldump/mariadb-dump output (version
comments `/*!40101 ... */`, `LOCK TABLES`, `INSERT` data, `DELIMITER ;;` blocks for
routines and triggers, stand-in tables for views), phpMyAdmin exports (keys added by
`ALTER TABLE` at the end), and SQLite schemas (`.schema`/`.dump` output, `WITHOUT ROWID`,
inline `REFERENCES`, triggers with `BEGIN ... END`).

The file is first split into statements (sqlglot cannot split `DELIMITER` scripts); each
statement is parsed with sqlglot, and a `CREATE TABLE` that sqlglot rejects as a whole is
read item by item, so one odd column costs that column, not the table.  Whatever cannot
be understood becomes an `ImportNote` with its line and column; nothing is fatal and
nothing is dropped silently (data and session statements are counted in
`source.ignored_statements`).

Types, defaults and expressions are translated to PostgreSQL, which the model targets;
every translation that changes a type, drops a default or renames an object is recorded
as a Decision (step `import`), and the source type of every column whose type changed is
kept in `source.column_types`.

The pieces, in the order a file goes through them:
  statement_split.py      the script -> statements (quotes, comments, DELIMITER, BEGIN ... END)
  sqlglot_sql.py          this module: each statement -> the builder (CREATE, ALTER, DROP, ...)
  table_reader.py         CREATE TABLE bodies, item by item
  ddl_text.py             names and table bodies read as text, where sqlglot is not used
  foreign_types.py        MySQL/SQLite column types -> PostgreSQL
  foreign_expressions.py  defaults, checks and view queries -> PostgreSQL
  table_builder.py        one table, with the names MySQL/MariaDB would give its keys
  schema_builder.py       the whole schema -> a Design (shared with sqlalchemy_live.py)
  sqlglot_dialects.py     the dialects read, and sqlglot kept quiet
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from sqlglot import exp

from schemawright.gcpause import without_gc
from schemawright import model as m
from schemawright.errors import SpecErrors, SpecIssue
from schemawright.importers.ddl_text import QUALIFIED, last_name, names_list, paren_end
from schemawright.importers.pg_names import object_name
from schemawright.importers.schema_builder import SchemaBuilder
from schemawright.importers.sqlglot_dialects import DIALECTS, quiet_sqlglot
from schemawright.importers.statement_split import MYSQL_CLIENT, SQLITE_CLIENT, Statement, split_statements
from schemawright.importers.table_builder import TableBuilder
from schemawright.importers.table_reader import TableReader, index_part

# Re-exported: the live importer, the DBML importer and the tests import these from here.
from schemawright.importers.ddl_text import paren_end as _paren_end, split_items as _split_items, unquote
from schemawright.importers.foreign_expressions import parse_expression
from schemawright.importers.foreign_types import mysql_type, sqlite_type
from schemawright.importers.schema_builder import with_conceptual

__all__ = [
    "DIALECTS", "SchemaBuilder", "apply_ddl", "import_sql", "mysql_type", "parse_expression", "quiet_sqlglot",
    "split_statements", "sqlite_type", "unquote", "with_conceptual",
    "_CREATE_TABLE", "_CREATE_VIEW", "_paren_end", "_split_items",
]


@without_gc
def import_sql(text: str, file: str = "<sql>", dialect: str = "mysql") -> m.Design:
    """Read a MySQL/MariaDB (`dialect="mysql"`) or SQLite (`"sqlite"`) DDL script."""
    reader = _reader(dialect)
    text = text.lstrip("\ufeff")
    builder = SchemaBuilder(reader)
    script = _Script(text, reader, builder)
    problems: list[tuple[int, str]] = []
    with quiet_sqlglot():
        for statement in split_statements(text, reader, problems):
            script.statement(statement)
    if problems:  # a quote or comment left open swallowed every statement after it
        raise SpecErrors([SpecIssue(file, *script.locator.at(offset), reason,
                                    "close it with */ (a comment opened with /* ends at the first */)"
                                    if "comment" in reason else "close it (a quote inside a string is written twice: "
                                                                "'it''s')") for offset, reason in problems])
    source = m.Source(kind="sql", path=file, dialect=reader)
    if script.ignored:
        source = source.model_copy(update={"ignored_statements": dict(sorted(script.ignored.items()))})
    return builder.design(Path(file).stem if file and not file.startswith("<") else "imported", source)


def apply_ddl(builder: SchemaBuilder, text: str) -> Counter:
    """Read DDL into an existing builder (the live importer uses it for what SQLite's
    catalog keeps only as DDL text: indexes, views, triggers). Returns the ignored counts."""
    script = _Script(text, builder.dialect, builder)
    with quiet_sqlglot():
        for statement in split_statements(text, builder.dialect):
            script.statement(statement)
    return script.ignored


def _reader(dialect: str) -> str:
    try:
        return DIALECTS[dialect.lower()]
    except KeyError:
        raise ValueError(f"unknown dialect {dialect!r}: use mysql or sqlite") from None


# ====================================================================== statements -> builder

_IGNORED = {
    "SET", "LOCK", "UNLOCK", "INSERT", "REPLACE", "UPDATE", "DELETE", "USE", "START", "BEGIN", "COMMIT", "ROLLBACK",
    "END", "PRAGMA", "ANALYZE", "VACUUM", "REINDEX", "SAVEPOINT", "RELEASE", "FLUSH", "SELECT", "GRANT", "REVOKE",
    "TRUNCATE", "OPTIMIZE", "CHECKSUM", "DETACH", "ATTACH", "CALL", "DO",
}
_CREATE_TABLE = re.compile(
    rf"CREATE\s+(?:OR\s+REPLACE\s+)?(?:(?:GLOBAL|LOCAL)\s+)?(?:TEMP(?:ORARY)?\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    rf"(?P<name>{QUALIFIED})\s*", re.IGNORECASE)
_CREATE_VIRTUAL = re.compile(rf"CREATE\s+VIRTUAL\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>{QUALIFIED})", re.IGNORECASE)
_CREATE_INDEX = re.compile(
    rf"CREATE\s+(?:OR\s+REPLACE\s+)?(?:(?P<kind>UNIQUE|FULLTEXT|SPATIAL)\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    rf"(?P<name>{QUALIFIED})\s+(?:USING\s+\w+\s+)?ON\s+(?P<table>{QUALIFIED})\s*", re.IGNORECASE)
_DEFINER = r"(?:DEFINER\s*=\s*(?:`[^`]*`|'[^']*'|\"[^\"]*\"|[\w.%$-]+)(?:\s*@\s*(?:`[^`]*`|'[^']*'|\"[^\"]*\"|[\w.%$-]+))?(?:\(\))?\s+)?"
_CREATE_VIEW = re.compile(
    rf"CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+)?(?:ALGORITHM\s*=\s*\w+\s+)?{_DEFINER}"
    rf"(?:SQL\s+SECURITY\s+\w+\s+)?VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>{QUALIFIED})\s*(?:\((?P<columns>[^)]*)\)\s*)?AS\s+",
    re.IGNORECASE)
_CREATE_ROUTINE = re.compile(
    rf"CREATE\s+(?:OR\s+REPLACE\s+)?{_DEFINER}(?:TEMP(?:ORARY)?\s+)?(?P<kind>TRIGGER|PROCEDURE|FUNCTION|EVENT|AGGREGATE\s+FUNCTION)"
    rf"\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>{QUALIFIED})", re.IGNORECASE)
_TRIGGER_TABLE = re.compile(rf"\bON\s+(?P<table>{QUALIFIED})", re.IGNORECASE)
_CREATE_OTHER = re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?(?P<kind>SEQUENCE|DATABASE|SCHEMA|USER|ROLE|SERVER|TABLESPACE|LOGFILE)\b"
                           rf"(?:\s+IF\s+NOT\s+EXISTS)?\s*(?P<name>{QUALIFIED})?", re.IGNORECASE)
_DROP = re.compile(r"DROP\s+(?:TEMPORARY\s+)?(?P<kind>TABLE|VIEW|INDEX|TRIGGER|PROCEDURE|FUNCTION|EVENT|SEQUENCE|DATABASE|SCHEMA)"
                   r"\s+(?:IF\s+EXISTS\s+)?(?P<names>.*?)(?:\s+ON\s+(?P<table>\S+))?\s*(?:CASCADE|RESTRICT)?\s*$",
                   re.IGNORECASE | re.DOTALL)
_ALTER_TABLE = re.compile(rf"ALTER\s+(?:ONLINE\s+|IGNORE\s+)*TABLE\s+(?:IF\s+EXISTS\s+)?(?P<name>{QUALIFIED})\s*", re.IGNORECASE)
_ALTER_IGNORED = re.compile(r"^(?:(?:DISABLE|ENABLE)\s+KEYS|AUTO_INCREMENT\s*=?\s*\d+|ENGINE\s*=?\s*\w+|"
                            r"(?:DEFAULT\s+)?(?:CHARSET|CHARACTER\s+SET)\s*=?\s*\w+(?:\s+COLLATE\s*=?\s*\w+)?|"
                            r"COLLATE\s*=?\s*\w+|ROW_FORMAT\s*=?\s*\w+)\s*$", re.IGNORECASE)


class _Script(TableReader):
    """Applies statements to a SchemaBuilder, reporting what it cannot read."""

    # ------------------------------------------------------------ dispatch

    def statement(self, st: Statement) -> None:
        words = re.findall(r"[A-Za-z_]+", st.text[:120])
        first = words[0].upper() if words else ""
        second = words[1].upper() if len(words) > 1 else ""
        client = (MYSQL_CLIENT if self.mysql else SQLITE_CLIENT).fullmatch(st.text)
        try:
            if client is not None:
                if re.match(r"(?:source\b|\\\.|\.read\b)", st.text, re.IGNORECASE):
                    self.note(st, "runs another file, which is not read here: import that file too")
                else:
                    self.ignored["client command"] += 1
            elif first == "CREATE":
                self.create(st)
            elif first == "ALTER" and "TABLE" in [w.upper() for w in words[1:4]]:
                self.alter_table(st)
            elif first == "DROP":
                self.drop(st)
            elif first in _IGNORED or (first == "ALTER" and second in ("DATABASE", "SCHEMA")):
                self.ignored[first] += 1
            elif first == "WITH":
                self.ignored["WITH"] += 1
            else:
                self.note(st, f"{first or 'this'} statement is not DDL schemawright reads; skipped")
        except Exception as error:  # noqa: BLE001 - one bad statement must never stop the import
            self.note(st, f"could not be read ({type(error).__name__}: {error}); skipped")

    def create(self, st: Statement) -> None:
        text = st.text
        if _CREATE_VIRTUAL.match(text):
            found = _CREATE_VIRTUAL.match(text)
            self.builder.add_object("virtual table", last_name(found.group("name")), text)
        elif (found := _CREATE_TABLE.match(text)) is not None:
            self.create_table(st, found)
        elif (found := _CREATE_INDEX.match(text)) is not None:
            self.create_index(st, found)
        elif (found := _CREATE_VIEW.match(text)) is not None:
            self.create_view(st, found)
        elif (found := _CREATE_ROUTINE.match(text)) is not None:
            kind = " ".join(found.group("kind").lower().split()).replace("aggregate ", "")
            table = None
            if kind == "trigger":
                on = _TRIGGER_TABLE.search(text, found.end())
                table = last_name(on.group("table")) if on else None
            self.builder.add_object(kind, last_name(found.group("name")), text, table)
        elif (found := _CREATE_OTHER.match(text)) is not None:
            kind = found.group("kind").lower()
            if kind in ("database", "schema"):
                self.ignored[f"CREATE {kind.upper()}"] += 1
            else:
                self.builder.add_object(kind, last_name(found.group("name") or kind), text)
        else:
            self.note(st, "CREATE statement of a kind schemawright does not read; skipped")

    # ------------------------------------------------------------ indexes, views, alter, drop

    def create_index(self, st: Statement, header: re.Match[str]) -> None:
        text = st.text
        table_name = last_name(header.group("table"))
        table = self.builder.tables.get(table_name)
        if table is None:
            self.note(st, f"index on table {table_name}, which is not defined before it; skipped")
            return
        open_at = header.end()
        if not text.startswith("(", open_at):
            self.note(st, "index column list not found; skipped", open_at)
            return
        close = paren_end(text, open_at, self.mysql)
        kind = (header.group("kind") or "").upper()
        name = last_name(header.group("name"))
        # sqlglot reads the column list best inside a CREATE TABLE: reuse that path.
        key = f"{'UNIQUE ' if kind == 'UNIQUE' else kind + ' ' if kind else ''}INDEX"
        if self.mysql:
            probe = self.parse(f"CREATE TABLE _schemawright_index (_c INT, {key} _ix ({text[open_at + 1:close]}))")
            node = probe.this.expressions[-1] if isinstance(probe, exp.Create) and isinstance(probe.this, exp.Schema) else None
            if node is None:
                self.note(st, f"index {name}: {self.parse_error(text)}; skipped")
                return
            expressions = node.this.expressions if isinstance(node, exp.UniqueColumnConstraint) else node.expressions
            table.add_index([index_part(e) for e in expressions], name=name, unique=kind == "UNIQUE",
                            kind=kind if kind in ("FULLTEXT", "SPATIAL") else None, where=self.where(st))
            return
        parsed = self.parse(text)
        if not isinstance(parsed, exp.Create) or not isinstance(parsed.this, exp.Index):
            self.note(st, f"index {name}: {self.parse_error(text)}; skipped")
            return
        params = parsed.this.args.get("params")
        columns = params.args.get("columns", []) if params is not None else []
        where_clause = params.args.get("where") if params is not None else None
        if isinstance(where_clause, exp.Where):
            where_clause = where_clause.this
        table.add_index([index_part(e) for e in columns], name=name, unique=kind == "UNIQUE",
                        where_clause=where_clause, where=self.where(st))

    def create_view(self, st: Statement, header: re.Match[str]) -> None:
        name = last_name(header.group("name"))
        query_text = st.text[header.end():]
        query = self.parse(query_text)
        if query is None or not isinstance(query, (exp.Query, exp.Select, exp.Union)):
            self.note(st, f"view {name}: its query could not be read ({self.parse_error(query_text)}); kept unanalysed",
                      header.end())
            self.builder.add_object("view", name, st.text)
            return
        columns = header.group("columns")
        if columns and isinstance(query, exp.Select):
            names = names_list(columns)
            if len(names) == len(query.expressions):
                query = query.copy()
                query.set("expressions", [exp.alias_(e.unalias() if isinstance(e, exp.Alias) else e, n)
                                          for e, n in zip(query.expressions, names)])
        self.builder.add_view(name, query, self.where(st), st.text)

    def alter_table(self, st: Statement) -> None:
        header = _ALTER_TABLE.match(st.text)
        if header is None:
            self.note(st, "ALTER statement not understood; skipped")
            return
        name = last_name(header.group("name"))
        rest = st.text[header.end():]
        if _ALTER_IGNORED.match(rest.strip()):
            self.ignored["ALTER TABLE options"] += 1
            return
        table = self.builder.tables.get(name)
        if table is None:
            self.note(st, f"ALTER TABLE {name}: the table is not defined before it; skipped")
            return
        parsed = self.parse(st.text)
        if not isinstance(parsed, exp.Alter):
            self.note(st, f"ALTER TABLE {name}: {self.parse_error(st.text)}; skipped")
            return
        for action in parsed.args.get("actions") or []:
            self.alter_action(st, table, action)

    def alter_action(self, st: Statement, table: TableBuilder, action: exp.Expression) -> None:
        if isinstance(action, exp.AddConstraint):
            for node in action.expressions:
                self.table_constraint(st, table, node, 0)
        elif isinstance(action, exp.ColumnDef):
            self.column(st, table, action, action.sql(self.dialect), 0)
        elif isinstance(action, exp.ModifyColumn) and isinstance(action.this, exp.ColumnDef):
            old = action.args.get("rename_from")
            old_name = table.column_name(old.name if old is not None else action.this.name)
            if old_name is None:
                self.note(st, f"ALTER TABLE {table.name}: no column {action.this.name!r} to change; skipped")
                return
            new = action.this
            keep = list(table.columns)
            table.columns.pop(old_name)
            # The column's own checks go with its old definition (MariaDB names them after it).
            dropped = {object_name(table.name, old_name, "values"), old_name}
            table.checks = [c for c in table.checks if c.name not in dropped]
            self.column(st, table, new, new.sql(self.dialect), 0)
            position = keep.index(old_name)
            order = keep[:position] + [new.name] + [c for c in keep[position + 1:] if c != new.name]
            table.columns = {c: table.columns[c] for c in order if c in table.columns}
            if old_name != new.name:
                self._rename_column(table, old_name, new.name)
        elif isinstance(action, exp.Drop) and (action.args.get("kind") or "").upper() in ("FOREIGN KEY", "INDEX", "KEY",
                                                                                         "CONSTRAINT", "CHECK", "COLUMN",
                                                                                         "PRIMARY KEY"):
            kind = action.args["kind"].upper()
            names = [t.name for t in action.args.get("tables") or []]
            for item in names:
                if kind == "COLUMN":
                    column = table.column_name(item)
                    if column:
                        table.columns.pop(column)
                elif kind in ("INDEX", "KEY"):
                    table.indexes = [i for i in table.indexes if i.name != item]
                    table.uniques = [u for u in table.uniques if u.name != item]
                else:
                    table.foreign_keys = [f for f in table.foreign_keys if f.name != item]
                    table.checks = [c for c in table.checks if c.name != item]
                    table.uniques = [u for u in table.uniques if u.name != item]
            if kind == "PRIMARY KEY":
                table.primary_key = None
                table.primary_key_name = None
        elif isinstance(action, exp.AlterRename):
            new_name = action.this.name
            self.builder.tables.pop(table.name, None)
            table.name = new_name
            self.builder.tables[new_name] = table
        else:
            self.note(st, f"ALTER TABLE {table.name}: action {action.sql(self.dialect)[:80]!r} is not applied to the model")

    @staticmethod
    def _rename_column(table: TableBuilder, old: str, new: str) -> None:
        def swap(cols: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(new if c == old else c for c in cols)

        if table.primary_key:
            table.primary_key = list(swap(tuple(table.primary_key)))
        table.uniques = [u.model_copy(update={"columns": swap(u.columns)}) for u in table.uniques]
        table.foreign_keys = [f.model_copy(update={"columns": swap(f.columns)}) for f in table.foreign_keys]
        for index in table.indexes:
            index.columns = [c.model_copy(update={"expression": new}) if c.expression == old else c for c in index.columns]

    def drop(self, st: Statement) -> None:
        found = _DROP.match(st.text)
        if found is None:
            self.note(st, "DROP statement not understood; skipped")
            return
        kind = found.group("kind").lower()
        if kind in ("database", "schema"):
            self.ignored[f"DROP {kind.upper()}"] += 1
            return
        table = last_name(found.group("table")) if found.group("table") else None
        for name in names_list(found.group("names")):
            self.builder.drop(kind, name, table)
