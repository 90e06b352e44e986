"""What rules read: the design plus facts derived from it once (keys, index paths, what each
access pattern does to each table, volumes), the rule options and any sample rows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from schemawright import model as m
from schemawright.sql.postgresql import PostgresGenerator

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def words(name: str) -> list[str]:
    """customer_phone2 -> [customer, phone2]; billingAccountId -> [billing, account, id]."""
    return list(_words(name))


@lru_cache(maxsize=65536)
def _words(name: str) -> tuple[str, ...]:
    out: list[str] = []
    for part in re.split(r"[_\s\-.]+", name):
        out.extend(p.lower() for p in _CAMEL.split(part) if p)
    return tuple(out)


def q(name: str) -> str:
    """A table or column name quoted for SQL in a suggested fix (schema.table keeps its dot)."""
    from schemawright.sql.quoting import quote_ident

    return ".".join(quote_ident(part) for part in name.split("."))


def qs(names: tuple[str, ...] | list[str]) -> str:
    return ", ".join(q(n) for n in names)


# A fix that is a whole statement is written by the one generator; an imported schema's
# tables are named schema.table, so their names are quoted part by part.
SQL = PostgresGenerator(qualified_names=True)


def fix(statement: str) -> str:
    """A generated statement as a finding shows it: on one line, without its final `;`."""
    return SQL.one_line(statement).removesuffix(";")


@dataclass(frozen=True)
class IndexPath:
    """A B-tree-like access path on a table: an index, or the index behind a key constraint."""

    name: str
    kind: str  # "primary key", "unique constraint", "index"
    columns: tuple[tuple[str, bool], ...]  # (expression, descending)
    unique: bool
    method: str = "btree"
    where: str | None = None
    include: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.columns)

    @property
    def plain(self) -> bool:
        """Only plain column names (no expressions)."""
        return all(not c.startswith("(") for c, _ in self.columns)


@dataclass
class PatternUse:
    """What one access pattern does: its kind, the table it writes, and per-table predicates."""

    pattern: m.AccessPattern
    kind: str
    statement: str  # select, insert, update, delete
    write_target: str | None
    filters: dict[str, set[str]]  # table -> columns compared with a constant (=, IN, <, LIKE 'x%' ...)
    null_tests: dict[str, set[str]]  # table -> columns tested with IS [NOT] NULL
    touches: set[str]
    set_columns: set[str] = field(default_factory=set)  # UPDATE ... SET these


@dataclass
class Context:
    design: m.Design
    options: dict[str, dict[str, object]] = field(default_factory=dict)
    samples: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    source_text: str | None = None  # the file the design was read from, when there is one
    source_kind: str = ""  # spec, sql or dbml

    def option(self, code: str, key: str) -> object:
        from schemawright.lint.rule import REGISTRY

        given = self.options.get(code, {})
        return given[key] if key in given else REGISTRY[code].options[key]

    # ------------------------------------------------------------ keys and indexes

    def paths(self, table: m.Table) -> list[IndexPath]:
        return self._paths.get(table.name, [])

    @cached_property
    def _paths(self) -> dict[str, list[IndexPath]]:
        out: dict[str, list[IndexPath]] = {}
        for t in self.design.tables:
            paths = out.setdefault(t.name, [])
            if t.primary_key:
                paths.append(IndexPath(t.primary_key.name, "primary key",
                                       tuple((c, False) for c in t.primary_key.columns), True))
            for u in t.uniques:
                paths.append(IndexPath(u.name, "unique constraint", tuple((c, False) for c in u.columns), True))
        for i in self.design.indexes:
            out.setdefault(i.table, []).append(IndexPath(
                i.name, "index", tuple((_strip_expression(c.expression), c.descending) for c in i.columns), i.unique,
                (i.method or "btree").lower(), _norm_where(i.where), tuple(i.include)))
        return out

    def indexed_columns(self, table: m.Table) -> set[str]:
        """Columns any index or key of the table mentions (key, INCLUDE, expression or predicate)."""
        out: set[str] = set()
        names = {c.name for c in table.columns}
        for p in self.paths(table):
            out.update(n for n in (*p.names, *p.include) if n in names)
            text = " ".join((*p.names, p.where or ""))
            out.update(n for n in names if re.search(rf"\b{re.escape(n)}\b", text))
        return out

    def keys(self, table: m.Table) -> list[tuple[str, ...]]:
        """Candidate keys the schema enforces: primary key, unique constraints, and full
        (non-partial) unique indexes on plain columns whose columns are all NOT NULL."""
        out: list[tuple[str, ...]] = []
        for p in self.paths(table):
            if not p.unique or p.where or not p.plain:
                continue
            if p.kind != "primary key" and any((c := table.column(n)) is None or c.nullable for n in p.names):
                continue
            if p.names not in out:
                out.append(p.names)
        return out

    # ------------------------------------------------------------ access patterns

    @cached_property
    def pattern_uses(self) -> list[PatternUse]:
        from schemawright.indexing.analysis import parsed, shape

        uses: list[PatternUse] = []
        for p in self.design.access_patterns:
            try:
                query = parsed(p.sql)
                found = shape(p.sql, self.design)
            except (ParseError, TokenError, ValueError, AttributeError, KeyError):
                continue  # a query we cannot read tells us nothing; `check` reports it for specs
            tree = query.tree
            target = None
            if isinstance(tree, (exp.Insert, exp.Update, exp.Delete)):
                node = tree.this
                if isinstance(node, exp.Schema):
                    node = node.this
                if isinstance(node, exp.Table):
                    target = node.name
            filters = {t: set(u.equality) | set(u.range) for t, u in found.uses.items()}
            null_tests: dict[str, set[str]] = {}
            aliases = {t.alias_or_name: t.name for t in query.all(exp.Table)}
            for node in query.all(exp.Is):
                column = node.this
                if isinstance(column, exp.Column):
                    owner = aliases.get(column.table) if column.table else _only_owner(column.name, found.tables,
                                                                                        self.design)
                    if owner:
                        null_tests.setdefault(owner, set()).add(column.name)
            kind = "write" if target else p.kind
            touches = set(found.tables) | ({target} if target else set())
            statement = type(tree).__name__.lower() if target else "select"
            set_columns = set()
            if isinstance(tree, exp.Update):
                for assignment in tree.expressions:
                    if isinstance(assignment, exp.EQ) and isinstance(assignment.this, exp.Column):
                        set_columns.add(assignment.this.name)
            uses.append(PatternUse(p, kind, statement, target, filters, null_tests, touches, set_columns))
        return uses

    # ------------------------------------------------------------ volumes

    def volume(self, table: m.Table) -> m.Volume | None:
        return self._volumes.get(table.entity or "") or self._volumes.get(table.name)

    @cached_property
    def _volumes(self) -> dict[str, m.Volume]:
        out: dict[str, m.Volume] = {}
        for v in self.design.volumes:
            out.setdefault(v.entity, v)
        return out

    def relationship(self, name: str | None) -> m.Relationship | None:
        if name is None:
            return None
        return next((r for r in self.design.relationships if r.name == name), None)


def _only_owner(column: str, tables: list[str], design: m.Design) -> str | None:
    owners = [t for t in tables if (tb := design.table(t)) and tb.column(column)]
    return owners[0] if len(owners) == 1 else None


def _strip_expression(text: str) -> str:
    text = text.strip()
    if text.startswith('"') and text.endswith('"') and '"' not in text[1:-1]:
        return text[1:-1]
    return text


def _norm_where(where: str | None) -> str | None:
    if not where:
        return None
    return re.sub(r"\s+", " ", where.strip()).lower()
