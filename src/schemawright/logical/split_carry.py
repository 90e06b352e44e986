"""Constraints follow their columns when a split moves columns to another table.

A rule, exclusion, declared index or attribute CHECK whose columns all end up in the target
table moves there; one that reads columns of both tables cannot be created on either (a CHECK,
a unique constraint, an index and an exclusion each cover one table), so it is dropped and the
decision says so, with what to do instead.  Rules of other entities that read the moved
columns through a foreign key (`parent.<column>`, `matches`) are dropped the same way.  Either
way the DDL applies: no constraint names a column its table no longer has.
"""

from __future__ import annotations

from schemawright import model as m
from schemawright.logical.split_plan import Split, Workspace
from schemawright.logical.sql_names import exclusion_names, expression_names, index_names
from schemawright.naming import Namer

STAY, MOVE, STRADDLE = "stay", "move", "straddle"


def rule_columns(rule: m.Rule) -> set[str]:
    """The columns of its own entity a rule reads (`parent.<column>` is the parent's)."""
    names = set(rule.columns) | set(rule.dependent) | set(rule.period)
    for text in (rule.expression, rule.condition):
        read = expression_names(text)
        names |= read.plain | {c for q, c in read.qualified if q != "parent"}
    return names


def parent_columns(rule: m.Rule) -> set[str]:
    read = [expression_names(text) for text in (rule.expression, rule.condition)]
    return {c for r in read for q, c in r.qualified if q == "parent"}


class Carrier:
    """Moves or drops what reads the columns of one split, and records why."""

    def __init__(self, split: Split, ws: Workspace, namer: Namer, before: list[str]):
        self.split, self.ws, self.namer = split, ws, namer
        self.before = set(before)  # the source's columns before the split
        self.moved = set(split.moved)
        self.landing = self.moved if split.into_parent else self.moved | set(split.key)
        self.source_table = ws.table(split.source, namer)
        self.lost: dict[str, str] = {}  # rule -> why it was dropped

    def place(self, named: set[str]) -> str:
        named = named & self.before  # audit columns and unknown names do not decide
        if not named & self.moved:
            return STAY
        return MOVE if named <= self.landing else STRADDLE

    def why(self, what: str, named: set[str], one: str) -> str:
        here = sorted(named & self.before - self.moved)
        there = sorted(named & self.moved)
        return (f"{what} reads {', '.join(here)} of {self.source_table} and {', '.join(there)}, which the split of "
                f"rule {self.split.rule} moved to {self.split.table}; {one}")

    def drop(self, subject: str, reason: str) -> None:
        self.ws.decisions.append(m.Decision(step="logical", subject=subject,
                                            choice=f"dropped by the split of rule {self.split.rule}", reason=reason))

    def carry(self) -> None:
        self._rules()
        self._parent_reads()
        self._entity_parts()
        self._attribute_checks()

    def _rules(self) -> None:
        kept = []
        for rule in self.ws.rules:
            if rule.entity != self.split.source:
                kept.append(rule)
                continue
            if rule.name == self.split.rule:
                kept.append(self._own(rule))
                continue
            named = rule_columns(rule)
            where = self.place(named)
            if where == STAY:
                kept.append(rule)
            elif where == MOVE:
                kept.append(rule.model_copy(update={"entity": self.split.entity}))
            else:
                reason = self.why(f"rule {rule.name}", named, _instead(rule))
                self.lost[rule.name] = reason
                self.drop(f"rule {rule.name}", reason)
        self.ws.rules[:] = kept

    def _own(self, rule: m.Rule) -> m.Rule:
        """The dependency the split removes: it lives on as the key of the target."""
        if not self.split.into_parent:
            return rule.model_copy(update={"entity": self.split.entity})
        return rule.model_copy(update={"entity": self.split.entity, "columns": self.split.target_key})

    def _parent_reads(self) -> None:
        """Rules of other entities that read the moved columns through a foreign key to the source."""
        kept = []
        for rule in self.ws.rules:
            reason = None
            reads_parent = rule.kind == "matches" or any("parent" in (t or "") for t in (rule.expression, rule.condition))
            if reads_parent and rule.entity != self.split.source and rule.entity in self.ws.entities:
                parents = {r.parent for r, fk in self.ws.foreign_keys(rule.entity, self.namer)
                           if set(fk) == set(rule.columns)}
                read = parent_columns(rule) & self.moved if self.split.source in parents else set()
                if rule.kind == "matches" and rule.target == self.split.source:
                    read |= set(rule.target_columns) & self.moved
                if read:
                    reason = (f"rule {rule.name} reads {', '.join(sorted(read))} of {self.source_table}, which the "
                              f"split of rule {self.split.rule} moved to {self.split.table}; restate it on "
                              f"{self.split.table}, or keep the dependency with `denormalized:`")
            if reason:
                self.lost[rule.name] = reason
                self.drop(f"rule {rule.name}", reason)
            else:
                kept.append(rule)
        self.ws.rules[:] = kept

    def _entity_parts(self) -> None:
        source = self.ws.entities[self.split.source]
        target = self.ws.entities[self.split.entity]
        stay_x, move_x = [], []
        for x in source.exclusions:
            named = exclusion_names(x.definition)
            where = self.place(named.plain | {c for _q, c in named.qualified})
            (stay_x if where == STAY else move_x if where == MOVE else []).append(x)
            if where == STRADDLE:
                self.drop(f"exclusion {x.name}", self.why(f"exclusion {x.name}", named.plain,
                                                          "an exclusion constraint covers one table"))
        stay_i, move_i = [], []
        for index in source.indexes:
            named = index_names(index)
            where = self.place(named)
            (stay_i if where == STAY else move_i if where == MOVE else []).append(index)
            if where == STRADDLE:
                what = f"index ({', '.join(index.columns)})"
                self.drop(what, self.why(what, named, "an index covers one table; a query that needs both "
                                                      "reads them through the join"))
        self.ws.entities[source.name] = source.model_copy(update={"exclusions": tuple(stay_x), "indexes": tuple(stay_i)})
        target = self.ws.entities[target.name]
        self.ws.entities[target.name] = target.model_copy(update={
            "exclusions": target.exclusions + tuple(move_x), "indexes": target.indexes + tuple(move_i)})

    def _attribute_checks(self) -> None:
        """A CHECK written on an attribute stays with the attribute, when its table has the columns it reads."""
        for name, home in ((self.split.source, self.before - self.moved), (self.split.entity, self.landing)):
            entity = self.ws.entities[name]
            attributes = []
            for attr in entity.attributes:
                column = self.namer.column(attr.name, attr.column)
                came = name == self.split.source or column in self.landing  # the target's own are not ours
                named = expression_names(attr.check).plain & self.before if attr.check and came else set()
                if named - home:
                    if name == self.split.source or column in self.moved:
                        self.drop(f"{entity.name}.{attr.name} check", self.why(
                            f"the check {attr.check!r}", named, "a CHECK reads one row of one table: enforce it "
                                                                "with a trigger, or restate it on one table"))
                    attr = attr.model_copy(update={"check": None})  # the key's copy: the source keeps the check
                attributes.append(attr)
            self.ws.entities[name] = entity.model_copy(update={"attributes": tuple(attributes)})


def _instead(rule: m.Rule) -> str:
    if rule.kind == "depends":
        return ("the dependency is no longer inside one table, so the split does not preserve it; declare it on "
                "one table if it must hold")
    if rule.kind == "unique":
        return "a unique constraint covers one table"
    return "a constraint covers one row of one table: enforce it with a trigger, or restate it on one table"
