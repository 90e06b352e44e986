"""Redundancy kept on purpose, and what keeps each copy correct.

- a `depends` rule marked `denormalized:` (X -> Y stays inside one table): a BEFORE trigger
  refuses a row whose Y disagrees with the other rows of the same X, and an AFTER UPDATE
  trigger carries a changed Y to every row of that X, so the copies never disagree;
- a copied column (`Parent.attribute` copied onto the child; add_copied_columns adds the
  column before indexes are chosen, so patterns and indexes use it): a BEFORE trigger fills it from
  the parent on every insert and on every change of the foreign key (a client cannot write a
  wrong value) and refuses a row with no parent as the foreign key would (same SQLSTATE and
  constraint: the copy's NOT NULL would otherwise speak first), an AFTER UPDATE trigger on the
  parent carries changes to the children;
- a materialized view: a unique index on its key (REFRESH ... CONCURRENTLY needs one, and it
  keeps readers unblocked) and a refresh schedule;
- a summary table: created from its query, with a refresh function that recomputes it in one
  transaction, and a schedule.

Every copy is recorded as a decision with its reason and its upkeep, and the dependency it
introduces is recorded as a rule kept on purpose, so the normal-form check reports it as
chosen, not as a defect.
"""

from __future__ import annotations

from typing import Literal

from schemawright import model as m
from schemawright.naming import Namer, constraint, fit
from schemawright.sql.postgresql import PostgresGenerator
from schemawright.sql.quoting import cron_schedule, quote_literal
from schemawright.sql.quoting import quote_ident as q
from schemawright.sql.verify import statement_text


Timing = Literal["before", "after"]
_SQL = PostgresGenerator()  # the kept objects of summary tables and materialized views
_INSERT = m.TriggerEvent(kind="insert")


def _update_of(*columns: str) -> m.TriggerEvent:
    return m.TriggerEvent(kind="update", columns=columns)


def keep_copies(design: m.Design) -> m.Design:
    namer = Namer(design.naming.tables, design.naming.case)
    state = _State(design)
    for rule in design.rules:
        if rule.kind == "depends" and rule.denormalized:
            _kept_dependency(state, rule)
    for item in design.denormalizations:
        if item.kind == "copied_column":
            _copied_column(state, item, namer)
        elif item.kind == "materialized_view":
            _materialized_view(state, item)
        else:
            _summary_table(state, item)
    return state.design()


class _State:
    def __init__(self, design: m.Design):
        self.base = design
        self.tables = {t.name: t for t in design.tables}
        self.functions = list(design.functions)
        self.triggers = list(design.triggers)
        self.indexes = list(design.indexes)
        self.views = list(design.views)
        self.objects = list(design.objects)
        self.rules = list(design.rules)
        self.decisions: list[m.Decision] = []
        self.copies: dict[str, m.Denormalization] = {}  # spec name -> the copy with its upkeep filled in

    def function(self, name: str, body: str) -> str:
        name = fit(name)
        self.functions.append(m.Function(name=name, body=body))
        return name

    def trigger(self, name: str, table: str, function: str, timing: Timing, events: tuple[m.TriggerEvent, ...],
                reason: str) -> None:
        self.triggers.append(m.Trigger(name=fit(name), table=table, function=function, timing=timing, events=events,
                                       reason=reason))

    def lookup_index(self, table: str, columns: tuple[str, ...], reason: str) -> None:
        """An index led by `columns`, unless one exists (a key's index counts): the triggers look
        rows up by them."""
        for index in self.indexes:
            lead = tuple(c.expression for c in index.columns[:len(columns)])
            if index.table == table and set(lead) == set(columns) and not index.where:
                return
        owner = self.tables.get(table)
        keys = ([owner.primary_key.columns] if owner and owner.primary_key else []) + \
            [u.columns for u in (owner.uniques if owner else ())]
        if any(set(key[:len(columns)]) == set(columns) for key in keys):
            return  # a primary key or unique constraint led by them has the index already
        self.indexes.append(m.Index(name=constraint("ix", table, *columns), table=table,
                                    columns=tuple(m.IndexColumn(expression=c) for c in columns), reason=reason))

    def design(self) -> m.Design:
        if not self.decisions:
            return self.base
        order = [t.name for t in self.base.tables]
        return self.base.model_copy(update={
            "tables": tuple(self.tables[n] for n in order), "functions": tuple(self.functions),
            "triggers": tuple(self.triggers), "indexes": tuple(self.indexes), "views": tuple(self.views),
            "objects": tuple(self.objects), "rules": tuple(self.rules),
            "denormalizations": tuple(self.copies.get(d.name, d) for d in self.base.denormalizations),
            "decisions": self.base.decisions + tuple(self.decisions)})


def _row(prefix: str, columns: tuple[str, ...]) -> str:
    items = [f"{prefix}{q(c)}" for c in columns]
    return items[0] if len(items) == 1 else f"({', '.join(items)})"


def _kept_dependency(state: _State, rule: m.Rule) -> None:
    named = state.base.table_for_entity(rule.entity)  # an entity's table or a junction
    table = state.tables.get(named.name) if named else None
    if table is None or table.primary_key is None or not all(table.column(c) for c in (*rule.columns, *rule.dependent)):
        return
    x, y, key = rule.columns, tuple(c for c in rule.dependent if c not in rule.columns), table.primary_key.columns
    if any(set(k) <= set(x) for k in state.base.unique_keys(table)):
        state.decisions.append(m.Decision(step="integrity", subject=f"rule {rule.name}", choice="nothing to keep",
                                          reason=f"{', '.join(x)} is a key of {table.name}: no value is repeated"))
        return
    t = q(table.name)
    said = [text.replace("%", "%%") for text in (table.name, ", ".join(x), ", ".join(y), rule.name)]  # RAISE reads %
    message = quote_literal(f"{said[0]}: {said[1]} = % already has other {said[2]} (rule {said[3]} keeps them equal)")
    check = state.function(f"check_{table.name}_{rule.name}", f"""BEGIN
    -- Inside the propagation below, or with an unknown determinant, there is nothing to check.
    IF pg_trigger_depth() > 1 OR {' OR '.join(f'NEW.{q(c)} IS NULL' for c in x)} THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND {_row('OLD.', x)} IS NOT DISTINCT FROM {_row('NEW.', x)} THEN
        RETURN NEW;  -- a change of the fact itself: the AFTER trigger updates the other rows
    END IF;
    IF EXISTS (SELECT 1 FROM {t} WHERE {_row('', x)} = {_row('NEW.', x)}
               AND {_row('', y)} IS DISTINCT FROM {_row('NEW.', y)}) THEN
        RAISE EXCEPTION {message}, {_row('NEW.', x)} USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;""")
    sync = state.function(f"sync_{table.name}_{rule.name}", f"""BEGIN
    IF pg_trigger_depth() = 1 AND {_row('OLD.', x)} IS NOT DISTINCT FROM {_row('NEW.', x)}
       AND {_row('OLD.', y)} IS DISTINCT FROM {_row('NEW.', y)} THEN
        UPDATE {t} SET {', '.join(f'{q(c)} = NEW.{q(c)}' for c in y)}
        WHERE {_row('', x)} = {_row('NEW.', x)} AND {_row('', key)} <> {_row('NEW.', key)};
    END IF;
    RETURN NULL;
END;""")
    why = f"rule {rule.name} keeps ({', '.join(x)}) -> ({', '.join(y)}) inside {table.name} on purpose"
    state.trigger(f"trg_{table.name}_{rule.name}_check", table.name, check, "before", (_INSERT, _update_of()),
                  f"refuses rows that contradict {why}")
    state.trigger(f"trg_{table.name}_{rule.name}_sync", table.name, sync, "after", (_update_of(*y),),
                  f"carries a changed value to every copy: {why}")
    state.lookup_index(table.name, x, f"the triggers of rule {rule.name} look rows up by {', '.join(x)}")
    state.decisions.append(m.Decision(
        step="integrity", subject=f"rule {rule.name}", choice=f"denormalised on purpose; kept correct by triggers "
                                                              f"{check} and {sync}",
        reason=f"{rule.denormalized} A BEFORE trigger refuses a row whose {', '.join(y)} disagrees with the other "
               f"rows of the same {', '.join(x)}; an AFTER UPDATE trigger carries a change to all of them."))


def add_copied_columns(design: m.Design) -> m.Design:
    """The column of every copied_column, added before indexes are chosen, so access patterns,
    declared indexes and rules use it like any other column; keep_copies adds its upkeep."""
    namer = Namer(design.naming.tables, design.naming.case)
    tables = {t.name: t for t in design.tables}
    added = False
    for item in design.denormalizations:
        link = _copy_link(tables, item, namer) if item.kind == "copied_column" else None
        if link is None:
            continue
        child, parent, source, fk = link
        name = namer.column(item.name)
        if child.column(name) is not None:
            continue  # the spec checks report the clash with an attribute
        optional = any(child.column(c).nullable for c in fk.columns)
        copy = source.model_copy(update={
            "name": name, "nullable": optional or source.nullable, "default": None, "identity": False,
            "generated": None, "source": None,
            "description": f"Copy of {parent.name}.{source.name} (denormalised: {item.reason}); "
                           "maintained by triggers, do not write it."})
        tables[child.name] = child.model_copy(update={"columns": child.columns + (copy,)})
        added = True
    if not added:
        return design
    return design.model_copy(update={"tables": tuple(tables[t.name] for t in design.tables)})


def _copy_link(tables: dict[str, m.Table], item: m.Denormalization,
               namer: Namer) -> tuple[m.Table, m.Table, m.Column, m.ForeignKey] | None:
    """(child, parent, the parent's copied column, the child's foreign key to the parent)."""
    parent_entity, attribute = (item.source or ".").split(".", 1)
    child = next((t for t in tables.values() if t.entity == item.entity and t.kind == "entity"), None)
    parent = next((t for t in tables.values() if t.entity == parent_entity and t.kind == "entity"), None)
    if child is None or parent is None:
        return None
    source = parent.column(namer.column(attribute)) or next(
        (c for c in parent.columns if c.source == f"{parent_entity}.{attribute}"), None)
    fk = next((f for f in child.foreign_keys if f.ref_table == parent.name), None)
    return None if source is None or fk is None else (child, parent, source, fk)


def _copied_column(state: _State, item: m.Denormalization, namer: Namer) -> None:
    link = _copy_link(state.tables, item, namer)
    name = namer.column(item.name)
    if link is None or link[0].column(name) is None:  # added by add_copied_columns
        return
    child, parent, source, fk = link
    said = [text.replace("%", "%%") for text in (child.name, ", ".join(fk.columns), parent.name, fk.name)]
    orphan = quote_literal(f"{said[0]}: {said[1]} = % is not a row of {said[2]} (foreign key {said[3]})")
    fill = state.function(f"fill_{child.name}_{name}", f"""BEGIN
    SELECT p.{q(source.name)} INTO NEW.{q(name)} FROM {q(parent.name)} AS p
    WHERE {_row('p.', fk.ref_columns)} = {_row('NEW.', fk.columns)};
    IF NOT FOUND AND {' AND '.join(f'NEW.{q(c)} IS NOT NULL' for c in fk.columns)} THEN
        -- The foreign key refuses this row, but only after the copy's NOT NULL would: say so first.
        RAISE EXCEPTION {orphan}, {_row('NEW.', fk.columns)}
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = {quote_literal(fk.name)};
    END IF;
    RETURN NEW;
END;""")
    push = state.function(f"push_{parent.name}_{source.name}_to_{child.name}", f"""BEGIN
    IF NEW.{q(source.name)} IS DISTINCT FROM OLD.{q(source.name)} THEN
        UPDATE {q(child.name)} SET {q(name)} = NEW.{q(source.name)}
        WHERE {_row('', fk.columns)} = {_row('NEW.', fk.ref_columns)};
    END IF;
    RETURN NULL;
END;""")
    state.trigger(f"trg_{child.name}_{name}_fill", child.name, fill, "before", (_INSERT, _update_of(*fk.columns, name)),
                  f"fills the copy {name} from {parent.name}.{source.name}")
    state.trigger(f"trg_{parent.name}_{source.name}_push", parent.name, push, "after", (_update_of(source.name),),
                  f"carries a change of {source.name} to {child.name}.{name}")
    state.lookup_index(child.name, fk.columns, f"the trigger {push} finds the copies by {', '.join(fk.columns)}")
    state.rules.append(m.Rule(name=f"{item.name}_copy", entity=item.entity or "", kind="depends", columns=fk.columns,
                              dependent=(name,), denormalized=item.reason,
                              description=f"{name} is a copy of {parent.name}.{source.name}"))
    upkeep = (f"trigger {fill} fills it on insert and when {', '.join(fk.columns)} changes; trigger {push} "
              f"carries changes of {parent.name}.{source.name}")
    state.copies[item.name] = item.model_copy(update={"upkeep": upkeep})
    state.decisions.append(m.Decision(step="integrity", subject=f"{child.name}.{name}",
                                      choice=f"copy of {parent.name}.{source.name}, kept on purpose",
                                      reason=f"{item.reason} Upkeep: {upkeep}."))


def _cron(name: str, schedule: str, command: str) -> str:
    return cron_schedule(name, schedule, command) + ";"


def _materialized_view(state: _State, item: m.Denormalization) -> None:
    name = fit(item.name)
    state.views.append(m.View(name=name, sql=statement_text(item.query or "").strip(), materialized=True,
                              description=f"Denormalised on purpose: {item.reason}"))
    if item.key:
        index = constraint("uq", name, *item.key)
        unique = m.Index(name=index, table=name, unique=True, columns=tuple(m.IndexColumn(expression=c) for c in item.key))
        state.objects.append(m.SchemaObject(kind="index", name=index, table=name,
                                            sql=_SQL.create_index_sql(unique).removesuffix(";")))
        refresh = f"REFRESH MATERIALIZED VIEW CONCURRENTLY {q(name)}"
        how = "concurrently (readers are not blocked; needs the unique index on " + ", ".join(item.key) + ")"
    else:
        refresh = f"REFRESH MATERIALIZED VIEW {q(name)}"
        how = "with an exclusive lock (declare `key:` to refresh without blocking readers)"
    upkeep = f"{refresh}; on the schedule {item.refresh!r}, {how}. With pg_cron: {_cron(f'refresh_{name}', item.refresh, refresh)}"
    state.copies[item.name] = item.model_copy(update={"name": name, "upkeep": upkeep})
    state.decisions.append(m.Decision(step="integrity", subject=f"materialized view {name}",
                                      choice="kept on purpose, refreshed on a schedule",
                                      reason=f"{item.reason} Upkeep: {upkeep}"))


def _summary_table(state: _State, item: m.Denormalization) -> None:
    name = fit(item.name)
    query = statement_text(item.query or "").strip()
    statements = [_SQL.create_table_as_sql(name, query, with_data=False)]
    if item.key:
        key = m.PrimaryKey(name=constraint("pk", name), columns=tuple(item.key))
        statements.append(_SQL.one_line(_SQL.add_constraint_sql(name, key)))
    # Kept as the object's text: the up script writes it with the kept objects after the views.
    state.objects.append(m.SchemaObject(kind="table", name=name, sql="\n".join(statements).removesuffix(";")))
    refresh = fit(f"refresh_{name}")
    code = f"    DELETE FROM {q(name)};\n    INSERT INTO {q(name)}\n{query};"
    state.functions.append(m.Function(name=refresh, returns="void", language="sql", body=code))
    upkeep = (f"SELECT {q(refresh)}(); recomputes it in one transaction (readers see the old rows until it "
              f"commits); on the schedule {item.refresh!r}. With pg_cron: "
              f"{_cron(refresh, item.refresh, f'SELECT {q(refresh)}()')}")
    state.copies[item.name] = item.model_copy(update={"name": name, "upkeep": upkeep})
    state.decisions.append(m.Decision(step="integrity", subject=f"summary table {name}",
                                      choice="kept on purpose, recomputed on a schedule",
                                      reason=f"{item.reason} Upkeep: {upkeep}"))
