"""Check every table against its keys and the dependencies the spec declares.

For each table: the highest normal form it meets (2NF, 3NF, BCNF; every generated table is in
1NF because list attributes already became child tables), each violating dependency in plain
words, and the split that would remove it: the dependent columns move to a table keyed by
the determinant (or, when the determinant is a foreign key, to the table it references).
Dependencies kept on purpose (`denormalized:`) are reported with their reason, not as defects.
"""

from __future__ import annotations

from schemawright import model as m
from schemawright.logical.normalize import Outcome, split_outcome
from schemawright.naming import Namer
from schemawright.normalization.dependencies import FD
from schemawright.normalization.forms import analyse


def check_normal_forms(design: m.Design) -> m.Design:
    namer = Namer(design.naming.tables, design.naming.case)
    outcome = split_outcome(design)  # the proposals are the splits --normalize makes, under the same names
    rules: dict[str, list[m.Rule]] = {}
    for rule in design.rules:
        if rule.kind == "depends":
            rules.setdefault(rule.entity, []).append(rule)
    forms, decisions = [], []
    for table in design.tables:
        declared = [r for r in rules.get(table.entity or "", []) if table.kind == "entity"
                    and all(table.column(c) for c in (*r.columns, *r.dependent))]
        form = _table_form(table, declared, design, namer, outcome)
        forms.append(form)
        for v in form.violations:
            decisions.append(m.Decision(
                step="logical", subject=f"table {table.name}",
                choice=f"kept below {v.breaks} on purpose" if v.kept else f"breaks {v.breaks}: proposed split "
                       f"into {v.split.table}" if v.split else f"breaks {v.breaks}: not split",
                reason=v.explanation + (f" Kept because: {v.kept}" if v.kept else
                                        " `design --normalize` (or `normalize: true`) applies the split." if v.split
                                        else "")))
    return design.model_copy(update={"normal_forms": tuple(forms), "decisions": design.decisions + tuple(decisions)})


def table_dependencies(table: m.Table, declared: list[m.Rule], design: m.Design) -> list[FD]:
    """Key dependencies (each key determines every column) plus the declared ones."""
    columns = frozenset(c.name for c in table.columns)
    fds = [FD(frozenset(k), columns) for k in _keys(table, design)]
    fds += [FD(frozenset(r.columns), frozenset(r.dependent)) for r in declared]
    return fds


def _keys(table: m.Table, design: m.Design) -> list[tuple[str, ...]]:
    """Keys in the relational sense: unique and never NULL."""
    primary = table.primary_key.columns if table.primary_key else None
    return [k for k in design.unique_keys(table) if k == primary or all(not table.column(c).nullable for c in k)]


def _table_form(table: m.Table, declared: list[m.Rule], design: m.Design, namer: Namer,
                outcome: Outcome) -> m.NormalForm:
    columns = [c.name for c in table.columns]
    if not declared:  # only keys determine anything: BCNF by definition, no search needed
        keys = [frozenset(k) for k in _keys(table, design)]
        minimal = sorted({tuple(sorted(k)) for k in keys if not any(o < k for o in keys)})
        return m.NormalForm(table=table.name, level="BCNF", keys=tuple(minimal))
    fds = table_dependencies(table, declared, design)
    # Named for one row ("every customer in the same zip repeats the city"), the way people say it.
    report = analyse(namer.singular(table.entity) if table.kind == "entity" and table.entity else f"row of {table.name}",
                     columns, fds)
    grouped: dict[tuple[tuple[str, ...], str], list] = {}
    for v in report.violations:
        grouped.setdefault((tuple(sorted(v.fd.lhs)), v.form), []).append(v)
    violations = []
    for (lhs, breaks), items in grouped.items():
        determinant = tuple(c for c in columns if c in lhs)
        dependent = tuple(c for c in columns if any(c in v.fd.rhs for v in items) and c not in lhs)
        rule = _declaring_rule(declared, set(lhs), set(dependent))
        explanation = " ".join(dict.fromkeys(v.explanation.rstrip(".") + "." for v in items))
        split, why_not = _proposal(rule, outcome)
        violations.append(m.NormalFormViolation(
            determinant=determinant, dependent=dependent, breaks=breaks,
            explanation=explanation + (f" `--normalize` does not split it: {why_not}." if why_not else ""),
            rule=rule.name if rule else None, kept=rule.denormalized if rule else None, split=split))
    return m.NormalForm(table=table.name, level=report.level, keys=tuple(tuple(sorted(k)) for k in report.keys),
                        violations=tuple(violations))


def _declaring_rule(declared: list[m.Rule], lhs: set[str], dependent: set[str]) -> m.Rule | None:
    for rule in declared:
        if lhs <= set(rule.columns) and dependent & set(rule.dependent):
            return rule
    return next((r for r in declared if set(r.columns) == lhs), None)


def _proposal(rule: m.Rule | None, outcome: Outcome) -> tuple[m.ProposedSplit | None, str | None]:
    """The split --normalize makes for this violation (same table, same columns), or why it makes none."""
    if rule is not None and rule.denormalized:
        return None, None
    name = rule.name if rule else ""
    if name in outcome.applied:
        made = outcome.applied[name]
        return m.ProposedSplit(table=made.table, columns=made.target_key + made.moved, key=made.target_key), None
    if name in outcome.blocked or name in outcome.lost:
        return None, outcome.blocked.get(name) or outcome.lost[name]
    if rule is None:
        return None, "no declared dependency has this determinant (it follows from others); `--normalize` splits " \
                     "on declared `depends` rules only"
    return None, f"the split step finds no violation of rule {rule.name} in {rule.entity}"
