"""How an access pattern uses encrypted columns, and the pattern rewritten to serve it.

What a query may still do with a column that holds ciphertext:
- read it (a SELECT list, RETURNING, SELECT *): the application decrypts with pii_decrypt();
- test it for NULL;
- look a value up by equality (`= :p`, `IN (...)`, ON CONFLICT): through the blind index,
  `email = :email` becomes `email_hash = pii_blind(lower(:email))`;
- write it (INSERT ... VALUES, UPDATE ... SET): the value becomes `pii_encrypt(value)`.
Anything else (ORDER BY, LIKE, ranges, joins, GROUP BY, an expression over it) would run on
ciphertext and answer wrongly, so it is a problem the spec must change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

from schemawright import model as m
from schemawright.security.pii.functions import ENCRYPT_FUNCTION, blind_sql

Key = tuple[str, str]  # (table, column)

_RANGE = (exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Between)
_VERBS: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (exp.Ordered, "sorts by"), ((exp.Like, exp.ILike), "matches a pattern against"), (_RANGE, "compares a range of"),
    (exp.Group, "groups by"), (exp.Distinct, "takes distinct values of"), (exp.Any, "compares = ANY() with"),
)


def identifier_name(ident: exp.Expression | None) -> str | None:
    """The catalog name an identifier denotes: unquoted names fold to lower case (as
    validation.rules.identifier_name, which this package sits below)."""
    if not isinstance(ident, exp.Identifier):
        return None
    return ident.this if ident.quoted else ident.this.lower()


def encrypted_columns(design: m.Design) -> dict[str, tuple[str, ...]]:
    """table -> its PII columns, when the spec asks for `pii: encrypt`."""
    if design.security.pii != "encrypt" or not design.security.declared("pii"):
        return {}
    found = {t.name: tuple(c.name for c in t.columns if c.pii) for t in design.tables}
    return {t: cols for t, cols in found.items() if cols}


@dataclass
class Reading:
    """One statement's uses of encrypted columns."""

    lookups: set[Key] = field(default_factory=set)  # equality, IN, ON CONFLICT: need a blind index
    writes: set[Key] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)  # what cannot be served, in words


class _Statement:
    """A parsed statement with its design tables by alias."""

    def __init__(self, tree: exp.Expression, design: m.Design):
        self.tree, self.design = tree, design
        self.aliases: dict[str, str] = {}
        for table in tree.find_all(exp.Table):
            name = identifier_name(table.args.get("this"))
            if name is None or design.table(name) is None:
                continue
            alias = table.args.get("alias")
            key = identifier_name(alias.args.get("this")) if alias is not None and alias.args.get("this") else name
            self.aliases[key or name] = name
            self.aliases.setdefault(name, name)

    def resolve(self, column: exp.Column) -> Key | None:
        name = identifier_name(column.args.get("this"))
        if name is None:
            return None
        qualifier = column.args.get("table")
        candidates = [self.aliases.get(identifier_name(qualifier) or "")] if qualifier is not None \
            else sorted(set(self.aliases.values()))
        owners = [t for t in candidates if t and (table := self.design.table(t)) and table.column(name)]
        return (owners[0], name) if len(owners) == 1 else None


def _constant(node: exp.Expression | None) -> bool:
    """A value known before the query reads a row: literals, parameters and expressions of them."""
    return node is not None and node.find(exp.Column, exp.Select) is None


def _classify(column: exp.Column) -> tuple[str, str]:
    """("read" | "null" | "lookup" | "in" | "set" | "problem", words for a problem)."""
    parent = column.parent
    if isinstance(parent, exp.Alias) and isinstance(parent.parent, (exp.Select, exp.Returning)):
        parent = parent.parent
    if isinstance(parent, (exp.Select, exp.Returning)) and column in parent.expressions:
        return "read", ""
    if isinstance(parent, exp.Is) and parent.this is column and isinstance(parent.expression, exp.Null):
        return "null", ""
    if isinstance(parent, exp.EQ):
        other = parent.expression if parent.this is column else parent.this
        if isinstance(parent.parent, exp.Update) and parent.this is column:
            return "set", ""
        if isinstance(other, exp.Any):
            return "problem", "compares = ANY() with"
        if _constant(other):
            return "lookup", ""
        return "problem", "joins or compares another column with"
    if isinstance(parent, exp.In) and parent.this is column:
        if parent.expressions and all(_constant(v) for v in parent.expressions) and not parent.args.get("query"):
            return "in", ""
        return "problem", "compares a subquery with"
    if isinstance(parent, exp.Ordered) and isinstance(parent.parent, exp.OnConflict):
        return "conflict", ""
    for types, verb in _VERBS:
        if isinstance(parent, types):
            return "problem", verb
    return "problem", f"computes `{parent.sql(dialect='postgres')}` from" if parent is not None else "uses"


def read(sql: str, design: m.Design, encrypted: dict[str, tuple[str, ...]]) -> Reading:
    """How `sql` uses the encrypted columns (nothing when it does not parse: other checks say so)."""
    reading = Reading()
    statement = _parse(sql, design)
    if statement is None:
        return reading
    for column, key, how, verb in _uses(statement, encrypted):
        if how in ("lookup", "in", "conflict"):
            reading.lookups.add(key)
        elif how == "set":
            reading.writes.add(key)
        elif how == "problem":
            reading.problems.append(f"{verb} {key[0]}.{key[1]}")
    for key, _values in _inserted(statement, encrypted, reading):
        reading.writes.add(key)
    reading.problems = list(dict.fromkeys(reading.problems))
    return reading


def rewrite(sql: str, design: m.Design, encrypted: dict[str, tuple[str, ...]], hashes: dict[Key, str]) -> str | None:
    """`sql` with lookups moved to the blind index and written values encrypted; None when it
    touches no encrypted column (or cannot be served: `read` says why)."""
    statement = _parse(sql, design)
    if statement is None:
        return None
    changed = False
    for column, key, how, _verb in list(_uses(statement, encrypted)):
        table = design.table(key[0])
        assert table is not None
        semantic = table.column(key[1]).semantic  # type: ignore[union-attr]
        if how in ("lookup", "in", "conflict"):
            if key not in hashes:
                continue
            parent = column.parent
            if how == "lookup":
                assert isinstance(parent, exp.EQ)
                other = parent.expression if parent.this is column else parent.this
                other.replace(_blind(semantic, other))
            elif how == "in":
                for value in list(parent.expressions):  # type: ignore[union-attr]
                    value.replace(_blind(semantic, value))
            column.set("this", exp.to_identifier(hashes[key]))
            changed = True
        elif how == "set":
            value = column.parent.expression  # type: ignore[union-attr]
            value.replace(_encrypted(value))
            changed = True
    for _key, values in _inserted(statement, encrypted, Reading()):
        for value in values:
            value.replace(_encrypted(value))
            changed = True
    if not changed:
        return None
    for placeholder in list(statement.tree.find_all(exp.Placeholder)):  # sqlglot would print :name as %(name)s
        placeholder.replace(exp.var(f":{placeholder.name}"))
    return statement.tree.sql(dialect="postgres", pretty=True, normalize_functions="lower")


def _parse(sql: str, design: m.Design) -> _Statement | None:
    try:
        tree = sqlglot.parse_one(sql, read="postgres")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return None
    return _Statement(tree, design) if tree is not None else None


def _uses(statement: _Statement, encrypted: dict[str, tuple[str, ...]]):  # noqa: ANN202 - a generator of tuples
    for column in list(statement.tree.find_all(exp.Column)):
        if isinstance(column.this, exp.Star):
            continue
        key = statement.resolve(column)
        if key is None or key[1] not in encrypted.get(key[0], ()):
            continue
        how, verb = _classify(column)
        yield column, key, how, verb


def _inserted(statement: _Statement, encrypted: dict[str, tuple[str, ...]], reading: Reading):  # noqa: ANN202
    """(key, the values written into it) for each encrypted column an INSERT names."""
    for insert in list(statement.tree.find_all(exp.Insert)):
        target = insert.this
        if not isinstance(target, exp.Schema) or not isinstance(target.this, exp.Table):
            continue
        table = statement.aliases.get(identifier_name(target.this.args.get("this")) or "")
        if table is None:
            continue
        source = insert.args.get("expression")
        for index, ident in enumerate(target.expressions):
            name = identifier_name(ident if isinstance(ident, exp.Identifier) else ident.args.get("this"))
            if name not in encrypted.get(table, ()):
                continue
            if not isinstance(source, exp.Values):
                reading.problems.append(f"inserts from a query into {table}.{name}")
                continue
            rows = [row.expressions[index] for row in source.expressions
                    if isinstance(row, exp.Tuple) and index < len(row.expressions)]
            yield (table, name), [v for v in rows if not _is_default(v)]


def _is_default(node: exp.Expression) -> bool:
    return isinstance(node, (exp.Null, exp.Var)) and node.sql().upper() in ("NULL", "DEFAULT")


def _blind(semantic: str, value: exp.Expression) -> exp.Expression:
    template = sqlglot.parse_one(blind_sql(semantic, "sw_value"), read="postgres")
    template.find(exp.Column).replace(value.copy())  # type: ignore[union-attr]
    return template


def _encrypted(value: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=ENCRYPT_FUNCTION, expressions=[value.copy()])
