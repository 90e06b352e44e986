"""Located errors for what `pii: encrypt` cannot serve: the database sees only ciphertext, so a
key, a sort, a pattern match, a range or a rule evaluated by the database over an encrypted
column would answer wrongly.  Run while the spec is checked (pipeline.SPEC_CHECKS); it lives
here, beside the spec it locates, because the security package sits below requirements."""

from __future__ import annotations

from typing import TYPE_CHECKING

from schemawright import model as m
from schemawright.errors import SpecIssue
from schemawright.requirements.spec import Spec
from schemawright.security.pii.functions import check_columns
from schemawright.security.pii.queries import encrypted_columns, read

if TYPE_CHECKING:
    from schemawright.requirements.loader import Locator

_HINT = "or protect the column with `security.pii: mask` (masked views) instead of `encrypt`"
# Rules the encryption keeps: a unique rule moves to the blind index, a CHECK into the PII trigger.
_KEPT_RULES = ("unique", "check")


def pii_problems(spec: Spec, design: m.Design, at: Locator) -> list[SpecIssue]:
    """`design`: the logical tables of `spec`."""
    encrypted = encrypted_columns(design)
    if not encrypted:
        return []
    return _keys(design, encrypted, at) + _rules(design, encrypted, at) + _patterns(spec, design, encrypted, at)


def _attribute_path(column: m.Column) -> tuple:
    entity, _, attribute = (column.source or "").partition(".")
    return ("entities", entity, "attributes", attribute) if attribute else ("security", "pii")


def _keys(design: m.Design, encrypted: dict[str, tuple[str, ...]], at: Locator) -> list[SpecIssue]:
    out = []
    referenced = {(fk.ref_table, c) for t in design.tables for fk in t.foreign_keys for c in fk.ref_columns}
    for table in design.tables:
        keys = set(table.primary_key.columns if table.primary_key else ())
        keys |= {c for fk in table.foreign_keys for c in fk.columns}
        for name in encrypted.get(table.name, ()):
            column = table.column(name)
            assert column is not None
            if name in keys or (table.name, name) in referenced:
                out.append(at.issue(_attribute_path(column), f"{table.name}.{name} is flagged pii and is part of a "
                                    "key, but pii: encrypt stores ciphertext, which no key can compare",
                                    f"use a surrogate key and keep {name} a plain attribute, {_HINT}", at_key=True))
    for entity in design.entities:
        table = design.table_for_entity(entity.name)
        key = entity.partition.key if entity.partition else None
        if table is not None and key in encrypted.get(table.name, ()):
            out.append(at.issue(("entities", entity.name, "partition", "key"), f"{table.name} is partitioned by "
                                f"{key}, which pii: encrypt stores as ciphertext: rows would land by random bytes",
                                f"partition by another column, {_HINT}"))
    return out


def _rules(design: m.Design, encrypted: dict[str, tuple[str, ...]], at: Locator) -> list[SpecIssue]:
    out = []
    for i, rule in enumerate(design.rules):
        table = design.table_for_entity(rule.entity) or design.table(rule.entity)
        if table is None or rule.kind in _KEPT_RULES or table.name not in encrypted:
            continue
        named = {*rule.columns, *rule.dependent, *rule.period}
        for text in (rule.expression, rule.condition):
            named |= set(check_columns(text, table)) if text else set()
        hit = sorted(named & set(encrypted[table.name]))
        if hit:
            out.append(at.issue(("rules", i), f"rule {rule.name!r} reads {', '.join(hit)}, which pii: encrypt stores "
                                "as ciphertext: the database cannot evaluate it",
                                f"enforce it in the application before encrypting, {_HINT}"))
    return out


def _patterns(spec: Spec, design: m.Design, encrypted: dict[str, tuple[str, ...]], at: Locator) -> list[SpecIssue]:
    out = []
    for i, pattern in enumerate(design.access_patterns):
        key = "query" if spec.access_patterns[i].query is not None else "entity"
        for problem in read(pattern.sql, design, encrypted).problems:
            out.append(at.issue(("access_patterns", i, key), f"access pattern {pattern.name!r} {problem}, which "
                                "pii: encrypt stores as ciphertext, so the database would answer on random bytes",
                                "look the value up by equality (served by a blind index), sort or filter on "
                                f"another column, {_HINT}"))
    return out
