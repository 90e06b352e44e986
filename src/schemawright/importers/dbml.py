"""DBML (dbdiagram.io's language) -> the model, read with pydbml.

pydbml parses the file; this module adds what a user needs around it: every problem is
reported with its file, line and column (pydbml's own checks of names say neither), all
of them at once, and the result is the same model the other importers give.

- Tables, columns and their settings (`pk`, `increment`, `not null`, `unique`, `default`,
  `note`), table notes, enums, indexes (composite, expression, `pk`, `unique`, `type`),
  table groups (kept in `source.table_groups`), the project (name, note,
  `database_type`) and sticky notes.
- Refs: `>` many-to-one and `<` one-to-many become a foreign key on the many side, `-`
  one-to-one a foreign key on the left side whose columns are unique, `<>` many-to-many a
  junction table `<left>_<right>` with both keys (dbdiagram.io's own convention).
- Check constraints, from newer DBML that pydbml does not read yet: `checks { `expr`
  [name: 'x'] }` blocks in a table and `check: `expr`` column settings.
- Types: PostgreSQL types are kept as written; MySQL-style names (`datetime`, `tinyint`,
  `nvarchar`, `longtext` ...) are translated like the MySQL importer does; anything else
  becomes text, with a Decision.

What DBML cannot say is carried in index notes, which exporters/dbml.py writes and this
module reads back: `unique constraint` (a UNIQUE constraint rather than a unique index)
and `using gin`, `include (a, b)`, `where <expr>` for index methods, covering columns and
partial indexes.  Generated columns, exclusion constraints, views and functions have no
DBML form.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from schemawright.gcpause import without_gc
from schemawright import model as m
from schemawright.errors import SpecErrors, SpecIssue, did_you_mean
from schemawright.importers.pg_names import choose_name, column_part, object_name
from schemawright.importers.semantics import infer
from schemawright.sql import types
from schemawright.sql.quoting import quote_ident, quote_literal

_ON_DELETE = {"cascade", "restrict", "set null", "set default", "no action"}
INDEX_NOTE = re.compile(r"^(?:using (?P<method>\w+))?\s*(?:include \((?P<include>[^)]*)\))?\s*(?:where (?P<where>.+))?$",
                        re.IGNORECASE | re.DOTALL)
UNIQUE_CONSTRAINT_NOTE = "unique constraint"
_CHECKS_OPEN = re.compile(r"^[ \t]*checks[ \t]*\{", re.IGNORECASE | re.MULTILINE)
_CHECK_LINE = re.compile(r"`(?P<expr>[^`]*)`\s*(?:\[\s*name\s*:\s*(?P<q>['\"])(?P<name>(?:(?!(?P=q)).)*)(?P=q)\s*\])?")
_COLUMN_CHECK = re.compile(r",?\s*check\s*:\s*`(?P<expr>[^`]*)`\s*,?", re.IGNORECASE)


@without_gc
def import_dbml(text: str, file: str = "<dbml>") -> m.Design:
    """Read a DBML file; SpecErrors (every problem, located) when it is not valid DBML."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from pyparsing import ParseBaseException

    text = text.lstrip("\ufeff")
    source, checks, column_checks = _extract_checks(text)
    with warnings.catch_warnings():  # pydbml still calls pyparsing's pre-3.0 names
        warnings.simplefilter("ignore", DeprecationWarning)
        parser = _parser(source)
        try:
            parser.parse_only()
        except ParseBaseException as error:
            raise SpecErrors([_syntax_issue(file, text, error)]) from None
        except SyntaxError as error:  # pydbml's own: a table without columns
            raise SpecErrors([_pydbml_issue(file, text, error)]) from None
        issues = _Validator(parser, text, file).issues()
        if issues:
            raise SpecErrors(issues)
        try:
            database = parser.build()
        except Exception as error:  # noqa: BLE001 - pydbml's own name checks, should the validator miss one
            raise SpecErrors([SpecIssue(file, 1, 1, f"invalid DBML: {error}", "check the table and column names")]) \
                from None
    return _Builder(database, parser, text, file, checks, column_checks).design()


# ====================================================================== parsing with places


def _parser(source: str):
    from pydbml.parser.parser import PyDBMLParser

    class LocatingParser(PyDBMLParser):
        """pydbml's parser, remembering where each top-level block starts."""

        def __init__(self, text: str) -> None:
            super().__init__(text)
            self.locations: dict[int, int] = {}

        def parse_blueprint(self, s, loc, tok):
            self.locations[id(tok[0])] = loc
            return super().parse_blueprint(s, loc, tok)

        def parse_only(self) -> None:
            self._set_syntax()
            self._syntax.parse_string(self.source, parse_all=True)

        def build(self):
            self.build_database()
            return self.database

    return LocatingParser(source)


def _extract_checks(text: str) -> tuple[str, list[tuple[int, str, str | None]], list[tuple[int, str]]]:
    """Blank out what pydbml does not read yet (checks), keeping every offset, and return
    (text for pydbml, [(offset, expression, name)], [(offset of the line, expression)])."""
    chars = list(text)
    checks: list[tuple[int, str, str | None]] = []
    for start, body_start, end in _checks_blocks(text):
        for found in _CHECK_LINE.finditer(text[body_start:end - 1]):
            checks.append((body_start + found.start(), found.group("expr").strip(), found.group("name")))
        for i in range(start, end):
            if chars[i] != "\n":
                chars[i] = " "
    column_checks: list[tuple[int, str]] = []
    for settings in re.finditer(r"\[[^\[\]\n]*\]", text):
        if not _COLUMN_CHECK.search(settings.group()):
            continue  # other settings, or the `[]` of an array type (text[])
        for found in _COLUMN_CHECK.finditer(settings.group()):
            start = settings.start() + found.start()
            end = settings.start() + found.end()
            line_start = text.rfind("\n", 0, start) + 1
            column_checks.append((line_start, found.group("expr").strip()))
            inner = found.group()
            keep_comma = inner.lstrip().startswith(",") and inner.rstrip().endswith(",")
            for i in range(start, end):
                chars[i] = " "
            if keep_comma:
                chars[start] = ","
        # `[check: ...]` alone leaves `[ ]`, which pydbml rejects: drop the empty brackets
        rest = "".join(chars[settings.start():settings.end()])
        if rest.strip("[] \t") == "":
            for i in range(settings.start(), settings.end()):
                chars[i] = " "
    return "".join(chars), checks, column_checks


def _checks_blocks(text: str) -> list[tuple[int, int, int]]:
    """(start, body start, end) of every `checks { ... }` block.  Expressions may hold braces
    (`phone ~ '^[0-9]{6,14}$'`), so the closing brace is found outside backticks and quotes;
    an unclosed block is left for pydbml to report."""
    blocks = []
    for opening in _CHECKS_OPEN.finditer(text):
        i = opening.end()
        while i < len(text) and text[i] != "}":
            if text[i] in "`'\"":
                close = text.find(text[i], i + 1)
                while close > 0 and text[i] != "`" and text[close - 1] == "\\":  # 'it\'s' in a name
                    close = text.find(text[i], close + 1)
                if close < 0:
                    i = len(text)
                    break
                i = close
            i += 1
        if i < len(text):
            blocks.append((opening.start(), opening.end(), i + 1))
    return blocks


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _pydbml_issue(file: str, text: str, error: SyntaxError) -> SpecIssue:
    found = re.search(r"^Table (?P<name>.*) at position (?P<at>\d+) has no columns!$", str(error))
    if found is None:
        return SpecIssue(file, 1, 1, f"invalid DBML: {error}", "see https://dbml.dbdiagram.io/docs for the syntax")
    offset = int(found.group("at"))
    offset += len(text[offset:]) - len(text[offset:].lstrip())
    return SpecIssue(file, *_position(text, offset), f"table {found.group('name')} has no columns",
                     "give it at least one column, e.g. `id integer [pk]`, or remove it")


def _syntax_issue(file: str, text: str, error) -> SpecIssue:
    line, column = error.lineno, error.col
    message = str(error.msg)
    found = re.search(r"found (.+?)\s*(?:\(at char|$)", str(error))
    shown = found.group(1) if found else None
    if len(message) > 80 or message.startswith("Expected {"):
        message = f"unexpected {shown}" if shown else "syntax error"
    else:
        message = message[0].lower() + message[1:]
        if shown and "found" not in message:
            message += f", found {shown}"
    source_line = text.splitlines()[line - 1] if 0 < line <= len(text.splitlines()) else ""
    before = source_line[: column - 1]
    unknown = _unknown_setting(source_line, column)
    if unknown is not None:
        at, setting = unknown
        return SpecIssue(file, line, at, f"DBML syntax error: unknown setting {setting!r}",
                         did_you_mean(setting, _SETTINGS) or "settings are " + ", ".join(_SETTINGS))
    if before.count("[") > before.count("]"):
        if re.search(r"default\s*:\s*$", before):
            hint = "a default is a number, 'string', true, false, null or `expression` (negative numbers: `-1`)"
        else:
            hint = ("column settings are pk, increment, not null, null, unique, default: <value>, note: '...', "
                    "ref: > table.column, separated by commas")
    elif re.match(r"\s*(Table|Enum|Ref|TableGroup|Project|Note)\b", source_line, re.IGNORECASE):
        hint = "blocks look like: Table name { column type [settings] }, with each item on its own line"
    else:
        hint = "see https://dbml.dbdiagram.io/docs for the syntax"
    return SpecIssue(file, line, column, f"DBML syntax error: {message}", hint)


_SETTINGS = ("pk", "primary key", "increment", "not null", "null", "unique", "default", "note", "ref", "name", "type",
             "delete", "update", "headercolor", "color")
_SETTING = re.compile(r"\s*(?:pk|primary key|increment|not null|null|unique|"
                      r"(?:default|note|ref|name|type|delete|update|headercolor|color)\s*:.*)\s*$", re.IGNORECASE | re.DOTALL)


def _unknown_setting(line: str, column: int) -> tuple[int, str] | None:
    """(column, text) of the first setting in the [...] around `column` that DBML does not have."""
    open_at = line.rfind("[", 0, max(column, 1))
    close_at = line.find("]", open_at)
    if open_at < 0:
        return None
    body = line[open_at + 1: close_at if close_at >= 0 else len(line)]
    start = 0
    quote = None
    parts: list[tuple[int, str]] = []
    for i, ch in enumerate(body + ","):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"`":
            quote = ch
        elif ch == ",":
            parts.append((start, body[start:i]))
            start = i + 1
    for offset, part in parts:
        if part.strip() and not _SETTING.match(part):
            lead = len(part) - len(part.lstrip())
            return open_at + 2 + offset + lead, part.strip()
    return None


class _Validator:
    """pydbml checks names as it builds, one error at a time and without a place: check
    them all here first, with places."""

    def __init__(self, parser, text: str, file: str) -> None:
        self.parser = parser
        self.text = text
        self.file = file
        self.found: list[SpecIssue] = []

    def at(self, offset: int, message: str, hint: str | None = None) -> None:
        offset = len(self.text) if offset < 0 else offset
        while offset < len(self.text) and self.text[offset] in " \t\r\n":
            offset += 1
        line, column = _position(self.text, offset)
        self.found.append(SpecIssue(self.file, line, column, message, hint))

    def loc(self, blueprint: object) -> int:
        return self.parser.locations.get(id(blueprint), 0)

    def column_offset(self, table_bp, name: str, occurrence: int = 1) -> int:
        start = self.loc(table_bp)
        pattern = re.compile(r'^[ \t]*(?:"' + re.escape(name) + r'"|' + re.escape(name) + r")(?=[\s\[])", re.MULTILINE)
        offset = start
        for _ in range(occurrence):
            found = pattern.search(self.text, offset)
            if found is None:
                return start
            offset = found.end()
        return found.start()

    def word_offset(self, start: int, word: str) -> int:
        found = re.search(r"(?<![\w])" + re.escape(word) + r"(?![\w])", self.text[start:])
        return start + found.start() if found else start

    def issues(self) -> list[SpecIssue]:
        parser = self.parser
        tables: dict[tuple[str, str], object] = {}
        aliases: dict[str, object] = {}
        for bp in parser.tables:
            key = (bp.schema, bp.name)
            if key in tables:
                self.at(self.loc(bp), f"table {bp.name} is defined twice", "rename one of them or merge them")
                continue
            tables[key] = bp
            if bp.alias:
                aliases[bp.alias] = bp
            seen: set[str] = set()
            for column in bp.columns or []:
                if column.name in seen:
                    self.at(self.column_offset(bp, column.name, 2), f"column {column.name} appears twice in table "
                                                                    f"{bp.name}", "remove or rename one of them")
                seen.add(column.name)
            for index in bp.indexes or []:
                for subject in index.subject_names:
                    if isinstance(subject, str) and subject not in seen:
                        self.at(self.word_offset(self.loc(bp), subject),
                                f"index on table {bp.name} names column {subject}, which the table does not have",
                                did_you_mean(subject, seen) or "use a column of the table or an `expression`")
        names = {bp.name: bp for bp in parser.tables}

        def table(schema: str, name: str | None):
            if name is None:
                return None
            return aliases.get(name) or tables.get((schema, name)) or (names.get(name) if schema == "public" else None)

        for ref in parser.refs:
            for schema, name, cols in ((ref.schema1, ref.table1, ref.col1), (ref.schema2, ref.table2, ref.col2)):
                target = table(schema, name)
                if ref.inline:
                    owner = table(ref.schema1, ref.table1)
                    offset = self.column_offset(owner, ref.col1) if owner is not None else 0
                else:
                    offset = self.loc(ref)
                if target is None:
                    self.at(self.word_offset(offset, name or ""), f"reference to table {name}, which is not defined",
                            did_you_mean(name or "", list(names) + list(aliases)) or "define the table or fix the name")
                    continue
                have = {c.name for c in target.columns or []}
                for col in [c.strip("() ") for c in str(cols or "").split(",")]:
                    if col and col not in have:
                        self.at(self.word_offset(offset, col), f"reference to column {name}.{col}, which is not defined",
                                did_you_mean(col, have) or f"use a column of {name}")
            if ref.on_delete and ref.on_delete.lower() not in _ON_DELETE:
                self.at(self.loc(ref), f"unknown delete action {ref.on_delete!r}", "use cascade, restrict, set null, "
                                                                                   "set default or no action")
            n1 = len(str(ref.col1 or "").split(","))
            n2 = len(str(ref.col2 or "").split(","))
            if n1 != n2:
                self.at(self.loc(ref), f"reference joins {n1} column(s) to {n2}", "give as many columns on each side")
        enums: set[tuple[str, str]] = set()
        for bp in parser.enums:
            if (bp.schema, bp.name) in enums:
                self.at(self.loc(bp), f"enum {bp.name} is defined twice", "rename one of them")
            enums.add((bp.schema, bp.name))
        for group in parser.table_groups:
            for item in group.items:
                schema, _, name = item.rpartition(".") if "." in item else ("public", "", item)
                if table(schema or "public", name) is None:
                    self.at(self.word_offset(self.loc(group), name), f"table group {group.name} names table {name}, "
                                                                     "which is not defined",
                            did_you_mean(name, names) or "define the table or fix the name")
        return self.found


# ====================================================================== the model


@dataclass
class _Type:
    sql_type: str
    reason: str | None = None


def dbml_type(type_text: str) -> _Type:
    """A DBML column type as PostgreSQL: PostgreSQL names as written, MySQL-style names
    translated, anything else text."""
    from pglast import parse_sql

    from schemawright.importers.pg_text import canonical_type

    text = " ".join(type_text.split())
    lowered = text.lower()
    canonical = None
    try:
        targets = parse_sql(f"SELECT NULL::{lowered}")[0].stmt.targetList
        if len(targets) == 1 and targets[0].name is None:  # `decimal(10,2) unsigned` reads as an alias
            canonical = canonical_type(targets[0].val.typeName)
    except Exception:  # noqa: BLE001 - pglast rejects it: not a PostgreSQL type
        canonical = None
    if canonical is not None:
        base = re.sub(r"\(.*\)|\[\]", "", canonical).strip()
        if base in types.BUILT_INS:
            return _Type(lowered)
    from schemawright.importers.sqlglot_sql import mysql_type

    mapping = mysql_type(lowered)
    if mapping.sql_type == "text" and mapping.reason and "no PostgreSQL equivalent" in mapping.reason:
        return _Type("text", f"type {text!r} is not a PostgreSQL type; kept as text")
    return _Type(mapping.sql_type, f"{text} is not a PostgreSQL type name: {mapping.reason or mapping.sql_type}")


def _refers_the_other_way(left: dict, left_cols: list, right: dict, right_cols: list) -> bool:
    """For a one-to-one `left - right` (pydbml puts the key on the left): is the right
    side the one that refers?  Yes when only the left side is a key, or when both are and
    the left is the generated `id` the right side's `<x>_id` points at."""
    left_names, right_names = [c.name for c in left_cols], [c.name for c in right_cols]
    left_key, right_key = _is_key(left, left_names), _is_key(right, right_names)
    if left_key != right_key:
        return left_key
    generated = {c.name for c in left["columns"] if c.identity}
    return bool(set(left_names) <= generated) and not any(c.identity for c in right["columns"] if c.name in right_names)


def _is_key(table: dict, columns: list[str]) -> bool:
    keys = [set(table["pk"][1])] if table["pk"] else []
    keys += [set(u.columns) for u in table["uniques"]]
    return set(columns) in keys


def _pg_expression(text: str) -> str | None:
    """`text` if PostgreSQL's parser accepts it as an expression, else None."""
    from pglast import parse_sql

    try:
        parse_sql(f"SELECT {text}")
    except Exception:  # noqa: BLE001
        return None
    return text


class _Builder:
    def __init__(self, database, parser, text: str, file: str, checks: list[tuple[int, str, str | None]],
                 column_checks: list[tuple[int, str]]) -> None:
        self.database = database
        self.parser = parser
        self.text = text
        self.file = file
        self.checks = checks
        self.column_checks = column_checks
        self.decisions: list[m.Decision] = []
        self.notes: list[m.ImportNote] = []
        self.relations: set[str] = set()

    def decide(self, subject: str, choice: str, reason: str) -> None:
        self.decisions.append(m.Decision(step="import", subject=subject, choice=choice, reason=reason))

    def design(self) -> m.Design:
        db = self.database
        names = self._table_names(db.tables)
        enums = {}
        for enum in db.enums:
            name = enum.name if enum.schema == "public" else f"{enum.schema}_{enum.name}"
            enums[id(enum)] = m.EnumType(name=name, values=tuple(item.name for item in enum.items))
        self.relations = set(names.values())
        table_locs = sorted((self.parser.locations.get(id(bp), 0), bp.schema, bp.name) for bp in self.parser.tables)
        tables: dict[str, dict] = {}
        indexes: list[m.Index] = []
        for t in db.tables:
            tables[names[id(t)]] = self._table(t, names[id(t)], enums, indexes)
        self._place_checks(tables, table_locs, names, db)
        junctions = []
        for ref in db.refs:
            self._reference(ref, names, tables, junctions)
        for junction in junctions:
            tables[junction["name"]] = junction
        enum_values = {quote_ident(e.name): e.values for e in enums.values()}
        frozen = [self._freeze(t, enum_values) for t in tables.values()]
        project = db.project
        source: dict = {"kind": "dbml", "path": self.file, "dialect": "dbml"}  # and what this file has
        if project is not None and project.items.get("database_type"):
            source["database_type"] = project.items["database_type"]
        groups = {g.name: [names[id(t)] for t in g.items] for g in db.table_groups}
        if groups:
            source["table_groups"] = groups
        sticky = {n.name: n.text for n in getattr(db, "sticky_notes", [])}
        if sticky:
            source["sticky_notes"] = sticky
        extensions = project.items.get("extensions", "") if project is not None else ""
        design = m.Design(
            extensions=tuple(sorted({e.strip() for e in extensions.split(",") if e.strip()})),
            project=project.name if project is not None else (Path(self.file).stem if not self.file.startswith("<")
                                                              else "imported"),
            description=project.note.text if project is not None and project.note and project.note.text else None,
            tables=tuple(frozen), enums=tuple(enums.values()), indexes=tuple(indexes), source=m.Source(**source),
            decisions=tuple(self.decisions), import_notes=tuple(self.notes),
        )
        from schemawright.importers.sqlglot_sql import with_conceptual

        return with_conceptual(design)

    def _table_names(self, tables: list) -> dict[int, str]:
        plain = [t.name for t in tables]
        out = {}
        for t in tables:
            if t.schema == "public" or plain.count(t.name) == 1:
                out[id(t)] = t.name
                if t.schema != "public":
                    self.decide(f"{t.schema}.{t.name}", t.name, "the model holds one schema; the name is unique without it")
            else:
                out[id(t)] = f"{t.schema}_{t.name}"
                self.decide(f"{t.schema}.{t.name}", out[id(t)], "the model holds one schema; the schema prefixes the name "
                                                                "to keep it apart from another table of the same name")
        return out

    def _table(self, t, name: str, enums: dict, indexes: list[m.Index]) -> dict:
        columns: list[m.Column] = []
        pk: list[str] = [c.name for c in t.columns if c.pk]
        pk_name = None
        uniques: list[m.Unique] = []
        constraints: set[str] = set()
        for c in t.columns:
            identity = bool(c.autoinc)
            if hasattr(c.type, "items"):  # an Enum
                enum = enums[id(c.type)]
                sql_type = quote_ident(enum.name)
            else:
                mapped = dbml_type(str(c.type))
                sql_type = mapped.sql_type
                if mapped.reason:
                    self.decide(f"{name}.{c.name}", sql_type, mapped.reason)
            default = None if identity else self._default(c.default, f"{name}.{c.name}")
            if sql_type == "boolean" and default in ("0", "1", "'0'", "'1'"):
                default = "true" if "1" in default else "false"
            nullable = not (c.not_null or c.pk)
            note = c.note.text if c.note and c.note.text else None
            columns.append(m.Column(name=c.name, semantic="", sql_type=sql_type, nullable=nullable, default=default,
                                    identity=identity, description=note))
            if c.unique:
                uniques.append(m.Unique(name=choose_name(name, column_part([c.name]), "key", constraints, self.relations),
                                        columns=(c.name,)))
        for index in t.indexes:
            parts: list[m.IndexColumn] = []
            plain: list[str] = []
            for subject in index.subjects:
                if hasattr(subject, "table"):  # a Column
                    parts.append(m.IndexColumn(expression=subject.name))
                    plain.append(subject.name)
                    continue
                expression = str(subject.text).strip()
                ordered = re.fullmatch(r"(.+?)\s+(asc|desc)", expression, re.IGNORECASE | re.DOTALL)
                column_names = {c.name for c in t.columns}
                if ordered and ordered.group(1).strip('"') in column_names:
                    parts.append(m.IndexColumn(expression=ordered.group(1).strip('"'),
                                               descending=ordered.group(2).lower() == "desc"))
                    plain.append(ordered.group(1).strip('"'))
                elif ordered and ordered.group(1).startswith("(") and ordered.group(1).endswith(")"):
                    parts.append(m.IndexColumn(expression=ordered.group(1), descending=ordered.group(2).lower() == "desc"))
                elif expression.strip('"') in column_names:
                    parts.append(m.IndexColumn(expression=expression.strip('"')))
                    plain.append(expression.strip('"'))
                else:
                    parts.append(m.IndexColumn(expression=f"({expression})"))
            note = index.note.text.strip() if index.note and index.note.text else ""
            if index.pk:
                pk = plain
                pk_name = index.name or None
                continue
            simple = len(plain) == len(parts) and not any(p.descending for p in parts)
            if index.unique and note.lower() == UNIQUE_CONSTRAINT_NOTE and simple:
                uname = index.name or choose_name(name, column_part(plain), "key", constraints, self.relations)
                self.relations.add(uname)
                uniques.append(m.Unique(name=uname, columns=tuple(plain)))
                continue
            method = (index.type or "btree").lower()
            where = None
            include: tuple[str, ...] = ()
            reason = note
            shape = INDEX_NOTE.fullmatch(note) if note else None
            if note and shape and any(shape.groupdict().values()):
                method = (shape.group("method") or method).lower()
                include = tuple(s.strip().strip('"') for s in (shape.group("include") or "").split(",") if s.strip())
                where = shape.group("where").strip() if shape.group("where") else None
                reason = ""
            iname = index.name or choose_name(name, column_part(plain) if plain else "expr", "idx", self.relations)
            self.relations.add(iname)
            indexes.append(m.Index(name=iname, table=name, columns=tuple(parts), unique=bool(index.unique),
                                   method=method, where=where, include=include, reason=reason))
        if pk:
            pk_name = pk_name or object_name(name, None, "pkey")
            columns = [c.model_copy(update={"nullable": False}) if c.name in pk else c for c in columns]
        return {"name": name, "description": t.note.text if t.note and t.note.text else None, "columns": columns,
                "pk": (pk_name, pk) if pk else None, "fks": [], "uniques": uniques, "checks": [],
                "constraints": constraints, "kind": "entity"}

    def _default(self, value: object, subject: str) -> str | None:
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return repr(value)
        if hasattr(value, "text") and not isinstance(value, str):  # an Expression
            text = str(value.text).strip()
            if _pg_expression(text) is None:
                self.decide(subject, "no default", f"default `{text}` is not a PostgreSQL expression; dropped")
                return None
            return text
        return quote_literal(str(value))

    def _place_checks(self, tables: dict[str, dict], table_locs: list, names: dict, db) -> None:
        by_key = {(t.schema, t.name): names[id(t)] for t in db.tables}

        def owner(offset: int) -> str | None:
            found = None
            for loc, schema, name in table_locs:
                if loc <= offset:
                    found = by_key.get((schema, name))
            return found

        for offset, expression, cname in self.checks:
            self._check(tables, owner(offset), expression, cname, None, offset)
        for offset, expression in self.column_checks:
            table = owner(offset)
            line = self.text[offset:self.text.find("\n", offset) if "\n" in self.text[offset:] else len(self.text)]
            first = re.match(r'\s*("(?:[^"]+)"|[\w$]+)', line)
            column = first.group(1).strip('"') if first else None
            self._check(tables, table, expression, None, column, offset)

    def _check(self, tables: dict, table: str | None, expression: str, name: str | None, column: str | None,
               offset: int) -> None:
        line, col = _position(self.text, offset)
        if table is None or table not in tables:
            self.notes.append(m.ImportNote(line=line, column=col, statement=expression, reason="check outside a table; skipped"))
            return
        if _pg_expression(expression) is None:
            self.notes.append(m.ImportNote(line=line, column=col, statement=expression,
                                           reason="check is not a PostgreSQL expression; skipped"))
            return
        t = tables[table]
        name = name or choose_name(table, column, "check", t["constraints"])
        t["constraints"].add(name)
        t["checks"].append(m.Check(name=name, expression=expression))

    def _reference(self, ref, names: dict, tables: dict, junctions: list) -> None:
        kind = ref.type
        on_delete = (ref.on_delete or "no action").lower()
        if kind == "<>":
            self._junction(ref, names, tables, junctions, on_delete)
            return
        if kind == "<":
            child_cols, parent_cols = ref.col2, ref.col1
        else:
            child_cols, parent_cols = ref.col1, ref.col2
        if kind == "-" and _refers_the_other_way(tables[names[id(child_cols[0].table)]], child_cols,
                                                 tables[names[id(parent_cols[0].table)]], parent_cols):
            child_cols, parent_cols = parent_cols, child_cols
        child = tables[names[id(child_cols[0].table)]]
        parent = names[id(parent_cols[0].table)]
        columns = tuple(c.name for c in child_cols)
        self._referenced_key(tables[parent], [c.name for c in parent_cols])
        name = ref.name or choose_name(child["name"], column_part(list(columns)), "fkey", child["constraints"])
        child["constraints"].add(name)
        child["fks"].append(m.ForeignKey(name=name, columns=columns, ref_table=parent,
                                         ref_columns=tuple(c.name for c in parent_cols), on_delete=on_delete))
        if kind == "-" and not _is_key(child, list(columns)):
            uname = choose_name(child["name"], column_part(list(columns)), "key", child["constraints"], self.relations)
            child["uniques"].append(m.Unique(name=uname, columns=columns, reason="one-to-one reference (-)"))
            self.decide(f"{child['name']}.{uname}", "unique", "a one-to-one reference: each row is referenced once")

    def _referenced_key(self, table: dict, columns: list[str]) -> None:
        """PostgreSQL requires a foreign key to reference a primary key or unique constraint."""
        if _is_key(table, columns):
            return
        name = choose_name(table["name"], column_part(columns), "key", table["constraints"], self.relations)
        table["uniques"].append(m.Unique(name=name, columns=tuple(columns), reason="referenced by a foreign key"))
        self.decide(f"{table['name']}.{name}", "unique", "a foreign key references these columns; PostgreSQL requires "
                                                         "them to be a primary key or unique")

    def _junction(self, ref, names: dict, tables: dict, junctions: list, on_delete: str) -> None:
        left, right = names[id(ref.col1[0].table)], names[id(ref.col2[0].table)]
        name = f"{left}_{right}"
        number = 1
        while name in tables or any(j["name"] == name for j in junctions):
            number += 1
            name = f"{left}_{right}_{number}"
        columns: list[m.Column] = []
        used: set[str] = set()
        sides = []
        for table, cols in ((left, ref.col1), (right, ref.col2)):
            target = tables[table]
            names_here = []
            for c in cols:
                cname = f"{table}_{c.name}"
                while cname in used:
                    cname += "_2"
                used.add(cname)
                names_here.append(cname)
                ref_col = next(col for col in target["columns"] if col.name == c.name)
                sql_type = {"serial": "integer", "bigserial": "bigint", "smallserial": "smallint"}.get(ref_col.sql_type,
                                                                                                    ref_col.sql_type)
                columns.append(m.Column(name=cname, semantic="", sql_type=sql_type, nullable=False))
            sides.append((table, names_here, [c.name for c in cols]))
        constraints: set[str] = set()
        fks = []
        for table, here, there in sides:
            self._referenced_key(tables[table], there)
            fk_name = choose_name(name, column_part(here), "fkey", constraints)
            fks.append(m.ForeignKey(name=fk_name, columns=tuple(here), ref_table=table, ref_columns=tuple(there),
                                    on_delete=on_delete, relationship=ref.name))
        pk = [c.name for c in columns]
        junctions.append({"name": name, "description": None, "columns": columns, "pk": (object_name(name, None, "pkey"), pk),
                          "fks": fks, "uniques": [], "checks": [], "constraints": constraints, "kind": "junction"})
        self.relations.add(name)
        self.decide(name, "junction table", f"many-to-many reference {left} <> {right} (dbdiagram.io's convention: "
                                            f"a table {left}_{right} keyed by both sides)")

    def _freeze(self, t: dict, enums: dict[str, tuple[str, ...]]) -> m.Table:
        fk_columns = {c for fk in t["fks"] for c in fk.columns}
        pk_columns = t["pk"][1] if t["pk"] else []
        columns = []
        for c in t["columns"]:
            if c.identity and pk_columns == [c.name]:
                semantic = "id"
            elif c.name in fk_columns:
                semantic = "fk"
            else:
                semantic = infer(c.sql_type, enums=enums, column=c.name).type
            columns.append(c.model_copy(update={"semantic": semantic}))
        return m.Table(
            name=t["name"], kind=t["kind"], description=t["description"], columns=tuple(columns),
            primary_key=m.PrimaryKey(name=t["pk"][0], columns=tuple(t["pk"][1])) if t["pk"] else None,
            foreign_keys=tuple(t["fks"]), uniques=tuple(t["uniques"]), checks=tuple(t["checks"]),
        )
