"""Where in the source file a table or column is written, for file:line:col in findings.

Three sources, best first:
- `design.source.positions`, if the importer recorded them: `{"table": (line, col),
  "table.column": (line, col)}`;
- a requirements spec (YAML): the entity, attribute, relationship or rule that produced the
  table or column, from the YAML marks;
- a SQL file: the `CREATE TABLE` statement and the column's line inside it;
- a DBML file: the `Table` block and the column's line inside it.
Also reads `schemawright: ignore` comments on those lines (see config.py).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from pathlib import Path

from schemawright import model as m

Position = tuple[int, int]


@dataclass(frozen=True, order=True)
class Location:
    file: str
    line: int | None = None
    column: int | None = None

    def format(self) -> str:
        if self.line is None:
            return self.file
        return f"{self.file}:{self.line}:{self.column or 1}"


class Locator:
    def __init__(self, design: m.Design, text: str | None = None):
        source = design.source
        self.file: str | None = source.path
        self.kind: str = source.kind or ""
        self.lines: list[str] = []
        self.tables: dict[str, Position] = {}
        self.columns: dict[tuple[str, str], Position] = {}
        self.anchors: dict[tuple[str, str], Position] = {}
        if self.file and text is None:
            try:
                text = Path(self.file).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                text = None
        self.text = text
        suffix = Path(self.file or "").suffix.lower()
        self.source_kind = ("spec" if self.kind == "spec" or suffix in (".yaml", ".yml") else
                            "dbml" if self.kind == "dbml" or suffix == ".dbml" else
                            "sql" if self.kind == "sql" or suffix in (".sql", ".ddl") else "")
        if text is not None:
            self.lines = text.splitlines()
            try:
                if self.source_kind == "spec":
                    self._from_spec(design, text)
                elif self.source_kind == "dbml":
                    self._from_dbml(design, text)
                elif self.source_kind == "sql":
                    self._from_sql(design, text)
            except Exception:  # noqa: BLE001 - positions are a convenience; never fail a lint on them
                self.tables.clear()
                self.columns.clear()
        for key, target in source.positions.items():
            table, _, column = key.partition(".")
            if column and design.table(table) is None and design.table(key) is not None:
                table, column = key, ""
            if column:
                self.columns[(table, column)] = target
            else:
                self.tables[table] = target

    # ------------------------------------------------------------ lookups

    def position(self, table: str | None, column: str | None) -> Position | None:
        if table is not None and column is not None and (table, column) in self.columns:
            return self.columns[(table, column)]
        if table is not None:
            return self.tables.get(table)
        return None

    def location(self, table: str | None, column: str | None,
                 anchor: tuple[str, str] | None = None) -> Location | None:
        if not self.file:
            return None
        pos = (self.anchors.get(anchor) if anchor else None) or self.position(table, column)
        return Location(self.file, *pos) if pos else Location(self.file)

    def comment_lines(self, table: str | None, column: str | None) -> list[str]:
        """Source lines whose comments may suppress a finding: the finding's line and a
        comment-only line just above it, and the same for the table's line."""
        lines: list[str] = []
        for pos in (self.position(table, column), self.tables.get(table) if table else None):
            if pos is None:
                continue
            if 1 <= pos[0] <= len(self.lines):
                lines.append(self.lines[pos[0] - 1])
            if 2 <= pos[0] <= len(self.lines):
                above = self.lines[pos[0] - 2].strip()
                if above.startswith(("#", "--")):  # a comment-only line just above
                    lines.append(above)
        return lines

    # ------------------------------------------------------------ specs

    def _from_spec(self, design: m.Design, text: str) -> None:
        from schemawright.requirements.yaml_marks import load_with_marks

        root, marks = load_with_marks(text)
        if not isinstance(root, dict):
            return
        keys = marks.keys

        def at(*path: object) -> Position | None:
            return keys.get(tuple(path)) or marks.values.get(tuple(path))

        for i, rule in enumerate(root.get("rules") or []):
            if isinstance(rule, dict) and (pos := at("rules", i)):
                name = rule.get("name")
                self.anchors[("rule", str(name) if name else "")] = pos
        if len(design.rules) == len(root.get("rules") or []):  # derived names: match by position
            for i, rule in enumerate(design.rules):
                if (pos := at("rules", i)) and ("rule", rule.name) not in self.anchors:
                    self.anchors[("rule", rule.name)] = pos
        relationships = root.get("relationships") or []
        rel_index = {r.name: i for i, r in enumerate(design.relationships)} \
            if len(design.relationships) == len(relationships) else {}
        for table in design.tables:
            pos = None
            if table.kind == "entity" and table.entity:
                pos = at("entities", table.entity)
            elif table.kind == "junction" and table.entity in rel_index:
                pos = at("relationships", rel_index[table.entity])
            elif table.kind == "list" and table.entity and "." in table.entity:
                entity, attribute = table.entity.split(".", 1)
                pos = at("entities", entity, "attributes", attribute)
            if pos is None:
                entity = table.entity.split(".")[0] if table.entity else None
                pos = at("entities", entity) if entity else None
            if pos is None:
                continue
            self.tables[table.name] = pos
            fk_rel = {c: fk.relationship for fk in table.foreign_keys for c in fk.columns}
            for column in table.columns:
                cpos = None
                if column.source and "." in column.source:
                    entity, attribute = column.source.split(".", 1)
                    cpos = at("entities", entity, "attributes", attribute)
                    if cpos is None and table.kind == "junction" and table.entity in rel_index:
                        cpos = at("relationships", rel_index[table.entity], "attributes", attribute)
                if cpos is None and fk_rel.get(column.name) in rel_index:
                    cpos = at("relationships", rel_index[fk_rel[column.name]])
                if cpos is not None:
                    self.columns[(table.name, column.name)] = cpos

    # ------------------------------------------------------------ SQL files

    def _from_sql(self, design: m.Design, text: str) -> None:
        wanted = {t.name.split(".")[-1].lower(): t for t in design.tables}
        exact = {t.name.split(".")[-1]: t for t in design.tables}
        for found in _CREATE_TABLE.finditer(text):
            raw = re.split(r'\s*\.\s*(?=(?:[^"]*"[^"]*")*[^"]*$)', found.group(1))[-1]
            table = exact.get(clip(raw[1:-1])) if raw.startswith('"') else wanted.get(clip(raw.lower()))
            if table is None or table.name in self.tables:
                continue
            self.tables[table.name] = _line_col(text, found.start())
            body_start = text.find("(", found.end())
            if body_start < 0:
                continue
            # The first word of each definition in the body: column names (and keywords).
            definitions: dict[str, int] = {}
            for word in _DEFINITION.finditer(text, body_start, _matching_paren(text, body_start)):
                token = word.group(1)
                key = token[1:-1].replace('""', '"') if token.startswith('"') else token.lower()
                definitions.setdefault(clip(key), word.start(1))
            for column in table.columns:
                offset = definitions.get(column.name)
                if offset is not None:
                    self.columns[(table.name, column.name)] = _line_col(text, offset)

    # ------------------------------------------------------------ DBML files

    def _from_dbml(self, design: m.Design, text: str) -> None:
        header = re.compile(r'^[ \t]*table[ \t]+((?:"[^"]+"|[\w$]+)(?:\.(?:"[^"]+"|[\w$]+))?)[^{\n]*\{',
                            re.IGNORECASE | re.MULTILINE)
        by_name = {t.name.split(".")[-1]: t for t in design.tables}
        for found in header.finditer(text):
            raw = found.group(1).split(".")[-1].strip('"')
            table = by_name.get(raw) or by_name.get(raw.lower())
            if table is None or table.name in self.tables:
                continue
            self.tables[table.name] = _line_col(text, found.start() + len(found.group(0)) - len(found.group(0).lstrip()))
            end = text.find("\n}", found.end())
            end = len(text) if end < 0 else end
            for column in table.columns:
                ident = re.escape(column.name)
                hit = re.compile(rf'^[ \t]*(?P<name>"{ident}"|{ident})[ \t]', re.MULTILINE)
                match = hit.search(text, found.end(), end)
                if match:
                    self.columns[(table.name, column.name)] = _line_col(text, match.start("name"))


def clip(name: str, size: int = 63) -> str:
    """A name as PostgreSQL keeps it: the first 63 bytes, never splitting a character."""
    return name.encode()[:size].decode(errors="ignore")


_CREATE_TABLE = re.compile(
    r'\bcreate\s+(?:(?:global|local)\s+)?(?:(?:temporary|temp|unlogged)\s+)?table\s+'
    r'(?:if\s+not\s+exists\s+)?((?:"[^"]+"|[\w$]+)(?:\s*\.\s*(?:"[^"]+"|[\w$]+))*)', re.IGNORECASE)
_DEFINITION = re.compile(r'(?:^|[(,])[ \t\r\n]*("(?:[^"]|"")+"|[^\W\d][\w$]*)', re.MULTILINE)
_PAREN_TOKENS = re.compile(r"--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|[()]", re.DOTALL)
_STARTS: tuple[str, list[int]] | None = None


def _line_col(text: str, offset: int) -> Position:
    """1-based line and column of an offset (line starts computed once per text)."""
    global _STARTS
    if _STARTS is None or _STARTS[0] is not text:
        _STARTS = (text, [0] + [found.end() for found in re.finditer("\n", text)])
    starts = _STARTS[1]
    line = bisect.bisect_right(starts, offset)
    return line, offset - starts[line - 1] + 1


def _matching_paren(text: str, start: int) -> int:
    """Offset of the parenthesis closing the one at `start` (comments and quotes skipped)."""
    depth = 0
    for token in _PAREN_TOKENS.finditer(text, start):
        if token.group(0) == "(":
            depth += 1
        elif token.group(0) == ")":
            depth -= 1
            if depth == 0:
                return token.start()
    return len(text)
