"""Foreign keys across files, from inclusion dependencies (IND) between the files.

desbordante's SPIDER (discovery.inclusions) finds unary INDs only.  A single-column key gets
a foreign key straight from one.  For a composite key (order_id, line_no) every column of a
candidate needs its own unary IND into the matching key column (an n-ary IND implies its
unary ones), and the candidate is then verified on the data itself: every combination of the
child's values (rows without NULLs) must be a key of the parent.  desbordante's MIND and FAIDA
find n-ary INDs, but over every column combination of every file; checking the few candidates
the keys suggest is exact and cheap.

Guard from names: an inclusion alone can be chance (small integer ranges include each other),
so each column's name must agree with the key column's (customer_id -> customer_id,
buyer_customer_id -> customer_id, customer_id -> customers.id); a rejected single-column
candidate is recorded as a decision.
"""

from __future__ import annotations

from pathlib import Path

from schemawright.profiling.discovery import Inclusion
from schemawright.profiling.entities import Values, not_included
from schemawright.profiling.names import names_agree
from schemawright.profiling.proposal import Proposal, ProposedLink, ProposedTable


def link_files(proposal: Proposal, inclusions: list[Inclusion], data: dict[str, Values]) -> None:
    _single_column(proposal, inclusions)
    _composite(proposal, inclusions, data)


def _files(table: ProposedTable) -> set[str]:
    return {Path(s).stem for s in table.sources}  # DataTable.name, which the inclusions name


def _linked(proposal: Proposal, child: str, columns: tuple[str, ...]) -> bool:
    return any(link.child == child and link.columns == columns for link in proposal.links)


def _single_column(proposal: Proposal, inclusions: list[Inclusion]) -> None:
    for ind in inclusions:
        parents = [t for t in proposal.tables if ind.referenced_table in _files(t) and t.key == (ind.referenced,)]
        children = [t for t in proposal.tables if ind.dependent_table in _files(t) and ind.dependent in t.columns
                    and not (parents and t.name == parents[0].name)]
        children.sort(key=lambda t: (t.key == (ind.dependent,), t.name))  # a referencing column first
        if not parents or not children:
            continue
        if not names_agree(ind.dependent, ind.referenced, ind.referenced_table):
            proposal.decisions.append(
                f"no foreign key {ind.dependent_table}.{ind.dependent} -> {ind.referenced_table}.{ind.referenced}: "
                "the values are included but the names are unrelated, so the inclusion may be chance "
                "(small integer ranges include each other)")
            continue
        child, parent = children[0], parents[0]
        if _linked(proposal, child.name, (ind.dependent,)):
            continue
        proposal.links.append(ProposedLink(
            child.name, (ind.dependent,), parent.name, (ind.referenced,), ind.dependent not in child.nullable,
            f"inclusion dependency: every value of {ind.dependent_table}.{ind.dependent} occurs in "
            f"{ind.referenced_table}.{ind.referenced}"))
        proposal.decisions.append(f"foreign key {child.name}({ind.dependent}) -> {parent.name}({ind.referenced}): "
                                  "from an inclusion dependency across files")


def _composite(proposal: Proposal, inclusions: list[Inclusion], data: dict[str, Values]) -> None:
    for parent in proposal.tables:
        key = parent.natural_key  # a wide key stays UNIQUE
        if not key or len(key) < 2:
            continue
        for child in proposal.tables:
            if child.name == parent.name:
                continue
            columns = _candidate(inclusions, child, parent, key)
            if columns is None or _linked(proposal, child.name, columns):
                continue
            missing = not_included(data[child.name], columns, data[parent.name], key)
            described = f"{child.name}({', '.join(columns)}) -> {parent.name}({', '.join(key)})"
            if missing:
                proposal.decisions.append(
                    f"no foreign key {described}: each column's values occur in the parent, but {missing:,} "
                    "combination(s) of them are no key of it")
                continue
            proposal.links.append(ProposedLink(
                child.name, columns, parent.name, key, not set(columns) & child.nullable,
                f"inclusion dependency: every ({', '.join(columns)}) of {child.name} is a key of {parent.name}, "
                "verified on the data"))
            proposal.decisions.append(f"foreign key {described}: unary inclusion dependencies of each column across "
                                      "files, the combination verified on the data (SPIDER finds unary ones only)")


def _candidate(inclusions: list[Inclusion], child: ProposedTable, parent: ProposedTable,
               key: tuple[str, ...]) -> tuple[str, ...] | None:
    """Per key column, the child's column included in it whose name agrees (the first by name)."""
    child_files, parent_files = _files(child), _files(parent)
    chosen: list[str] = []
    for k in key:
        options = sorted({i.dependent for i in inclusions if i.referenced == k and i.referenced_table in parent_files
                          and i.dependent_table in child_files and i.dependent in child.columns
                          and i.dependent not in chosen and names_agree(i.dependent, k, i.referenced_table)})
        if not options:
            return None
        chosen.append(options[0])
    return tuple(chosen)
