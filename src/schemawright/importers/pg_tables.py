"""Tables under construction while a PostgreSQL script is read, and their constraints.

DDL builds a table in pieces (CREATE TABLE, then ALTER TABLE ... ADD CONSTRAINT, SET
DEFAULT, ADD GENERATED AS IDENTITY, COMMENT ON), so the importer keeps mutable state here
and freezes it into the model's immutable `Table` once the whole script has been read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pglast import ast
from pglast.enums import ConstrType, SortByDir, SortByNulls

from schemawright import model as m
from schemawright.importers.pg_names import choose_name, column_part
from schemawright.importers.pg_text import canonical_type, deparse, qualified, type_base
from schemawright.sql.quoting import quote_ident

ON_DELETE = {"a": "no action", "r": "restrict", "c": "cascade", "n": "set null", "d": "set default"}


@dataclass
class ColumnState:
    name: str
    sql_type: str
    type_base: str
    nullable: bool = True
    default: str | None = None
    nextval: str | None = None  # the sequence a `nextval('seq')` default draws from
    identity: bool = False
    generated: str | None = None
    description: str | None = None


@dataclass
class ForeignKeyState:
    name: str
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]  # empty: the referenced table's primary key
    on_delete: str
    reason: str = ""  # COMMENT ON CONSTRAINT


@dataclass
class TableState:
    name: str
    description: str | None = None
    columns: dict[str, ColumnState] = field(default_factory=dict)
    primary_key: m.PrimaryKey | None = None
    foreign_keys: list[ForeignKeyState] = field(default_factory=list)
    uniques: list[m.Unique] = field(default_factory=list)
    checks: list[m.Check] = field(default_factory=list)
    exclusions: list[m.Exclusion] = field(default_factory=list)
    partitioning: m.Partitioning | None = None

    def constraint_names(self) -> list[str]:
        names = [self.primary_key.name] if self.primary_key else []
        return names + [c.name for c in (*self.foreign_keys, *self.uniques, *self.checks, *self.exclusions)]


class Namespace:
    """Names already used in the schema, so unnamed constraints get the server's names."""

    def __init__(self) -> None:
        self.relations: set[str] = set()
        self.constraints: set[str] = set()


def column_refs(node: object) -> set[str]:
    """Distinct column names an expression reads (PostgreSQL names a CHECK after its only column)."""
    found: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, (tuple, list)):
            for item in value:
                walk(item)
        elif isinstance(value, ast.ColumnRef):
            last = value.fields[-1] if value.fields else None
            if isinstance(last, ast.String):
                found.add(last.sval)
        elif isinstance(value, ast.SubLink):
            return  # PostgreSQL does not look inside sub-queries either
        elif isinstance(value, ast.Node):
            for slot in value.__slots__:
                walk(getattr(value, slot))

    walk(node)
    return found


def index_element(elem: ast.IndexElem) -> tuple[str, bool]:
    """(expression, descending) for one index or EXCLUDE element.

    The model keeps a column name or a parenthesised expression; an operator class,
    collation or non-default NULLS order travels in the expression text after the
    parenthesised part (`(name) text_pattern_ops`), which PostgreSQL reads back as the
    same plain column, so the index re-applies unchanged.
    """
    core = quote_ident(elem.name) if elem.name else deparse(elem.expr)
    descending = elem.ordering == SortByDir.SORTBY_DESC
    extras = []
    if elem.collation:
        extras.append("COLLATE " + ".".join(quote_ident(n.sval) for n in elem.collation))
    if elem.opclass:
        extras.append(".".join(quote_ident(n.sval) for n in elem.opclass))
    nulls = elem.nulls_ordering
    default_nulls = SortByNulls.SORTBY_NULLS_FIRST if descending else SortByNulls.SORTBY_NULLS_LAST
    odd_nulls = nulls not in (SortByNulls.SORTBY_NULLS_DEFAULT, default_nulls)
    if elem.name and not extras and not odd_nulls:
        return elem.name, descending
    text = f"({core})" + "".join(" " + e for e in extras)
    if odd_nulls:  # DESC must come before NULLS, so both go into the text
        text += (" DESC" if descending else "") + (" NULLS FIRST" if nulls == SortByNulls.SORTBY_NULLS_FIRST
                                                   else " NULLS LAST")
        descending = False
    return text, descending


def element_name(elem: ast.IndexElem) -> str:
    """The column name PostgreSQL uses when it names an index after its elements."""
    if elem.name:
        return elem.name
    node = elem.expr
    while isinstance(node, ast.TypeCast):
        node = node.arg
    if isinstance(node, ast.FuncCall):
        return qualified(node.funcname)[1]
    if isinstance(node, ast.ColumnRef) and isinstance(node.fields[-1], ast.String):
        return node.fields[-1].sval
    return "expr"


def exclusion_definition(con: ast.Constraint) -> str:
    parts = []
    for elem, operator in con.exclusions:
        text, descending = index_element(elem)
        shown = text if text.startswith("(") else quote_ident(text)
        schema, op = qualified(operator)
        op_text = f"OPERATOR({schema}.{op})" if schema else op
        parts.append(f"{shown}{' DESC' if descending else ''} WITH {op_text}")
    sql = f"USING {con.access_method or 'gist'} ({', '.join(parts)})"
    if con.including:
        sql += " INCLUDE (" + ", ".join(quote_ident(n.sval) for n in con.including) + ")"
    if con.where_clause is not None:
        sql += f" WHERE ({deparse(con.where_clause)})"
    return sql


def add_constraint(table: TableState, con: ast.Constraint, names: Namespace, column: str | None,
                   lossy: list[str]) -> str | None:
    """Apply a table or column constraint; returns a reason when it cannot be kept."""
    keys = tuple(k.sval for k in con.keys or ()) or ((column,) if column else ())
    kind = con.contype
    if con.deferrable or con.initdeferred:
        lossy.append(f"constraint {con.conname or kind.name} is DEFERRABLE; the model keeps it not deferrable")
    if kind == ConstrType.CONSTR_PRIMARY:
        if con.indexname:
            return "PRIMARY KEY USING INDEX: handled by the caller"
        name = con.conname or choose_name(table.name, None, "pkey", names.relations, names.constraints)
        names.constraints.add(name)
        table.primary_key = m.PrimaryKey(name=name, columns=keys)
        for key in keys:
            if key in table.columns:
                table.columns[key].nullable = False
        _lossy_index_options(con, name, lossy)
        return None
    if kind == ConstrType.CONSTR_UNIQUE:
        if con.indexname:
            return "UNIQUE USING INDEX: handled by the caller"
        name = con.conname or choose_name(table.name, column_part(keys), "key", names.relations, names.constraints)
        names.constraints.add(name)
        table.uniques.append(m.Unique(name=name, columns=keys,
                                      include=tuple(n.sval for n in con.including or ())))
        _lossy_index_options(con, name, lossy, include_kept=True)
        return None
    if kind == ConstrType.CONSTR_CHECK:
        refs = column_refs(con.raw_expr)
        name = con.conname or choose_name(table.name, next(iter(refs)) if len(refs) == 1 else None, "check",
                                          names.constraints)
        names.constraints.add(name)
        table.checks.append(m.Check(name=name, expression=deparse(con.raw_expr)))
        if con.skip_validation:
            lossy.append(f"check {name} is NOT VALID; the model's copy is validated")
        return None
    if kind == ConstrType.CONSTR_FOREIGN:
        columns = tuple(k.sval for k in con.fk_attrs or ()) or ((column,) if column else ())
        if con.pktable.schemaname:
            return f"references {con.pktable.schemaname}.{con.pktable.relname}, outside the imported schema"
        name = con.conname or choose_name(table.name, column_part(columns), "fkey", names.constraints)
        names.constraints.add(name)
        table.foreign_keys.append(ForeignKeyState(
            name=name, columns=columns, ref_table=con.pktable.relname,
            ref_columns=tuple(k.sval for k in con.pk_attrs or ()),
            on_delete=ON_DELETE.get(con.fk_del_action, "no action")))
        if con.fk_upd_action not in ("a", "\x00", None):
            lossy.append(f"foreign key {name} has ON UPDATE {ON_DELETE.get(con.fk_upd_action, '?').upper()}; "
                         "the model keeps ON DELETE only")
        if con.fk_matchtype == "f":
            lossy.append(f"foreign key {name} is MATCH FULL; the model keeps MATCH SIMPLE")
        if con.skip_validation:
            lossy.append(f"foreign key {name} is NOT VALID; the model's copy is validated")
        return None
    if kind == ConstrType.CONSTR_EXCLUSION:
        cols = [element_name(e) for e, _ in con.exclusions]
        name = con.conname or choose_name(table.name, column_part(cols), "excl", names.relations, names.constraints)
        names.constraints.add(name)
        table.exclusions.append(m.Exclusion(name=name, definition=exclusion_definition(con)))
        return None
    if kind == ConstrType.CONSTR_NOTNULL:
        for key in keys:
            if key in table.columns:
                table.columns[key].nullable = False
        return None
    if kind == ConstrType.CONSTR_NULL:
        return None
    if kind in (ConstrType.CONSTR_ATTR_DEFERRABLE, ConstrType.CONSTR_ATTR_DEFERRED):
        lossy.append(f"a constraint on {table.name} is DEFERRABLE; the model keeps it not deferrable")
        return None
    if kind in (ConstrType.CONSTR_ATTR_NOT_DEFERRABLE, ConstrType.CONSTR_ATTR_IMMEDIATE):
        return None
    return f"{kind.name.removeprefix('CONSTR_').lower()} constraints are not modelled"


def _lossy_index_options(con: ast.Constraint, name: str, lossy: list[str], include_kept: bool = False) -> None:
    if con.including and not include_kept:
        lossy.append(f"{name} has INCLUDE columns; the model's constraint has none")
    if con.nulls_not_distinct:
        lossy.append(f"{name} is NULLS NOT DISTINCT; the model keeps the default (NULLs distinct)")


def column_state(col: ast.ColumnDef) -> ColumnState:
    return ColumnState(name=col.colname, sql_type=canonical_type(col.typeName), type_base=type_base(col.typeName))


def freeze(table: TableState, tables: dict[str, TableState]) -> m.Table:
    """The model's immutable Table (foreign keys to a bare table name get its primary key)."""
    fks = []
    for fk in table.foreign_keys:
        ref_columns = fk.ref_columns
        if not ref_columns:
            parent = tables.get(fk.ref_table)
            ref_columns = parent.primary_key.columns if parent and parent.primary_key else fk.columns
        fks.append(m.ForeignKey(name=fk.name, columns=fk.columns, ref_table=fk.ref_table,
                                ref_columns=ref_columns, on_delete=fk.on_delete, reason=fk.reason))
    columns = tuple(
        m.Column(name=c.name, semantic="", sql_type=c.sql_type, nullable=c.nullable, default=c.default,
                 identity=c.identity, generated=c.generated, description=c.description)
        for c in table.columns.values()
    )
    return m.Table(name=table.name, description=table.description, columns=columns, primary_key=table.primary_key,
                   foreign_keys=tuple(fks), uniques=tuple(table.uniques), checks=tuple(table.checks),
                   exclusions=tuple(table.exclusions), partitioning=table.partitioning)
