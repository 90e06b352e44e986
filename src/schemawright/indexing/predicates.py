"""What an access pattern asks of each table, in the detail an index advisor needs.

`analysis.shape` reads equality, range, join and sort columns for the first-cut rules;
this module reads everything the planner-checked advisor proposes indexes from:

- equality and IN (`x = :p`, `x IN (...)`, `x = ANY(:ids)`), ranges (`<`, `>=`, BETWEEN),
  prefix LIKE (`'ab%'` or a parameter), IS [NOT] NULL;
- expressions on columns (`lower(email) = lower(:e)`) as index keys written `(lower(email))`;
- join keys, GROUP BY, ORDER BY with direction, projected columns, LIMIT;
- full-text (`@@`), JSON (`@>`, `?`, `?|`, `?&`) and array (`@>`, `<@`, `&&`) operators, which
  a GIN index serves;
- constant predicates (`status = 'open'`), the WHERE clause of a partial index;
- for writes, the table written and the columns an UPDATE sets (index maintenance).

Parameters may be written `:name`, `$1` or `?`; `normalise_parameters` turns the last two into
`:p1 ...` so the binder of `validation.params` can give them values.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp

from schemawright import model as m
from schemawright.indexing.analysis import _resolve, _tables, parse, parsed

# A key is an index key: a column name, or an expression in parentheses: "(lower(email))".
Key = str

_RANGE = (exp.GT, exp.GTE, exp.LT, exp.LTE)
_GIN_OPERATORS = {
    exp.ArrayContainsAll: "contains",  # @>  (arrays and jsonb)
    exp.ArrayContainedBy: "contained",  # <@
    exp.ArrayOverlaps: "overlaps",  # &&
    exp.JSONBContainsTopKey: "json_key",  # ?
    exp.JSONBContainsAnyTopKeys: "json_key",  # ?|
    exp.JSONBContainsAllTopKeys: "json_key",  # ?&
    exp.JSONBContains: "contains",
}


@dataclass
class TableAccess:
    """One query's demands on one table; keys in the order they appear."""

    table: str
    equality: list[Key] = field(default_factory=list)  # = and IN, = ANY
    range: list[Key] = field(default_factory=list)
    prefix: list[Key] = field(default_factory=list)  # LIKE 'ab%' / LIKE :p
    null: list[tuple[Key, bool]] = field(default_factory=list)  # (key, is_not_null)
    join: list[Key] = field(default_factory=list)
    group: list[Key] = field(default_factory=list)
    sort: list[tuple[Key, bool]] = field(default_factory=list)  # (key, descending)
    projected: list[str] = field(default_factory=list)
    star: bool = False  # SELECT * (or t.*): every column is read
    gin: list[tuple[Key, str]] = field(default_factory=list)  # (key, operator kind: fulltext, contains ...)
    constants: list[str] = field(default_factory=list)  # `status = 'open'`: SQL of constant predicates
    # LIKE/ILIKE a trigram index serves: (key, infix) -- infix: the pattern surely starts with a
    # wildcard ('%x%'); False: an ILIKE with a parameter, which no B-tree serves either way.
    trigram: list[tuple[Key, bool]] = field(default_factory=list)

    @staticmethod
    def add(bucket: list, item: object) -> None:
        if item not in bucket:
            bucket.append(item)

    def filter_keys(self) -> list[Key]:
        """Every key a B-tree could seek on: equality, then prefix and range."""
        out: list[Key] = []
        for key in self.equality + self.prefix + self.range + [k for k, _ in self.null]:
            self.add(out, key)
        return out


@dataclass
class QueryAccess:
    kind: str  # read or write
    statement: str  # select, insert, update, delete, other
    tables: dict[str, TableAccess]
    limit: int | None = None
    target: str | None = None  # the table an INSERT/UPDATE/DELETE writes
    set_columns: list[str] = field(default_factory=list)  # UPDATE ... SET these


def normalise_parameters(sql: str) -> str:
    """`$1` and `?` parameters become `:p1`, `:p2` ...; SQL with only `:name` is returned as is."""
    tree = parse(sql)
    if tree is None:
        return sql
    jdbc = [p for p in tree.find_all(exp.Placeholder) if p.args.get("jdbc") or not p.name]
    dollars = list(tree.find_all(exp.Parameter))
    if not jdbc and not dollars:
        return sql
    for node in dollars:  # a Var renders as written: `:p1`, which validation.params reads
        node.replace(exp.var(f":p{node.name}"))
    for i, node in enumerate(jdbc, start=1):
        node.replace(exp.var(f":q{i}"))
    for node in list(tree.find_all(exp.Placeholder)):  # sqlglot would print :name as %(name)s
        node.replace(exp.var(f":{node.name}"))
    return tree.sql(dialect="postgres")


def key_of(node: exp.Expression) -> Key:
    """The index key for a column or an expression over columns of one table."""
    if isinstance(node, exp.Column):
        return node.name
    plain = node.copy()
    for column in plain.find_all(exp.Column):
        column.set("table", None)  # index expressions never name the table
    return "(" + plain.sql(dialect="postgres") + ")"


def sargable(node: exp.Expression) -> bool:
    """A predicate an index scan can use: not inside CASE, an aggregate, a FILTER clause or a
    NOT, not in the select list, and not a constant compared in a JOIN's ON clause (for an
    outer join it decides which rows match, not which are returned).  Read up to the nearest
    SELECT, so a predicate of a subquery (EXISTS, NOT EXISTS) is judged in its own query."""
    child, parent = node, node.parent
    while parent is not None and not isinstance(parent, (exp.Select, exp.Subquery)):
        if isinstance(parent, (exp.Case, exp.If, exp.AggFunc, exp.Filter, exp.Not, exp.Window)):
            return False
        if isinstance(parent, exp.Join) and child.arg_key == "on":
            return _column_to_column(node)
        child, parent = parent, parent.parent
    return not (isinstance(parent, exp.Select) and child.arg_key == "expressions")


def _column_to_column(node: exp.Expression) -> bool:
    """`a.x = b.y`: a join key; a constant in an ON clause is no seek."""
    left, right = node.args.get("this"), node.args.get("expression")
    return isinstance(node, exp.EQ) and all(s is not None and s.find(exp.Column) is not None for s in (left, right))


def _infix(pattern: exp.Expression | None) -> bool:
    """'%x%', or '%' || :q || '%': the pattern starts with a wildcard."""
    while isinstance(pattern, exp.DPipe):
        pattern = pattern.this
    return isinstance(pattern, exp.Literal) and pattern.is_string and pattern.this[:1] in ("%", "_")


def analyse(sql: str, design: m.Design, *, sargable_only: bool = False) -> QueryAccess:
    """Per-table demands of a query that parses (raise ParseError otherwise).

    `sargable_only`: predicates no index scan can use (see `sargable`) give no keys, and an
    ILIKE gives no B-tree prefix key (the offline first cut, which no planner checks)."""
    query = parsed(sql)
    tree = query.tree
    aliases, _ = _tables(query)
    accesses = {t: TableAccess(t) for t in dict.fromkeys(aliases.values()) if design.table(t)}

    def owner(node: exp.Expression) -> TableAccess | None:
        """The one table all columns of `node` belong to (None: several, none, or unknown)."""
        columns = [node] if isinstance(node, exp.Column) else list(node.find_all(exp.Column))
        if not columns or any(isinstance(c.this, exp.Star) for c in columns):
            return None
        if node.find(exp.Placeholder, exp.Parameter, exp.Select, exp.AggFunc) is not None:
            return None  # an aggregate (HAVING sum(x) > ...) is computed after any index scan
        found = {_resolve(c, aliases, design) for c in columns}
        if len(found) != 1:
            return None
        return accesses.get(found.pop())

    def constant(node: exp.Expression | None) -> bool:
        """A value known before the query runs: literal, parameter, or an expression of those."""
        return node is not None and node.find(exp.Column) is None and node.find(exp.Select) is None

    def literal_only(node: exp.Expression | None) -> bool:
        return node is not None and constant(node) and node.find(exp.Placeholder, exp.Parameter) is None

    def implied(node: exp.Expression) -> bool:
        """Every row the query returns satisfies `node` (it is not one branch of an OR, or every
        branch of the OR repeats it), so it can be a partial index's WHERE."""
        parent = node.parent
        while parent is not None and not isinstance(parent, (exp.Select, exp.Subquery)):
            if isinstance(parent, exp.Or) and not _in_every_branch(node, parent):
                return False
            parent = parent.parent
        return True

    statement = {exp.Select: "select", exp.Insert: "insert", exp.Update: "update", exp.Delete: "delete"}
    kind_name = next((v for k, v in statement.items() if isinstance(tree, k)), "other")
    if isinstance(tree, exp.Union):
        kind_name = "select"
    result = QueryAccess(kind="write" if kind_name in ("insert", "update", "delete") else "read",
                         statement=kind_name, tables=accesses)

    for node in query.all(exp.EQ, exp.NEQ, exp.In, *_RANGE, exp.Between, exp.Like, exp.ILike, exp.Is):
        if isinstance(node.parent, (exp.Update, exp.OnConflict)):
            continue  # SET a = 1 is an assignment, not a predicate
        if sargable_only and not sargable(node):
            continue
        left, right = node.this, node.args.get("expression")
        if isinstance(node, exp.EQ) and isinstance(right, exp.Any):  # x = ANY(:ids)
            if (use := owner(left)) is not None and constant(right):
                use.add(use.equality, key_of(left))
            continue
        if isinstance(node, (exp.EQ, *_RANGE)) and left is not None and right is not None:
            lo, ro = owner(left), owner(right)
            if lo is not None and ro is not None:
                if lo is not ro and isinstance(node, exp.EQ):  # a join key on each side
                    lo.add(lo.join, key_of(left))
                    ro.add(ro.join, key_of(right))
                continue
            if lo is None and ro is not None and constant(left):
                node, left, right = _flipped(node), right, left
        use = owner(left) if left is not None else None
        if use is None:
            continue
        key = key_of(left)
        if isinstance(node, exp.Is):
            is_not = bool(node.args.get("negate")) or isinstance(node.parent, exp.Not)
            use.add(use.null, (key, is_not))
            if not is_not and isinstance(left, exp.Column) and implied(node):
                use.add(use.constants, f"{key} IS NULL")
            continue
        if isinstance(node, exp.In):
            values = node.expressions
            if values and all(constant(v) for v in values):
                use.add(use.equality, key)
                if all(literal_only(v) for v in values) and isinstance(left, exp.Column) and implied(node):
                    use.add(use.constants, _unqualified(node))
            continue
        if isinstance(node, exp.Between):
            if constant(node.args.get("low")) and constant(node.args.get("high")):
                use.add(use.range, key)
            continue
        if not constant(right):
            continue
        if isinstance(node, exp.EQ):
            use.add(use.equality, key)
            if literal_only(right) and isinstance(left, exp.Column) and implied(node):
                use.add(use.constants, _unqualified(node))
        elif isinstance(node, exp.NEQ):
            continue  # `<>` selects most rows: no B-tree seek
        elif isinstance(node, (exp.Like, exp.ILike)):
            text = right.this if isinstance(right, exp.Literal) and right.is_string else None
            if _infix(right):
                use.add(use.trigram, (key, True))
            elif sargable_only and isinstance(node, exp.ILike):
                use.add(use.trigram, (key, False))  # case-insensitive: no B-tree prefix scan
            elif text is None or (text and text[0] not in "%_"):
                use.add(use.prefix, key)  # a parameter is taken as a prefix pattern ('abc%')
        else:
            use.add(use.range, key)

    for node_type, kind in _GIN_OPERATORS.items():
        for node in query.all(node_type):
            if sargable_only and not sargable(node):
                continue
            for side, other in ((node.this, node.args.get("expression")), (node.args.get("expression"), node.this)):
                if side is not None and (use := owner(side)) is not None and constant(other):
                    use.add(use.gin, (key_of(side), kind))
                    break
    for node in query.all(exp.MatchAgainst):  # tsv @@ to_tsquery(...)
        if sargable_only and not sargable(node):
            continue
        for target in node.expressions:
            if (use := owner(target)) is not None and constant(node.this):
                use.add(use.gin, (key_of(target), "fulltext"))

    select = tree if isinstance(tree, exp.Select) else None
    if select is not None:
        for item in select.args.get("group").expressions if select.args.get("group") else ():
            if (use := owner(item)) is not None:
                use.add(use.group, key_of(item))
        order = select.args.get("order")
        for item in order.expressions if order is not None else ():
            target = item.this if isinstance(item, exp.Ordered) else item
            if (use := owner(target)) is not None:
                use.sort.append((key_of(target), bool(item.args.get("desc"))))
        limit = select.args.get("limit")
        value = limit.args.get("expression") if limit is not None else None
        if isinstance(value, exp.Literal) and not value.is_string:
            result.limit = int(value.this)
        elif value is not None:
            result.limit = 10  # a parameter: the binder of validation.patterns uses 10
    for column in query.all(exp.Column):  # projected: every column the query reads
        if isinstance(column.this, exp.Star):
            table = aliases.get(column.table)
            if table in accesses:
                accesses[table].star = True
            continue
        if (use := owner(column)) is not None:
            use.add(use.projected, column.name)
    for star in query.all(exp.Star):
        if isinstance(star.parent, exp.Select) and star.parent is tree:
            for use in accesses.values():
                use.star = True

    if result.kind == "write":
        target = tree.this
        if isinstance(target, exp.Schema):
            target = target.this
        if isinstance(target, exp.Table) and design.table(target.name):
            result.target = target.name
        if isinstance(tree, exp.Update):
            result.set_columns = [e.this.name for e in tree.expressions if isinstance(e, exp.EQ)
                                  and isinstance(e.this, exp.Column)]
    for use in accesses.values():
        use.range = [k for k in use.range if k not in use.equality]
        use.prefix = [k for k in use.prefix if k not in use.equality]
    return result


def _in_every_branch(node: exp.Expression, either: exp.Or) -> bool:
    """`node` is a conjunct of every branch of `either`: PostgreSQL moves such a common
    conjunct out of the OR before planning (prepqual.c), so it filters every row (TPC-H Q19
    repeats l_shipinstruct = 'DELIVER IN PERSON' in its three branches)."""
    text = node.sql(dialect="postgres")
    return all(text in {c.sql(dialect="postgres") for c in _split(branch, exp.And)} for branch in _split(either, exp.Or))


def _split(node: exp.Expression, kind: type[exp.Expression]) -> list[exp.Expression]:
    """The operands of a chain of `kind` (AND or OR), parentheses removed."""
    node = node.unnest()
    if isinstance(node, kind):
        return _split(node.this, kind) + _split(node.expression, kind)
    return [node]


def _flipped(node: exp.Expression) -> exp.Expression:
    """`:p < x` read as `x > :p` (only the node type matters to the caller)."""
    swap = {exp.GT: exp.LT, exp.LT: exp.GT, exp.GTE: exp.LTE, exp.LTE: exp.GTE}
    return swap.get(type(node), type(node))(this=node.args.get("expression"), expression=node.this)


def _unqualified(node: exp.Expression) -> str:
    """SQL of a predicate with table qualifiers removed, as an index WHERE clause needs."""
    plain = node.copy()
    for column in plain.find_all(exp.Column):
        column.set("table", None)
    return plain.sql(dialect="postgres")
