"""`CREATE TABLE` statements -> a SchemaBuilder, item by item.

The body is parsed with sqlglot as a whole; when sqlglot rejects it, each column and
constraint is parsed on its own (repaired where a known clause trips sqlglot up), so one
odd column costs that column, not the table.
"""

from __future__ import annotations

import re
from collections import Counter

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from schemawright.importers.ddl_text import QUALIFIED, column_type_span, last_name, paren_end, split_items
from schemawright.importers.foreign_types import mysql_type, sqlite_type, unknown_mysql_type
from schemawright.importers.schema_builder import SNIPPET, SchemaBuilder
from schemawright.importers.statement_split import Locator, Statement
from schemawright.importers.table_builder import TableBuilder

_FK_ACTION = re.compile(r"ON\s+(DELETE|UPDATE)\s+(SET\s+NULL|SET\s+DEFAULT|CASCADE|RESTRICT|NO\s+ACTION)", re.IGNORECASE)
_TABLE_COMMENT = re.compile(r"\bCOMMENT\s*=?\s*'((?:[^'\\]|\\.|'')*)'", re.IGNORECASE)
_TABLE_OPTION = re.compile(
    r"\b(?:DEFAULT\s+)?(?:ENGINE|TYPE|AUTO_INCREMENT|CHARSET|CHARACTER\s+SET|COLLATE|ROW_FORMAT|KEY_BLOCK_SIZE|"
    r"STATS_PERSISTENT|STATS_AUTO_RECALC|STATS_SAMPLE_PAGES|PACK_KEYS|CHECKSUM|DELAY_KEY_WRITE|MAX_ROWS|MIN_ROWS|"
    r"AVG_ROW_LENGTH|INSERT_METHOD|COMPRESSION|ENCRYPTION|ENCRYPTION_KEY_ID|PAGE_CHECKSUM|PAGE_COMPRESSED|"
    r"PAGE_COMPRESSION_LEVEL|TRANSACTIONAL|IETF_QUOTES|SEQUENCE|WITH\s+SYSTEM\s+VERSIONING|TABLESPACE|"
    r"(?:DATA|INDEX)\s+DIRECTORY)\b(?:\s*=?\s*(?:'(?:[^'\\]|\\.|'')*'|[\w$.-]+))?\s*,?", re.IGNORECASE)

# Clauses sqlglot trips on inside a table item: parse_item retries without them.
_INDEX_TYPE = re.compile(r"\bUSING\s+(?:BTREE|HASH|RTREE)\b", re.IGNORECASE)
_ON_CONFLICT = re.compile(r"\bON\s+CONFLICT\s+(?:ROLLBACK|ABORT|FAIL|IGNORE|REPLACE)\b", re.IGNORECASE)
_MYSQL_ESCAPES = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a"}


def _mysql_string(body: str) -> str:
    """The value of a MySQL string literal's body (backslash escapes, doubled quotes)."""
    body = body.replace("''", "'")
    return re.sub(r"\\(.)", lambda found: _MYSQL_ESCAPES.get(found.group(1), found.group(1)), body)


def _actions(node: exp.Expression) -> tuple[str | None, str | None]:
    found = {k.upper(): " ".join(v.split()).lower() for k, v in _FK_ACTION.findall(node.sql("mysql"))}
    return found.get("DELETE"), found.get("UPDATE")


class TableReader:
    """Reads `CREATE TABLE` statements into a SchemaBuilder, reporting what it cannot read,
    and holds what every statement needs (its place in the file, parsing with sqlglot).
    sqlglot_sql.py extends it with the other statements."""

    def __init__(self, text: str, dialect: str, builder: SchemaBuilder) -> None:
        self.text = text
        self.dialect = dialect
        self.mysql = dialect == "mysql"
        self.builder = builder
        self.locator = Locator(text)
        self.ignored: Counter = Counter()

    # ------------------------------------------------------------ helpers

    def where(self, st: Statement, offset: int = 0, end: int | None = None) -> str:
        line, column = self.locator.at(st.start + offset)
        key = f"{line}:{column}"
        snippet = " ".join(st.text[offset:min(end or len(st.text), offset + SNIPPET * 2)].split())
        return self.builder.locate(key, line, column, snippet)

    def note(self, st: Statement, reason: str, offset: int = 0, end: int | None = None) -> None:
        self.builder.warn(self.where(st, offset, end), reason)

    def parse(self, sql: str) -> exp.Expression | None:
        """One statement with sqlglot; None when sqlglot cannot read it (it falls back on Command)."""
        try:
            found = sqlglot.parse(sql, read=self.dialect)
        except SqlglotError:
            return None
        found = [f for f in found if f is not None]
        if len(found) != 1 or isinstance(found[0], exp.Command):
            return None
        return found[0]

    def parse_error(self, sql: str) -> str:
        try:
            sqlglot.parse(sql, read=self.dialect)
        except SqlglotError as error:
            errors = getattr(error, "errors", None) or []
            if errors:
                return str(errors[0].get("description") or error).splitlines()[0]
            return str(error).splitlines()[0]
        return "syntax sqlglot does not support"

    # ------------------------------------------------------------ tables

    def create_table(self, st: Statement, header: re.Match[str]) -> None:
        text = st.text
        name = last_name(header.group("name"))
        rest = header.end()
        if text.startswith("(", rest) and re.match(r"\(\s*LIKE\b", text[rest:], re.IGNORECASE) is None:
            close = paren_end(text, rest, self.mysql)
            if close >= len(text):
                self.note(st, f"table {name}: the column list is not closed; skipped")
                return
            self.table_body(st, name, rest, close)
            return
        like = re.match(rf"\(?\s*LIKE\s+(?P<other>{QUALIFIED})", text[rest:], re.IGNORECASE)
        if like:
            other = self.builder.tables.get(last_name(like.group("other")))
            if other is None:
                self.note(st, f"table {name} is created LIKE {like.group('other')}, which is not defined before it; skipped")
                return
            self.builder.table(name).copy_like(other)
            return
        self.note(st, f"table {name} is created from a query (CREATE TABLE ... AS SELECT): its columns are not "
                      "declared; skipped", rest)

    def table_body(self, st: Statement, name: str, open_at: int, close: int) -> None:
        text = st.text
        items = split_items(text, open_at + 1, close, self.mysql)
        head = text[:open_at]
        trailer = text[close + 1:].strip()
        expressions: list[exp.Expression | None] | None = None
        with_body = f"{head}({text[open_at + 1:close]})"
        parsed = self.parse(with_body)
        if isinstance(parsed, exp.Create) and isinstance(parsed.this, exp.Schema) and \
                len(parsed.this.expressions) == len(items):
            expressions = list(parsed.this.expressions)
        if expressions is None:
            expressions = [self.parse_item(st, a, b) for a, b in items]
        table = self.builder.table(name)
        self.table_options(st, table, trailer, close + 1)
        deferred: list[tuple[exp.Expression, int, int]] = []
        for (a, b), node in zip(items, expressions):
            if node is None:
                continue
            if isinstance(node, (exp.Identifier, exp.Column)):  # SQLite: a column without a type
                node = exp.ColumnDef(this=exp.to_identifier(node.name))
            if isinstance(node, exp.ColumnDef):
                self.column(st, table, node, text[a:b], a, b)
            else:
                deferred.append((node, a, b))
        for node, a, b in deferred:  # keys may name columns declared after them
            self.table_constraint(st, table, node, a, b)

    def parse_item(self, st: Statement, a: int, b: int) -> exp.Expression | None:
        """One item of a CREATE TABLE body, with repairs for what sqlglot does not read."""
        item = st.text[a:b]
        attempts = [item]
        cleaned = _INDEX_TYPE.sub(" ", _ON_CONFLICT.sub(" ", item))
        if cleaned != item:
            attempts.append(cleaned)
        span = column_type_span(cleaned, self.mysql)
        if span is not None:
            _name, t0, t1 = span
            attempts.append(f"{cleaned[:t0]}TEXT{cleaned[t1:]}" if t1 > t0 else f"{cleaned[:t0]} TEXT {cleaned[t0:]}")
        for attempt in attempts:
            parsed = self.parse(f"CREATE TABLE _schemawright_item ({attempt})")
            if isinstance(parsed, exp.Create) and isinstance(parsed.this, exp.Schema) and len(parsed.this.expressions) == 1:
                node = parsed.this.expressions[0]
                if attempt is not item:
                    node.meta["repaired"] = True
                return node
        reason = self.parse_error(f"CREATE TABLE _schemawright_item ({item})")
        self.note(st, f"could not read this part of the table ({reason}); skipped", a, b)
        return None

    def table_options(self, st: Statement, table: TableBuilder, trailer: str, offset: int) -> None:
        if not trailer:
            return
        if not self.mysql:
            words = {w.upper() for w in re.findall(r"[A-Za-z_]+", trailer)}
            if "WITHOUT" in words and "ROWID" in words:
                table.without_rowid = True
            unknown = words - {"WITHOUT", "ROWID", "STRICT"}
            if unknown:
                self.note(st, f"table options {trailer!r} not understood; ignored", offset)
            return
        comment = _TABLE_COMMENT.search(trailer)
        if comment:
            table.description = _mysql_string(comment.group(1)) or None
        rest = _TABLE_OPTION.sub(" ", _TABLE_COMMENT.sub(" ", trailer)).strip(" \t\r\n,")
        if rest:
            self.note(st, f"table options {' '.join(rest.split())[:80]!r} are not part of the model (partitioning, "
                          "storage); ignored", offset)

    def column(self, st: Statement, table: TableBuilder, node: exp.ColumnDef, item: str, offset: int,
               end: int | None = None) -> None:
        where = self.where(st, offset, end)
        name = node.name
        span = column_type_span(item, self.mysql)
        raw_type = item[span[1]:span[2]] if span else ""
        if not self.mysql:
            mapping = sqlite_type(raw_type)
        elif raw_type:
            mapping = mysql_type(raw_type)
        elif isinstance(node.args.get("kind"), exp.DataType):
            mapping = mysql_type(node.args["kind"])
        else:
            mapping = unknown_mysql_type("")
        nullable, default, identity, generated, stored, on_update, comment = True, None, False, None, True, None, None
        pk = False
        uniques: list[str | None] = []
        checks: list[tuple[exp.Expression, str | None]] = []
        references: list[tuple[exp.Reference, str | None]] = []
        for constraint in node.constraints:
            kind = constraint.args.get("kind")
            cname = constraint.name or None
            if isinstance(kind, exp.NotNullColumnConstraint):
                nullable = bool(kind.args.get("allow_null"))
            elif isinstance(kind, exp.PrimaryKeyColumnConstraint):
                pk = True
            elif isinstance(kind, (exp.AutoIncrementColumnConstraint, exp.GeneratedAsIdentityColumnConstraint)):
                identity = True
            elif isinstance(kind, exp.UniqueColumnConstraint):
                uniques.append(cname)
            elif isinstance(kind, exp.DefaultColumnConstraint):
                default = kind.this
            elif isinstance(kind, exp.CommentColumnConstraint):
                comment = kind.this.this if isinstance(kind.this, exp.Literal) else kind.this.sql()
            elif isinstance(kind, exp.CheckColumnConstraint):
                checks.append((kind.this, cname))
            elif isinstance(kind, exp.Reference):
                references.append((kind, cname))
            elif isinstance(kind, exp.ComputedColumnConstraint):
                generated, stored = kind.this, bool(kind.args.get("persisted"))
            elif isinstance(kind, exp.OnUpdateColumnConstraint):
                on_update = kind.this
        rowid = (not self.mysql and pk and raw_type.strip().upper() == "INTEGER" and not table.without_rowid)
        if rowid and not identity:
            self.builder.decide("SQLite rowid keys", f"{table.name}.{name}", "identity",
                                "an INTEGER PRIMARY KEY is SQLite's rowid: the database assigns it, as an identity does")
        table.add_column(name, mapping, nullable=nullable and not pk, default=default, identity=identity or rowid,
                         generated=generated, stored=stored, on_update=on_update, comment=comment, where=where)
        if pk:
            table.set_primary_key([name], where=where)
        for cname in uniques:
            table.add_unique([name], cname, where)
        for check, cname in checks:
            table.add_check(check, cname, column=name, where=where)
        for reference, cname in references:
            target = reference.this
            if isinstance(target, exp.Schema):
                ref_table = target.this.name
                ref_columns = [e.name for e in target.expressions]
            else:
                ref_table, ref_columns = target.name, []
            on_delete, on_update_fk = _actions(reference)
            table.add_foreign_key([name], ref_table, ref_columns, on_delete=on_delete, on_update=on_update_fk,
                                  name=cname, where=where)

    def table_constraint(self, st: Statement, table: TableBuilder, node: exp.Expression, offset: int,
                         end: int | None = None) -> None:
        where = self.where(st, offset, end)
        name = None
        if isinstance(node, exp.Constraint):
            name = node.name or None
            inner = node.expressions
            if len(inner) != 1:
                self.note(st, "constraint not understood; skipped", offset)
                return
            node = inner[0]
        if isinstance(node, exp.PrimaryKey):
            table.set_primary_key(_key_columns(node.expressions), name, where)
        elif isinstance(node, exp.PrimaryKeyColumnConstraint):
            self.note(st, "primary key without columns; skipped", offset)
        elif isinstance(node, exp.UniqueColumnConstraint):
            schema = node.this
            if isinstance(schema, exp.Schema):
                key_name = schema.this.name if schema.this is not None else None
                parts = [index_part(e) for e in schema.expressions]
            else:
                key_name, parts = None, []
            if not parts:
                self.note(st, "unique key without columns; skipped", offset)
                return
            if all(isinstance(p[0], str) for p in parts):
                table.add_unique([p[0] for p in parts], name or key_name, where, prefixed=any(p[2] for p in parts))
            else:
                table.add_index(parts, name=name or key_name, unique=True, where=where)
        elif isinstance(node, exp.IndexColumnConstraint):
            parts = [index_part(e) for e in node.expressions]
            kind = node.args.get("kind")
            table.add_index(parts, name=(node.name or None), kind=kind if isinstance(kind, str) else None, where=where)
        elif isinstance(node, exp.ForeignKey):
            reference = node.args.get("reference")
            target = reference.this if reference is not None else None
            if not isinstance(target, (exp.Schema, exp.Table)):
                self.note(st, "foreign key without a referenced table; skipped", offset)
                return
            if isinstance(target, exp.Schema):
                ref_table, ref_columns = target.this.name, [e.name for e in target.expressions]
            else:
                ref_table, ref_columns = target.name, []
            on_delete, on_update = _actions(node)
            table.add_foreign_key([e.name for e in node.expressions], ref_table, ref_columns, on_delete=on_delete,
                                  on_update=on_update, name=name, where=where)
        elif isinstance(node, exp.CheckColumnConstraint):
            table.add_check(node.this, name, where=where)
        else:
            self.note(st, f"table item {node.sql(self.dialect)[:80]!r} not understood; skipped", offset)


def _key_columns(expressions: list[exp.Expression]) -> list[str]:
    names = []
    for e in expressions:
        part = index_part(e)[0]
        names.append(part if isinstance(part, str) else part.sql())
    return names


def index_part(node: exp.Expression) -> tuple[exp.Expression | str, bool, bool]:
    """(column name or expression, descending, had a prefix length) of one key part."""
    descending = False
    if isinstance(node, exp.Ordered):
        descending = bool(node.args.get("desc"))
        node = node.this
    if isinstance(node, exp.ColumnPrefix):
        return node.this.name, descending, True
    if isinstance(node, exp.Identifier):
        return node.name, descending, False
    if isinstance(node, exp.Column) and not node.table:
        return node.name, descending, False
    if isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Anonymous) and len(node.expressions) == 1 and isinstance(node.expressions[0], exp.Literal) \
            and not node.expressions[0].is_string:  # MySQL prefix `name(10)` read as a call
        return node.name, descending, True
    return node, descending, False
