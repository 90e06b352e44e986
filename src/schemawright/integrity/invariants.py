"""Business rules compiled to the strongest mechanism PostgreSQL offers (design step 8).

| rule kind     | enforcement                                                                    |
|---------------|--------------------------------------------------------------------------------|
| at_most_one   | partial unique index (NULLS NOT DISTINCT where NULL groups must collide)       |
| exactly_one   | that index, plus a deferred group check (a group with rows has one match)      |
| no_overlap    | EXCLUDE USING gist over a range built from the two period columns             |
| aggregate     | deferred constraint trigger, once per changed group (see below)                |
| immutable     | BEFORE UPDATE/DELETE trigger (and BEFORE TRUNCATE when append-only)            |
| transitions   | BEFORE INSERT/UPDATE OF trigger with the allowed (from, to) pairs              |
| conditional   | CHECK (NOT (when) OR (then))                                                    |
| parent_check  | BEFORE INSERT/UPDATE trigger that locks the parent row FOR SHARE               |
| matches       | composite foreign key to a composite unique key                                 |

Group checks at commit: PostgreSQL's constraint triggers are row-level and cannot see
transition tables, so a statement-level trigger (which can) queues each changed group once
in `rule_checks_pending`, with one marker row per transaction and rule; a deferred
constraint trigger fires on that marker alone and checks all the transaction's queued groups
in one statement when it commits, then removes them.  The queue's primary key also
serialises two transactions changing the same group: the second waits for the first to
commit and then checks the group with the first one's rows in view.  One trigger call per
transaction instead of one per group keeps a bulk insert's checks to a few percent of its
time (benchmarks/rule_overhead.py).

Every trigger raises SQLSTATE 23514 (check_violation) with the rule's name as the
constraint name, like a CHECK constraint, so an application maps errors by constraint name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

from schemawright import model as m
from schemawright.naming import Namer, constraint, fit
from schemawright.sql.postgresql import PostgresGenerator
from schemawright.sql.quoting import quote_ident as q
from schemawright.sql.quoting import quote_literal
from schemawright.sql.types import parse as parse_type

PENDING = "rule_checks_pending"
_SQL = PostgresGenerator()  # the queue's index, a kept object like the queue
RANGE_TYPES = {"timestamptz": "tstzrange", "timestamp with time zone": "tstzrange", "timestamp": "tsrange",
               "timestamp without time zone": "tsrange", "date": "daterange", "integer": "int4range",
               "int": "int4range", "smallint": "int4range", "bigint": "int8range", "numeric": "numrange"}
_INSERT, _DELETE, _TRUNCATE = (m.TriggerEvent(kind=k) for k in ("insert", "delete", "truncate"))


def table_of(design: m.Design, name: str) -> m.Table | None:
    """The table a rule names: an entity's, a many-to-many relationship's junction, or a table."""
    return design.table_for_entity(name) or next((t for t in design.tables if t.entity == name), None) \
        or design.table(name)


def range_type(sql_type: str) -> str | None:
    base = parse_type(sql_type).base if sql_type else ""
    return RANGE_TYPES.get(base)


def enforce_rules(design: m.Design) -> m.Design:
    state = _State(design)
    for rule in design.rules:
        table = table_of(design, rule.entity)
        compile_rule = _COMPILERS.get(rule.kind)
        if table is None or compile_rule is None:
            continue
        enforced = compile_rule(state, rule, state.tables[table.name])
        state.rules[rule.name] = rule.model_copy(update={"enforced_by": tuple(enforced)})
    return state.design()


@dataclass
class _State:
    base: m.Design
    tables: dict[str, m.Table] = field(init=False)
    rules: dict[str, m.Rule] = field(init=False)
    functions: list[m.Function] = field(default_factory=list)
    triggers: list[m.Trigger] = field(default_factory=list)
    indexes: list[m.Index] = field(default_factory=list)
    extensions: list[str] = field(default_factory=list)
    objects: list[m.SchemaObject] = field(default_factory=list)
    decisions: list[m.Decision] = field(default_factory=list)
    queue: bool = False

    def __post_init__(self) -> None:
        self.tables = {t.name: t for t in self.base.tables}
        self.rules = {r.name: r for r in self.base.rules}
        self.namer = Namer(self.base.naming.tables, self.base.naming.case)

    def update(self, table: m.Table, **changes: object) -> m.Table:
        self.tables[table.name] = table = self.tables[table.name].model_copy(update=changes)
        return table

    def function(self, name: str, body: str, declare: str = "") -> str:
        name = fit(name)
        text = (f"DECLARE\n{declare}" if declare else "") + body
        self.functions.append(m.Function(name=name, body=text))
        return name

    def trigger(self, name: str, table: str, function: str, reason: str, **options: object) -> str:
        name = fit(name)
        self.triggers.append(m.Trigger(name=name, table=table, function=function, reason=reason, **options))
        return name

    def decide(self, rule: m.Rule, choice: str, reason: str) -> None:
        self.decisions.append(m.Decision(step="integrity", subject=f"rule {rule.name}", choice=choice, reason=reason))

    def design(self) -> m.Design:
        extensions = tuple(sorted(set(self.base.extensions) | set(self.extensions)))  # sorted, as physical keeps them
        objects = self.base.objects
        if self.queue:
            objects += (m.SchemaObject(kind="table", name=PENDING, sql=_PENDING_TABLE),
                        m.SchemaObject(kind="index", name=_PENDING_INDEX.name, table=PENDING,
                                       sql=_SQL.create_index_sql(_PENDING_INDEX).removesuffix(";")))
        return self.base.model_copy(update={
            "tables": tuple(self.tables.values()), "rules": tuple(self.rules.values()),
            "functions": self.base.functions + tuple(self.functions),
            "triggers": self.base.triggers + tuple(self.triggers),
            "indexes": self.base.indexes + tuple(self.indexes), "extensions": extensions, "objects": objects,
            "decisions": self.base.decisions + tuple(self.decisions)})


# The queue of groups to check at commit.  UNLOGGED: it is empty whenever no transaction is
# open, so a crash loses nothing, and it writes no WAL.  `xact` and its index let the check
# find its own transaction's rows without walking the dead ones other transactions left.
_PENDING_TABLE = (f"CREATE UNLOGGED TABLE {PENDING} (\n    rule text NOT NULL,\n    key text NOT NULL,\n"
                  f"    xact xid8 NOT NULL DEFAULT pg_current_xact_id(),\n    keys text[],\n"
                  f"    PRIMARY KEY (rule, key)\n)")
_PENDING_INDEX = m.Index(name=f"ix_{PENDING}_xact", table=PENDING,
                         columns=(m.IndexColumn(expression="xact"), m.IndexColumn(expression="rule")))


# A group's key is '.' and its value as text (an array's text for several columns): a text
# key compares faster than a text[] (bulk inserts queue one per group).  The row a statement
# adds beside its groups, once per transaction and rule, has '@' and the transaction's id as
# its key, which no group has; the deferred trigger fires on it alone, to check all the
# groups.  The id keeps transactions apart: one key per rule (it was '') made every writer of
# the table wait for the one before it to commit, whatever groups the two changed.
_MARK = "'@' || pg_current_xact_id()::text"
_IS_MARK = "NEW.key LIKE '@%'"
BATCH_FROM = 8  # groups new in the transaction that one statement puts in a batch row rather than a row each


def _queued_key(columns: tuple[str, ...]) -> str:
    """A queued group's key: '.' then the value as text, or an array's text for several columns."""
    if len(columns) == 1:
        return f"'.' || {q(columns[0])}::text"
    return "'.' || ARRAY[" + ", ".join(f"{q(c)}::text" for c in columns) + "]::text"


def row_columns(expression: str, table: m.Table) -> tuple[str, ...]:
    """The columns of `table` an expression reads without a qualifier (`parent.x` is not one)."""
    try:
        tree = sqlglot.parse_one(expression, read="postgres")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return tuple(c.name for c in table.columns)  # unreadable here: any change may matter
    names = [c.name if c.this.quoted else c.name.lower() for c in tree.find_all(exp.Column) if not c.table]
    return tuple(n for n in dict.fromkeys(names) if table.column(n))


def message(rule: m.Rule, default: str) -> str:
    return rule.message or rule.description or default


def _raise(rule: m.Rule, table: str, text: str, detail: str | None = None) -> str:
    """RAISE with the rule's name as the constraint name; `detail` is an SQL expression."""
    parts = [f"ERRCODE = 'check_violation'", f"CONSTRAINT = {quote_literal(rule.name)}",
             f"TABLE = {quote_literal(table)}", f"MESSAGE = {quote_literal(f'rule {rule.name}: {text}')}"]
    if detail:
        parts.append(f"DETAIL = {detail}")
    return "RAISE EXCEPTION USING " + ", ".join(parts) + ";"


def _row(prefix: str, columns: tuple[str, ...]) -> str:
    items = [f"{prefix}{q(c)}" for c in columns]
    return items[0] if len(items) == 1 else f"({', '.join(items)})"


def _key_text(prefix: str, columns: tuple[str, ...]) -> str:
    return " || ', ' || ".join(f"{quote_literal(c + ' = ')} || coalesce({prefix}{q(c)}::text, 'NULL')"
                               for c in columns)


# ---------------------------------------------------------------- one compiler per kind


def _one_per(state: _State, rule: m.Rule, table: m.Table) -> list[str]:
    name = fit(rule.constraint or f"uq_{table.name}_{state.namer.ident(rule.name)}")
    state.indexes.append(m.Index(
        name=name, table=table.name, columns=tuple(m.IndexColumn(expression=c) for c in rule.columns), unique=True,
        where=rule.condition, nulls_distinct=rule.nulls_distinct,
        reason=f"rule {rule.name}: at most one row per {', '.join(rule.columns)} where {rule.condition}"))
    state.decide(rule, f"partial unique index {name}", "a unique index over only the rows the rule counts is "
                 "enforced by the server for every writer at once, concurrent ones included, and costs one index "
                 "entry per such row" + ("; NULLS NOT DISTINCT so rows without a group collide too"
                                         if not rule.nulls_distinct else ""))
    enforced = [name]
    if rule.kind == "exactly_one":
        check = f"count(*) = 0 OR count(*) FILTER (WHERE {rule.condition}) = 1"
        enforced += _group_check(state, rule, table, check, watch_parent=False)
    return enforced


def _no_overlap(state: _State, rule: m.Rule, table: m.Table) -> list[str]:
    start, end = (table.column(c) for c in rule.period)
    assert start is not None and end is not None
    ranged = range_type(start.sql_type) or "tstzrange"
    parts = [f"{q(c)} WITH =" for c in rule.columns] + [f"{ranged}({q(start.name)}, {q(end.name)}, '[)') WITH &&"]
    definition = f"USING gist ({', '.join(parts)})" + (f" WHERE ({rule.condition})" if rule.condition else "")
    name = fit(rule.constraint or f"ex_{table.name}_{state.namer.ident(rule.name)}")
    state.update(table, exclusions=table.exclusions + (m.Exclusion(name=name, definition=definition),))
    if rule.columns:
        state.extensions.append("btree_gist")
    state.decide(rule, f"exclusion constraint {name}: EXCLUDE {definition}",
                 "an exclusion constraint is checked by the server against every committed and in-flight row, so "
                 "two sessions booking the same period cannot both succeed; a trigger could not see the other "
                 "session's row" + (". btree_gist lets the GiST index compare the group columns with ="
                                    if rule.columns else ""))
    return [name]


def _aggregate(state: _State, rule: m.Rule, table: m.Table) -> list[str]:
    return _group_check(state, rule, table, rule.expression or "true", watch_parent=True)


def _group_check(state: _State, rule: m.Rule, table: m.Table, check: str, watch_parent: bool) -> list[str]:
    """Queue each changed group once per statement; check all the transaction's groups at commit."""
    state.queue = True
    per = rule.columns
    fk = next((f for f in table.foreign_keys if f.columns == per), None)
    parent = state.tables.get(fk.ref_table) if fk else None
    ident = state.namer.ident(rule.name)
    lit = quote_literal(rule.name)
    reads_parent = _reads_parent(check)

    def enqueue(source: str, columns: tuple[str, ...], indent: str = "        ", skip_new: bool = False) -> str:
        # DISTINCT over the columns before the key is built: hashing bigints, not text.
        array = _queued_key(columns)
        present = " AND ".join(f"{q(c)} IS NOT NULL" for c in columns)
        changed = f"SELECT DISTINCT {', '.join(q(c) for c in columns)} FROM {source} WHERE {present}"
        if not (skip_new and parent is not None and fk is not None):
            return (f"{indent}INSERT INTO {PENDING} (rule, key)\n"
                    f"{indent}    SELECT {lit}, {array} FROM ({changed}) AS changed\n"
                    f"{indent}    UNION ALL SELECT {lit}, {_MARK}\n{indent}    ON CONFLICT DO NOTHING;\n")
        # A group whose parent this transaction inserted cannot be written by another transaction
        # (its key cannot see that parent): such groups go in one batch row per statement, and
        # only the others get a row each, whose key makes a second writer wait.  A bulk insert of
        # new entries and their lines thus writes one row, not one per entry.  Only the first
        # query reads the transition table (planned on every call); the others keep their plans,
        # and a statement that changed a few groups skips the parent lookups.
        def decoded(i: int) -> str:
            return "substr(sw_one, 2)" if len(per) == 1 else f"(substr(sw_one, 2)::text[])[{i + 1}]"

        same = " AND ".join(f"p.{q(r)} = ({decoded(i)})::{table.column(c).sql_type}"  # type: ignore[union-attr]
                            for i, (c, r) in enumerate(zip(per, fk.ref_columns)))
        return (f"{indent}SELECT array_agg({array}) INTO sw_known FROM ({changed}) AS changed;\n"
                f"{indent}IF cardinality(sw_known) > {BATCH_FROM} THEN  -- a batch pays from a few groups on\n"
                f"{indent}    SELECT array_agg(sw_one) FILTER (WHERE NOT fresh), array_agg(sw_one) FILTER (WHERE fresh)\n"
                f"{indent}        INTO sw_known, sw_fresh\n"
                f"{indent}        FROM (SELECT sw_one, EXISTS (SELECT FROM {q(parent.name)} AS p WHERE {same} "
                f"AND p.xmin = pg_current_xact_id()::xid) AS fresh\n"
                f"{indent}              FROM unnest(sw_known) AS sw_one) AS sw_groups;\n"
                f"{indent}    IF sw_fresh IS NOT NULL THEN\n"
                f"{indent}        INSERT INTO {PENDING} (rule, key, keys) VALUES ({lit}, "
                f"'#' || gen_random_uuid()::text, sw_fresh);\n{indent}    END IF;\n{indent}END IF;\n"
                f"{indent}INSERT INTO {PENDING} (rule, key)\n"
                f"{indent}    SELECT {lit}, sw_one FROM unnest(sw_known) AS sw_one UNION ALL SELECT {lit}, {_MARK}\n"
                f"{indent}    ON CONFLICT DO NOTHING;\n")

    queue_body = ("BEGIN\n    IF TG_OP IN ('INSERT', 'UPDATE') THEN\n" + enqueue("sw_new", per, skip_new=True)
                  + "    END IF;\n    IF TG_OP IN ('UPDATE', 'DELETE') THEN\n" + enqueue("sw_old", per, skip_new=True)
                  + "    END IF;\n"
                  "    RETURN NULL;\nEND;")
    fresh_groups = parent is not None and fk is not None
    queue = state.function(f"queue_{table.name}_{ident}", queue_body,
                           "    sw_known text[];\n    sw_fresh text[];\n" if fresh_groups else "")
    names = []
    why = f"queues the {', '.join(per)} groups a statement changed, for rule {rule.name}"
    for event, old, new in (("insert", None, "sw_new"), ("update", "sw_old", "sw_new"), ("delete", "sw_old", None)):
        names.append(state.trigger(f"trg_{table.name}_{ident}_{event}", table.name, queue, why, timing="after",
                                   events=(m.TriggerEvent(kind=event),), level="statement", old_table=old,
                                   new_table=new))
    if parent is not None and fk is not None and watch_parent:
        names += _watch_parent(state, rule, table, parent, fk, check, enqueue("sw_new", fk.ref_columns, "    "),
                               reads_parent)
    def matching(key: str, columns: tuple[str, ...], prefix: str = "") -> str:
        """`column = the queued key's value` for each group column."""
        value = (lambda i: f"substr({key}, 2)") if len(per) == 1 else (lambda i: f"(substr({key}, 2)::text[])[{i + 1}]")
        return " AND ".join(f"{prefix}{q(c)} = ({value(i)})::{table.column(g).sql_type}"  # type: ignore[union-attr]
                            for i, (c, g) in enumerate(zip(columns, per)))

    text = message(rule, f"the rows of each {', '.join(per)} group must satisfy {check}")
    fail = _raise(rule, table.name, text, "'group ' || substr(sw_key, 2)")
    taken = f"DELETE FROM {PENDING} WHERE xact = NEW.xact AND rule = NEW.rule RETURNING key, keys"
    keys = ("SELECT key FROM sw_taken WHERE key LIKE '.%' UNION SELECT unnest(keys) FROM sw_taken "
            "WHERE keys IS NOT NULL")
    queued = f"WITH sw_taken AS ({taken}) {keys}"
    declare = "    sw_key text;\n"
    if parent is not None and fk is not None and _aggregates_parent_alone(check):
        # An aggregate over parent columns alone would belong to the outer query of a join, so
        # each group is read on its own with the parent row in a variable.
        declare += f"    sw_ok boolean;\n    parent {q(parent.name)}%ROWTYPE;\n"
        body = (f"BEGIN\n    FOR sw_key IN {queued} LOOP\n"
                f"        SELECT * INTO parent FROM {q(parent.name)} WHERE {matching('sw_key', fk.ref_columns)};\n"
                "        CONTINUE WHEN NOT FOUND;  -- the group went with its parent\n"
                f"        SELECT ({check}) INTO sw_ok FROM {q(table.name)} WHERE {matching('sw_key', per)};\n"
                f"        IF sw_ok IS FALSE THEN\n            {fail}\n        END IF;\n    END LOOP;\n"
                "    RETURN NULL;\nEND;")
    else:
        # One statement checks every queued group: an index scan of each group's rows, no
        # trigger call or query per group.  The parent is read when the check reads it, by its
        # key, group by group: OFFSET 0 keeps the lookup a subquery, which a join would not be
        # (planned for a guessed number of groups, a join hashed a scan of the whole parent
        # table on each commit: 0.12 ms of a single ticket's check at 600 performances).
        # Otherwise only a failing group is looked up (one whose parent went is no failure).
        check, only = _shared_filter(check)
        joined = (f"\n            CROSS JOIN LATERAL (SELECT * FROM {q(parent.name)} WHERE "
                  f"{matching('sw_queued.key', fk.ref_columns, q(parent.name) + '.')} OFFSET 0) AS parent"
                  if parent and fk and reads_parent else "")
        gone = (f"        CONTINUE WHEN NOT EXISTS (SELECT FROM {q(parent.name)} WHERE "
                f"{matching('sw_key', fk.ref_columns)});  -- the group went with its parent\n"
                if parent and fk and not reads_parent else "")
        # No JIT for this statement: its estimated cost is the groups guessed from the queue's
        # size (dead rows swell it) times a group's rows, and past jit_above_cost each commit
        # compiled it again (ticketing at 0.05 on PostgreSQL 15: 12 ms a ticket, 0.35 ms
        # without).  Set back after, so the transaction's later statements keep their setting.
        declare += "    sw_jit text := current_setting('jit');\n"
        body = (f"BEGIN\n    PERFORM set_config('jit', 'off', true);\n"
                f"    FOR sw_key IN\n        WITH sw_taken AS ({taken}), sw_queued (key) AS ({keys})\n"
                f"        SELECT sw_queued.key FROM sw_queued{joined}\n"
                f"            CROSS JOIN LATERAL (SELECT ({check}) AS ok FROM {q(table.name)} WHERE "
                f"{matching('sw_queued.key', per, q(table.name) + '.')}{only}) AS sw_group\n"
                "        WHERE sw_group.ok IS FALSE\n    LOOP\n"
                f"{gone}        {fail}\n    END LOOP;\n    PERFORM set_config('jit', sw_jit, true);\n"
                "    RETURN NULL;\nEND;")
    check_fn = state.function(f"check_{table.name}_{ident}", body, declare)
    names.append(state.trigger(f"trg_{ident}_at_commit", PENDING, check_fn,
                               f"checks the groups a transaction queued for rule {rule.name} when it commits",
                               timing="after", events=(_INSERT,), deferred=True,
                               condition=f"NEW.rule = {lit} AND {_IS_MARK}"))
    state.decide(rule, f"deferred group check {check_fn} (constraint trigger at commit)",
                 "a condition on a group of rows cannot be a CHECK (which sees one row) and must hold only when the "
                 "transaction ends, since the rows arrive one statement at a time; statement-level triggers with "
                 "transition tables queue each changed group once, and one deferred trigger per transaction checks "
                 "them all in one statement, so a bulk insert checks each group once; the queue's key makes a "
                 "second writer to the same group wait and check with the first one's rows in view"
                 + (f"; {parent.name} rows are checked too ("
                    + ("new and changed ones: the check reads parent.*" if reads_parent else
                       "new ones, when an empty group breaks the rule") + ")"
                    if parent and watch_parent else ""))
    return names


def _watch_parent(state: _State, rule: m.Rule, table: m.Table, parent: m.Table, fk: m.ForeignKey, check: str,
                  enqueue: str, reads_parent: bool) -> list[str]:
    """Triggers on the parent: a new parent is an empty group, which matters when an empty group
    breaks the rule (`count(*) >= 1`; one batch row per statement); a changed one matters when
    the check reads it."""
    ident = state.namer.ident(rule.name)
    lit = quote_literal(rule.name)
    present = " AND ".join(f"{q(c)} IS NOT NULL" for c in fk.ref_columns)
    names = []
    batch = (f"BEGIN\n    INSERT INTO {PENDING} (rule, key, keys)\n"
             f"        SELECT {lit}, '#' || gen_random_uuid()::text, array_agg({_queued_key(fk.ref_columns)}) "
             f"FROM sw_new WHERE {present} HAVING count(*) > 0\n"
             f"        UNION ALL SELECT {lit}, {_MARK}, NULL\n        ON CONFLICT DO NOTHING;\n    RETURN NULL;\nEND;")
    if reads_parent or _may_break_empty(check):
        inserted = state.function(f"batch_{parent.name}_{ident}", batch)
        names.append(state.trigger(f"trg_{parent.name}_{ident}_insert", parent.name, inserted,
                                   f"new {parent.name} rows: an empty group is checked by rule {rule.name} at commit",
                                   timing="after", events=(_INSERT,), level="statement", new_table="sw_new"))
    if reads_parent:
        changed = state.function(f"queue_{parent.name}_{ident}", "BEGIN\n" + enqueue + "    RETURN NULL;\nEND;")
        names.append(state.trigger(f"trg_{parent.name}_{ident}_update", parent.name, changed,
                                   f"a changed {parent.name} row is checked by rule {rule.name} at commit",
                                   timing="after", events=(m.TriggerEvent(kind="update"),), level="statement",
                                   old_table="sw_old", new_table="sw_new"))
    return names


def _may_break_empty(check: str) -> bool:
    """Whether an empty group could break the rule: a count compared, or text we cannot read.
    `sum(x) = 0` over no rows is NULL, which passes like a CHECK."""
    tree = _parse(check)
    return tree is None or any(isinstance(n, exp.Count) for n in tree.find_all(exp.Count)) or "coalesce" in check.lower()


def _columns_of(node: exp.Expression) -> list[exp.Column]:
    return list(node.find_all(exp.Column))


def _parse(expression: str) -> exp.Expression | None:
    try:
        return sqlglot.parse_one(expression, read="postgres")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return None


def _reads_parent(check: str) -> bool:
    tree = _parse(check)
    return tree is None or any(c.table.lower() == "parent" for c in _columns_of(tree))


def _shared_filter(check: str) -> tuple[str, str]:
    """A check whose every aggregate has the same FILTER (`count(*) FILTER (WHERE status <> 'voided')
    <= parent.capacity`), as the same aggregates over the rows the filter keeps, and that filter as
    a condition of the group's scan (`AND (status <> 'voided')`): the same value, empty groups
    included, but the planner may then count the group in a partial index on those rows (an
    index-only scan) instead of reading every row of the group from the heap."""
    try:
        tree = sqlglot.parse_one(check, read="postgres")
    except sqlglot.errors.ParseError:
        return check, ""
    aggregates = list(tree.find_all(exp.AggFunc))
    filters = [a.parent for a in aggregates if isinstance(a.parent, exp.Filter) and a.parent.this is a]
    conditions = {f.expression.this.sql(dialect="postgres") for f in filters}
    if not aggregates or len(filters) != len(aggregates) or len(conditions) != 1:
        return check, ""
    for node in filters:
        node.replace(node.this)
    return tree.sql(dialect="postgres"), f" AND ({conditions.pop()})"


def _aggregates_parent_alone(check: str) -> bool:
    """Whether a call (an aggregate, perhaps) or FILTER reads parent columns and no column of
    the group's rows, like max(parent.posted_on); unreadable text counts as such."""
    tree = _parse(check)
    if tree is None:
        return True
    for node in tree.find_all(exp.Func, exp.Filter):
        columns = _columns_of(node)
        if columns and all(c.table.lower() == "parent" for c in columns):
            return True
    return False


def _immutable(state: _State, rule: m.Rule, table: m.Table) -> list[str]:
    ident = state.namer.ident(rule.name)
    if rule.condition is None:
        text = message(rule, f"{table.name} is append-only: rows are never updated or deleted")
        body = "BEGIN\n    " + _raise(rule, table.name, text, f"'refused: ' || TG_OP") + "\nEND;"
        declare = ""
    else:
        text = message(rule, f"a {table.name} row where {rule.condition} never changes")
        body = (f"BEGIN\n    SELECT ({rule.condition}) INTO sw_ok FROM (SELECT OLD.*) AS stored;\n"
                "    IF sw_ok THEN\n        " + _raise(rule, table.name, text, "'refused: ' || TG_OP") +
                "\n    END IF;\n    RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;\nEND;")
        declare = "    sw_ok boolean;\n"
    function = state.function(f"refuse_change_{table.name}_{ident}", body, declare)
    names = [state.trigger(f"trg_{table.name}_{ident}", table.name, function,
                           f"rule {rule.name}: refuses UPDATE and DELETE" + (f" of rows where {rule.condition}"
                                                                            if rule.condition else ""),
                           timing="before", events=(m.TriggerEvent(kind="update"), _DELETE))]
    if rule.condition is None:
        names.append(state.trigger(f"trg_{table.name}_{ident}_truncate", table.name, function,
                                   f"rule {rule.name}: refuses TRUNCATE", timing="before", events=(_TRUNCATE,),
                                   level="statement"))
    state.decide(rule, f"trigger {names[0]} refuses " + ("UPDATE, DELETE and TRUNCATE" if rule.condition is None
                                                          else f"UPDATE and DELETE of rows where {rule.condition}"),
                 "no constraint can refuse a change, only a trigger can; it runs before the change for every "
                 "writer, the table owner included (grants alone would let the owner through)")
    return names


def _transitions(state: _State, rule: m.Rule, table: m.Table) -> list[str]:
    column = rule.columns[0]
    ident = state.namer.ident(rule.name)
    pairs = ", ".join(quote_literal(f"{a} -> {b}") for a, b in rule.transitions)
    col = q(column)
    text = message(rule, f"{column} may change only along the allowed transitions")
    body = "BEGIN\n"
    if rule.initial:
        starts = ", ".join(quote_literal(s) for s in rule.initial)
        start_text = message(rule, f"a new row starts with {column} in ({', '.join(rule.initial)})")
        body += (f"    IF TG_OP = 'INSERT' THEN\n        IF NOT coalesce(NEW.{col}::text = ANY (ARRAY[{starts}]), false)"
                 " THEN\n            " + _raise(rule, table.name, start_text,
                                                 f"'initial {column}: ' || coalesce(NEW.{col}::text, 'NULL')")
                 + "\n        END IF;\n        RETURN NEW;\n    END IF;\n")
    body += (f"    IF NEW.{col} IS DISTINCT FROM OLD.{col} AND NOT coalesce(OLD.{col}::text || ' -> ' || "
             f"NEW.{col}::text = ANY (ARRAY[{pairs}]), false) THEN\n        "
             + _raise(rule, table.name, text, f"coalesce(OLD.{col}::text, 'NULL') || ' -> ' || "
                                              f"coalesce(NEW.{col}::text, 'NULL') || ' is not allowed'")
             + "\n    END IF;\n    RETURN NEW;\nEND;")
    function = state.function(f"check_{table.name}_{ident}", body)
    events = ((_INSERT,) if rule.initial else ()) + (m.TriggerEvent(kind="update", columns=(column,)),)
    name = state.trigger(f"trg_{table.name}_{ident}", table.name, function,
                         f"rule {rule.name}: only the allowed changes of {column}", timing="before", events=events)
    state.decide(rule, f"trigger {name} with the {len(rule.transitions)} allowed transitions of {column}",
                 "a CHECK sees only the new row, not the state it came from; a BEFORE UPDATE OF trigger sees both "
                 "and fires only when the column is written")
    return [name]


def _conditional(state: _State, rule: m.Rule, table: m.Table) -> list[str]:
    name = fit(rule.constraint or constraint("ck", table.name, state.namer.ident(rule.name)))
    expression = f"NOT ({rule.condition}) OR ({rule.expression})"
    state.update(table, checks=table.checks + (m.Check(name=name, expression=expression,
                                                       reason=rule.description or f"business rule {rule.name}"),))
    state.decide(rule, f"CHECK {name}: when {rule.condition}, then {rule.expression}",
                 "a condition on one row is a CHECK constraint: the cheapest enforcement, and the planner can "
                 "trust it")
    return [name]


def _parent_check(state: _State, rule: m.Rule, table: m.Table) -> list[str]:
    fk = next((f for f in table.foreign_keys if f.columns == rule.columns), None)
    assert fk is not None
    parent = state.tables[fk.ref_table]
    ident = state.namer.ident(rule.name)
    match = " AND ".join(f"{q(r)} = NEW.{q(c)}" for c, r in zip(fk.columns, fk.ref_columns))
    text = message(rule, f"the row and its {parent.name} row must satisfy {rule.expression}")
    body = (f"BEGIN\n    IF {' OR '.join(f'NEW.{q(c)} IS NULL' for c in fk.columns)} THEN\n        RETURN NEW;\n"
            "    END IF;\n    -- FOR SHARE: the parent cannot change until this transaction ends, so a concurrent\n"
            "    -- change (closing a period) waits, and this check stays true when both commit.\n"
            f"    SELECT * INTO parent FROM {q(parent.name)} WHERE {match} FOR SHARE;\n"
            "    IF NOT FOUND THEN\n        RETURN NEW;  -- the foreign key reports a missing parent\n    END IF;\n"
            f"    SELECT ({rule.expression}) INTO sw_ok FROM (SELECT NEW.*) AS written;\n"
            "    IF sw_ok IS FALSE THEN\n        " + _raise(rule, table.name, text, _key_text("NEW.", fk.columns))
            + "\n    END IF;\n    RETURN NEW;\nEND;")
    function = state.function(f"check_{table.name}_{ident}", body,
                              f"    parent {q(parent.name)}%ROWTYPE;\n    sw_ok boolean;\n")
    written = tuple(dict.fromkeys(fk.columns + row_columns(rule.expression or "", table)))
    name = state.trigger(f"trg_{table.name}_{ident}", table.name, function,
                         f"rule {rule.name}: checks the row against its {parent.name} row when it is inserted or "
                         f"when {', '.join(written)} {'changes' if len(written) == 1 else 'change'}", timing="before",
                         events=(_INSERT, m.TriggerEvent(kind="update", columns=written)))
    state.decide(rule, f"trigger {name} (reads {parent.name} FOR SHARE)",
                 "a CHECK cannot read another table; the trigger locks the parent row so a concurrent change of it "
                 "waits for this transaction, and the rule cannot be broken by two sessions at once")
    return [name]


def _matches(state: _State, rule: m.Rule, table: m.Table) -> list[str]:
    target = table_of(state.base, rule.target or "")
    assert target is not None
    target = state.tables[target.name]
    to = rule.target_columns
    names = []
    if to not in {tuple(k) for k in state.base.unique_keys(target)} | {u.columns for u in target.uniques}:
        unique = m.Unique(name=constraint("uq", target.name, *to), columns=to,
                          reason=f"referenced by the composite foreign key of rule {rule.name}")
        target = state.update(target, uniques=target.uniques + (unique,))
        names.append(unique.name)
    name = fit(rule.constraint or constraint("fk", table.name, state.namer.ident(rule.name)))
    # NO ACTION, checked when the statement ends: a single-column key on the same column that sets
    # it NULL or cascades acts first, and this key then sees the result, not the row in between.
    fk = m.ForeignKey(name=name, columns=rule.columns, ref_table=target.name, ref_columns=to, on_delete="no action",
                      relationship=None)
    table = state.tables[table.name]
    state.update(table, foreign_keys=table.foreign_keys + (fk,))
    names.insert(0, name)
    state.decide(rule, f"composite foreign key {name} ({', '.join(rule.columns)}) -> {target.name} ({', '.join(to)})",
                 "a foreign key is enforced by the server under concurrency without a trigger; its columns must "
                 "match a unique key of the target, so " + (f"unique ({', '.join(to)}) is added to {target.name}"
                                                          if len(names) > 1 else "an existing key serves it"))
    return names


_COMPILERS = {"at_most_one": _one_per, "exactly_one": _one_per, "no_overlap": _no_overlap, "aggregate": _aggregate,
              "immutable": _immutable, "transitions": _transitions, "conditional": _conditional,
              "parent_check": _parent_check, "matches": _matches}
