"""A live MySQL/MariaDB or SQLite database -> the model, read-only.

SQLAlchemy's inspector gives tables, columns, keys, foreign keys, indexes, comments and
views; the catalogs fill what it does not report, so nothing the server knows is lost:

- MySQL/MariaDB: the exact column type (`information_schema.COLUMNS.COLUMN_TYPE`, e.g.
  `tinyint(1)`, `decimal(10,2) unsigned`), CHECK constraints including column checks
  (`CHECK_CONSTRAINTS`), descending key parts (`STATISTICS.COLLATION`), triggers,
  routines and events.
- SQLite: the declared type (`PRAGMA table_xinfo`), foreign key actions and unique
  constraints (`PRAGMA foreign_key_list` / `index_list`), and what SQLite keeps only as DDL
  text in `sqlite_master` (indexes with expressions or WHERE, views, triggers).

Types, defaults and names go through the same `SchemaBuilder` as the DDL importer
(sqlglot_sql.py), so a file and the database created from it give the same model.  The
connection is read-only (MySQL: `SET SESSION TRANSACTION READ ONLY`; SQLite: opened with
`mode=ro`), and a URL is only ever shown with its password hidden.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from urllib.parse import quote

from schemawright import model as m
from schemawright.database import redact
from schemawright.database.urls import misread_password, scrub
from schemawright.errors import SpecErrors, SpecIssue
from schemawright.importers.sqlglot_sql import (
    _CREATE_TABLE,
    _CREATE_VIEW,
    SchemaBuilder,
    _paren_end,
    _split_items,
    apply_ddl,
    mysql_type,
    parse_expression,
    quiet_sqlglot,
    sqlite_type,
    unquote,
)


def import_database(url: str) -> m.Design:
    """Read the schema of a live MySQL/MariaDB (`mysql://`, `mysql+pymysql://`,
    `mariadb://`) or SQLite (`sqlite:///path.db`) database.  A bad URL or an unreachable
    server raises SpecErrors naming the URL with its password hidden."""
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    engine_url, backend = engine_url_for(url)
    shown = safe_url(url)
    engine = sa.create_engine(engine_url, poolclass=NullPool)
    try:
        with engine.connect() as connection, warnings.catch_warnings():
            # The inspector warns about what it skips (expression indexes); the catalogs fill those in.
            warnings.simplefilter("ignore", sa.exc.SAWarning)
            if backend == "mysql":
                connection.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")
                design = _MySQL(connection, shown).read()
            else:
                design = _SQLite(connection, shown, engine_url.database or "").read()
    except sa.exc.SQLAlchemyError as error:
        raise _error(url, f"cannot read the database: {scrub(_message(error), url)}",
                     "check the URL, that the server is running, and the user's rights") from None
    finally:
        engine.dispose()
    # Notes name the object they are about; there is no file to point into.
    located = tuple(n.model_copy(update={"line": 1, "column": 1}) for n in design.import_notes)
    return design.model_copy(update={"import_notes": located})


def _error(url: str, message: str, hint: str | None = None) -> SpecErrors:
    """Bad input, located at the URL (password hidden), like every importer reports it."""
    return SpecErrors([SpecIssue(safe_url(url), 1, 1, message, hint)])


def safe_url(url: str) -> str:
    """The URL with any password hidden (SQLAlchemy URLs and PostgreSQL forms alike)."""
    return redact(url)


def engine_url_for(url: str):
    """(SQLAlchemy URL with a driver, "mysql" or "sqlite"); SQLite opened read-only."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    misread = misread_password(url)
    if misread:  # SQLAlchemy would take the rest of the password for the host, and look it up
        raise SpecErrors([SpecIssue(redact(url), 1, 1, misread)])
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise SpecErrors([SpecIssue(redact(url), 1, 1, "not a database URL",
                                    "expected mysql://user@host/dbname or sqlite:///path/to/file.db")]) from None
    backend = parsed.get_backend_name()
    if backend in ("mysql", "mariadb"):
        if "+" not in parsed.drivername:
            parsed = parsed.set(drivername=f"{backend}+pymysql")
        if not parsed.database:
            raise _error(url, "the URL names no database", "add it to the URL: mysql://user@host/dbname")
        return parsed, "mysql"
    if backend == "sqlite":
        database = parsed.database or ""
        if database.startswith("file:"):
            return parsed, "sqlite"
        if not database or database == ":memory:":
            raise _error(url, "the URL names no database file", "expected sqlite:///path/to/file.db")
        path = Path(database)
        if not path.is_file():
            raise _error(url, f"SQLite database {database} does not exist", "check the path (sqlite:///relative.db, "
                                                                          "sqlite:////absolute/path.db)")
        readonly = f"sqlite+pysqlite:///file:{quote(str(path.resolve()))}?mode=ro&uri=true"
        return make_url(readonly), "sqlite"
    raise _error(url, f"this importer reads MySQL/MariaDB and SQLite databases, not {backend!r}",
                 "use mysql://, mariadb:// or sqlite:/// (PostgreSQL URLs go to the PostgreSQL importer)")


def _message(error: Exception) -> str:
    original = getattr(error, "orig", None)
    if original is not None and getattr(original, "args", None):
        args = original.args
        text = args[1] if len(args) > 1 and isinstance(args[1], str) else str(args[0])
        return " ".join(str(text).split())
    return str(error).split("\n")[0]


# ====================================================================== MySQL / MariaDB


class _MySQL:
    def __init__(self, connection, shown: str) -> None:
        import sqlalchemy as sa

        self.connection = connection
        self.inspector = sa.inspect(connection)
        self.shown = shown
        self.builder = SchemaBuilder("mysql")
        self.schema = connection.exec_driver_sql("SELECT DATABASE()").scalar()

    def rows(self, sql: str, *params: object) -> list[tuple]:
        return [tuple(r) for r in self.connection.exec_driver_sql(sql, params or ()).fetchall()]

    def read(self) -> m.Design:
        columns: dict[str, list[tuple]] = {}
        for table, name, column_type, extra, default in self.rows(
                "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, EXTRA, COLUMN_DEFAULT FROM information_schema.COLUMNS "
                "WHERE TABLE_SCHEMA = %s ORDER BY TABLE_NAME, ORDINAL_POSITION", self.schema):
            columns.setdefault(table, []).append((name, column_type, extra or "", default))
        checks = self._checks()
        descending = {(t, i, c) for t, i, c in self.rows(
            "SELECT TABLE_NAME, INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS "
            "WHERE TABLE_SCHEMA = %s AND COLLATION = 'D'", self.schema)}
        with quiet_sqlglot():
            for table in self.inspector.get_table_names():
                self.table(table, columns.get(table, []), checks.get(table, []), descending)
            for view in self.inspector.get_view_names():
                self.view(view)
            self.objects()
        return self.builder.design(self.schema, m.Source(kind="database", url=self.shown, dialect="mysql"))

    def _checks(self) -> dict[str, list[tuple[str, str]]]:
        try:  # MariaDB: CHECK_CONSTRAINTS has TABLE_NAME (names repeat across tables)
            found = self.rows("SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS "
                              "WHERE CONSTRAINT_SCHEMA = %s ORDER BY TABLE_NAME, CONSTRAINT_NAME", self.schema)
        except Exception:  # noqa: BLE001 - MySQL 8 has no TABLE_NAME there; names are unique per schema
            self.connection.rollback()
            found = self.rows(
                "SELECT tc.TABLE_NAME, cc.CONSTRAINT_NAME, cc.CHECK_CLAUSE FROM information_schema.TABLE_CONSTRAINTS tc "
                "JOIN information_schema.CHECK_CONSTRAINTS cc ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA "
                "AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME WHERE tc.TABLE_SCHEMA = %s AND tc.CONSTRAINT_TYPE = 'CHECK' "
                "ORDER BY tc.TABLE_NAME, cc.CONSTRAINT_NAME", self.schema)
        out: dict[str, list[tuple[str, str]]] = {}
        for table, name, clause in found:
            out.setdefault(table, []).append((name, clause))
        return out

    def table(self, name: str, catalog_columns: list[tuple], checks: list[tuple[str, str]],
              descending: set[tuple[str, str, str]]) -> None:
        inspector = self.inspector
        table = self.builder.table(name)
        where = self.builder.locate(f"table {name}", 1, 1, f"table {name} in {self.shown}")
        comment = inspector.get_table_comment(name).get("text")
        table.description = comment or None
        types = {c[0]: c for c in catalog_columns}
        for column in inspector.get_columns(name):
            cname = column["name"]
            _n, column_type, extra, catalog_default = types.get(cname, (cname, "", "", None))
            mapping = mysql_type(column_type) if column_type else mysql_type(str(column["type"]))
            default_text = column.get("default")
            if default_text is None and isinstance(catalog_default, str) and catalog_default.startswith("b'"):
                default_text = catalog_default  # the inspector drops BIT defaults (b'0')
            on_update = None
            if default_text is not None:
                parts = re.split(r"\s+ON\s+UPDATE\s+", str(default_text), maxsplit=1, flags=re.IGNORECASE)
                default_text = parts[0]
                on_update = parts[1] if len(parts) > 1 else None
            if "on update" in extra.lower() and on_update is None:
                on_update = extra.lower().split("on update", 1)[1].strip()
            computed = column.get("computed")
            table.add_column(
                cname, mapping, nullable=bool(column.get("nullable", True)),
                default=self._expression(default_text, where) if default_text not in (None, "NULL") else None,
                identity="auto_increment" in extra.lower(),
                generated=self._expression(computed["sqltext"], where) if computed else None,
                stored=bool(computed.get("persisted")) if computed else True,
                on_update=self._expression(on_update, where) if on_update else None,
                comment=column.get("comment"), where=where)
        pk = inspector.get_pk_constraint(name)
        if pk and pk.get("constrained_columns"):
            table.set_primary_key(list(pk["constrained_columns"]), where=where)
        for check_name, clause in checks:
            node = self._expression(clause, where)
            if node is not None:
                table.add_check(node, check_name, where=where)
        for index in inspector.get_indexes(name):
            options = index.get("dialect_options") or {}
            lengths = options.get("mysql_length") or {}
            kind = options.get("mysql_prefix")
            parts = []
            for position, column in enumerate(index.get("column_names") or []):
                if column is None:
                    expressions = index.get("expressions") or []
                    node = self._expression(expressions[position], where) if position < len(expressions) else None
                    if node is None:
                        break
                    parts.append((node, False, False))
                    continue
                parts.append((column, (name, index["name"], column) in descending, column in lengths))
            else:
                table.add_index(parts, name=index["name"], unique=bool(index.get("unique")), kind=kind, where=where)
        for fk in inspector.get_foreign_keys(name):
            options = fk.get("options") or {}
            table.add_foreign_key(list(fk["constrained_columns"]), fk["referred_table"], list(fk["referred_columns"]),
                                  on_delete=options.get("ondelete"), on_update=options.get("onupdate"),
                                  name=fk.get("name"), where=where)

    def _expression(self, text: str | None, where: str):
        if text is None:
            return None
        try:
            return parse_expression(str(text), "mysql")
        except Exception as error:  # noqa: BLE001 - sqlglot errors
            self.builder.warn(where, f"expression {text!r} could not be read ({error}); skipped")
            return None

    def view(self, name: str) -> None:
        where = self.builder.locate(f"view {name}", 1, 1, f"view {name} in {self.shown}")
        definition = self.inspector.get_view_definition(name) or ""
        header = _CREATE_VIEW.match(definition)
        query_text = definition[header.end():] if header else definition
        try:
            import sqlglot

            query = sqlglot.parse_one(query_text, read="mysql")
        except Exception as error:  # noqa: BLE001
            self.builder.warn(where, f"view {name}: its query could not be read ({error}); kept unanalysed")
            self.builder.add_object("view", name, definition)
            return
        self.builder.add_view(name, query, where, definition, schema=self.schema)

    def objects(self) -> None:
        for name, table, timing, event, statement in self.rows(
                "SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_STATEMENT "
                "FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = %s ORDER BY TRIGGER_NAME", self.schema):
            sql = f"CREATE TRIGGER `{name}` {timing} {event} ON `{table}` FOR EACH ROW\n{statement}"
            self.builder.add_object("trigger", name, sql, table)
        for name, kind, definition in self.rows(
                "SELECT ROUTINE_NAME, ROUTINE_TYPE, ROUTINE_DEFINITION FROM information_schema.ROUTINES "
                "WHERE ROUTINE_SCHEMA = %s ORDER BY ROUTINE_NAME", self.schema):
            sql = definition or ""
            try:
                row = self.connection.exec_driver_sql(f"SHOW CREATE {kind} `{name.replace('`', '``')}`").fetchone()
                if row is not None and row[2]:
                    sql = row[2]
            except Exception:  # noqa: BLE001 - needs privileges some users lack; the body is enough
                self.connection.rollback()
            self.builder.add_object(kind.lower(), name, sql)
        try:
            events = self.rows("SELECT EVENT_NAME, EVENT_DEFINITION FROM information_schema.EVENTS "
                               "WHERE EVENT_SCHEMA = %s ORDER BY EVENT_NAME", self.schema)
        except Exception:  # noqa: BLE001
            self.connection.rollback()
            events = []
        for name, definition in events:
            self.builder.add_object("event", name, definition or "")


# ====================================================================== SQLite


class _SQLite:
    def __init__(self, connection, shown: str, database: str) -> None:
        import sqlalchemy as sa

        self.connection = connection
        self.inspector = sa.inspect(connection)
        self.shown = shown
        self.builder = SchemaBuilder("sqlite")
        self.project = Path(database.removeprefix("file:").split("?")[0]).stem or "sqlite"

    def pragma(self, sql: str) -> list[tuple]:
        return [tuple(r) for r in self.connection.exec_driver_sql(sql).fetchall()]

    def read(self) -> m.Design:
        master = self.pragma("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL "
                             "AND name NOT LIKE 'sqlite_%' ORDER BY rowid")
        table_sql = {name: sql for kind, name, _t, sql in master if kind == "table"}
        with quiet_sqlglot():
            for table in self.inspector.get_table_names():
                self.table(table, table_sql.get(table, ""))
            ddl = [sql for kind, _n, _t, sql in master if kind in ("index", "view", "trigger")]
            ignored = apply_ddl(self.builder, ";\n".join(ddl) + (";" if ddl else ""))
        source = m.Source(kind="database", url=self.shown, dialect="sqlite")
        if ignored:
            source = source.model_copy(update={"ignored_statements": dict(sorted(ignored.items()))})
        return self.builder.design(self.project, source)

    def table(self, name: str, create_sql: str) -> None:
        inspector = self.inspector
        if re.match(r"\s*CREATE\s+VIRTUAL\b", create_sql, re.IGNORECASE):
            self.builder.add_object("virtual table", name, create_sql)
            return
        table = self.builder.table(name)
        where = self.builder.locate(f"table {name}", 1, 1, f"table {name} in {self.shown}")
        tail = create_sql[create_sql.rfind(")") + 1:] if create_sql else ""
        table.without_rowid = bool(re.search(r"\bWITHOUT\s+ROWID\b", tail, re.IGNORECASE))
        quoted = name.replace('"', '""')
        declared = {row[1]: row[2] or "" for row in self.pragma(f'PRAGMA table_xinfo("{quoted}")')}
        pk = inspector.get_pk_constraint(name)
        pk_columns = list(pk.get("constrained_columns") or []) if pk else []
        autoincrement = bool(re.search(r"\bAUTOINCREMENT\b", create_sql, re.IGNORECASE))
        for column in inspector.get_columns(name):
            cname = column["name"]
            raw = declared.get(cname, "")
            rowid = (pk_columns == [cname] and raw.strip().upper() == "INTEGER" and not table.without_rowid)
            if rowid and not autoincrement:
                self.builder.decide("SQLite rowid keys", f"{name}.{cname}", "identity",
                                    "an INTEGER PRIMARY KEY is SQLite's rowid: the database assigns it, as an identity does")
            computed = column.get("computed")
            default = column.get("default")
            table.add_column(
                cname, sqlite_type(raw), nullable=bool(column.get("nullable", True)) and cname not in pk_columns,
                default=self._expression(default, where) if default is not None else None,
                identity=rowid,
                generated=self._expression(computed["sqltext"], where) if computed else None,
                stored=bool(computed.get("persisted")) if computed else True, where=where)
        if pk_columns:
            table.set_primary_key(pk_columns, pk.get("name"), where)
        # Unique constraints: the pragma knows them all, the inspector knows the names of table
        # constraints, and a named column constraint's name is only in the CREATE TABLE text.
        named = {tuple(u["column_names"]): u.get("name") for u in inspector.get_unique_constraints(name)}
        for column, constraint in _column_unique_names(create_sql).items():
            named.setdefault((column,), constraint)
        for _seq, index_name, unique, origin, *_rest in self.pragma(f'PRAGMA index_list("{quoted}")')[::-1]:
            if origin != "u":
                continue
            escaped = index_name.replace('"', '""')
            columns = [row[2] for row in sorted(self.pragma(f'PRAGMA index_info("{escaped}")'))]
            table.add_unique(columns, named.get(tuple(columns)), where)
        for check in inspector.get_check_constraints(name):
            node = self._expression(check["sqltext"], where)
            if node is not None:
                table.add_check(node, check.get("name"), where=where)
        # Foreign keys: actions from the pragma (the inspector misses some), names from the inspector.
        names = {(tuple(f["constrained_columns"]), f["referred_table"]): f.get("name")
                 for f in inspector.get_foreign_keys(name)}
        groups: dict[int, list[tuple]] = {}
        for row in self.pragma(f'PRAGMA foreign_key_list("{quoted}")'):
            groups.setdefault(row[0], []).append(row)
        for _id, rows in sorted(groups.items(), key=lambda item: -item[0]):
            rows.sort(key=lambda r: r[1])
            columns = [r[3] for r in rows]
            ref_table = rows[0][2]
            ref_columns = [r[4] for r in rows if r[4] is not None]
            table.add_foreign_key(columns, ref_table, ref_columns, on_delete=rows[0][6], on_update=rows[0][5],
                                  name=names.get((tuple(columns), ref_table)), where=where)

    def _expression(self, text: str | None, where: str):
        if text is None:
            return None
        try:
            return parse_expression(str(text), "sqlite")
        except Exception as error:  # noqa: BLE001
            self.builder.warn(where, f"expression {text!r} could not be read ({error}); skipped")
            return None


_NAMED_UNIQUE = re.compile(r"\bCONSTRAINT\s+(`(?:[^`]|``)*`|\"(?:[^\"]|\"\")*\"|\[[^\]]*\]|[\w$]+)\s+UNIQUE\b",
                           re.IGNORECASE)


def _column_unique_names(create_sql: str) -> dict[str, str]:
    """{column: name} for `col ... CONSTRAINT name UNIQUE` in SQLite's stored CREATE TABLE."""
    header = _CREATE_TABLE.match(create_sql.strip())
    text = create_sql.strip()
    if header is None or not text.startswith("(", header.end()):
        return {}
    close = _paren_end(text, header.end(), False)
    found = {}
    for a, b in _split_items(text, header.end() + 1, close, False):
        item = text[a:b]
        first = re.match(r'\s*(`(?:[^`]|``)*`|"(?:[^"]|"")*"|\[[^\]]*\]|[\w$]+)', item)
        named = _NAMED_UNIQUE.search(item)
        if first and named and first.group(1).upper() not in ("CONSTRAINT", "UNIQUE", "PRIMARY", "CHECK", "FOREIGN"):
            found[unquote(first.group(1))] = unquote(named.group(1))
    return found
