"""Tables of several files that describe the same entity, merged into one.

Each file is decomposed on its own, so `orders.csv` (with customer columns) and `customers.csv`
both give a table keyed on customer_id.  Two proposed tables of different files are the same
entity when their primary keys are the same columns: by name, or, for differently named key
columns, by an inclusion dependency in both directions (the same set of values) plus names
that agree (`customer_id` and `customers.id`).  A key named only `id` (or `code`, `no` ...) says
nothing about the entity, so such tables must also share a non-key column.

They are merged only when the data agrees: for every key present in both, every shared
non-key column has equal values (NULL differs from a value: the merged table could not give
both files back).  One disagreeing key is enough to keep them apart; the count and an example
are recorded.  Keys present in only one file are fine: the merged table holds the union of
the keys, and a column that some keys lack becomes nullable.

Each merge is a decision with its reason.  Afterwards the lossless check runs again per file
on the merged tables' rows (see lossless.check_lossless: it starts from the file's own fact
table, so the keys other files added are never joined in).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import numpy as np

from schemawright.profiling.discovery import Inclusion
from schemawright.profiling.lossless import check_lossless, stored_rows
from schemawright.profiling.names import determinant_table, generic_key, names_agree
from schemawright.profiling.proposal import FileLayout, Proposal, ProposedLink, ProposedTable
from schemawright.profiling.table import Column
from schemawright.profiling.type_inference import InferredType, infer_type

Values = dict[str, np.ndarray]  # column -> object array of values (None: NULL), one per stored row
EXAMPLES = 3  # disagreeing keys quoted in a decision


class TableValues(dict):
    """Every proposed table's rows as they would be stored (values, not codes), made on first
    use: only tables that are compared or checked across files are ever materialised."""

    def __init__(self, proposal: Proposal):
        super().__init__()
        self._where = {name: (layout, index) for layout in proposal.layouts.values()
                       for index, name in enumerate(layout.names)}

    def __missing__(self, name: str) -> Values:
        layout, index = self._where[name]
        shape, table = layout.shapes[index], layout.table
        rows = stored_rows(table, shape)
        self[name] = {c: np.array(table.column(c).values, dtype=object)[table.column(c).codes[rows]]
                      for c in shape.columns}
        return self[name]


def merge_entities(proposal: Proposal, inclusions: list[Inclusion]) -> dict[str, Values]:
    """Merge the tables of different files that describe the same entity (in place); returns
    every table's rows for the checks that follow (foreign keys across files)."""
    data = TableValues(proposal)
    kept_apart: set[tuple[str, str]] = set()
    while True:
        pair = _next_pair(proposal, inclusions, data, kept_apart)
        if pair is None:
            break
        first, second, rename, why = pair
        _merge(proposal, data, first, second, rename, why)
    if any(t.merged for t in proposal.tables):
        _drop_broken_links(proposal, data)
        for name, layout in proposal.layouts.items():
            proposal.lossless[name] = _recheck(layout, data, {t.name for t in proposal.tables if t.merged})
    return data


def not_included(child: Values, columns: tuple[str, ...], parent: Values, key: tuple[str, ...]) -> int:
    """Distinct combinations of the child's values (without NULLs) that are no key of the parent."""
    keys = set(zip(*(parent[c] for c in key)))
    combinations = {r for r in zip(*(child[c] for c in columns)) if None not in r}
    return len(combinations - keys)


def _drop_broken_links(proposal: Proposal, data: dict[str, Values]) -> None:
    """A merged table holds values of other files: a foreign key it got from one file's split
    holds only if the parent has those values too (zips split off in one file, the zip of a
    customer another file adds may be missing); otherwise it is dropped, with the reason."""
    merged = {t.name for t in proposal.tables if t.merged}
    kept = []
    for link in proposal.links:
        missing = (not_included(data[link.child], link.columns, data[link.parent], link.references)
                   if link.child in merged else 0)
        if missing:
            proposal.decisions.append(
                f"no foreign key {link.child}({', '.join(link.columns)}) -> {link.parent}: after the merge "
                f"{missing:,} value(s) of it, from another file, are missing in {link.parent}")
        else:
            kept.append(link)
    proposal.links[:] = kept


def _next_pair(proposal: Proposal, inclusions: list[Inclusion], data: dict[str, Values],
               kept_apart: set[tuple[str, str]]):  # noqa: ANN202 - (first, second, rename, why) or None
    """The first pair (in proposal order) of the same entity whose data agrees; pairs whose
    data disagrees are recorded once and skipped from then on."""
    tables = proposal.tables
    for i, first in enumerate(tables):
        for second in tables[i + 1:]:
            if (first.name, second.name) in kept_apart or not first.natural_key or not second.natural_key \
                    or set(first.sources) & set(second.sources):
                continue
            match = _same_key(first, second, inclusions)
            if match is None:
                continue
            rename, why = match
            shared = _shared(data[first.name], data[second.name], first.natural_key, rename)
            if (generic_key(first.natural_key) or generic_key(second.natural_key)) and not shared:
                continue  # `id` in two files: nothing says it is the same entity
            disagreeing, common, examples, columns = _disagreements(
                data[first.name], data[second.name], first.natural_key, rename, shared)
            key = first.natural_key
            back = {k: c for c, k in rename.items()}
            differing_types = [k for k in key if first.types[k].kind != second.types[back.get(k, k)].kind]
            if not common and differing_types:
                kept_apart.add((first.name, second.name))
                proposal.decisions.append(
                    f"not merged: {first.name} and {second.name} have the same key ({', '.join(key)}; {why}) but no "
                    f"key value in common, and {', '.join(differing_types)} has another type in each: two numbering "
                    "schemes rather than one entity")
                continue
            if disagreeing:
                kept_apart.add((first.name, second.name))
                proposal.decisions.append(
                    f"not merged: {first.name} and {second.name} have the same key ({', '.join(key)}; {why}) "
                    f"but {disagreeing:,} of the {common:,} keys they share have different values of "
                    f"{', '.join(c for c in shared if c in columns)} (for example {'; '.join(examples)}); correct the "
                    "data, or rename the column in one file if the two hold different facts, to merge them")
                continue
            return first, second, rename, why
    return None


def _same_key(first: ProposedTable, second: ProposedTable,
              inclusions: list[Inclusion]) -> tuple[dict[str, str], str] | None:
    """second's key columns -> first's, and why they are the same, or None."""
    if len(first.natural_key or ()) != len(second.natural_key or ()):
        return None
    rename, reasons = {}, []
    for column in second.natural_key or ():
        if column in (first.natural_key or ()):
            rename[column] = column
            continue
        linked = [(k, why) for k in first.natural_key or () if k not in rename.values()
                  for why in [_linked_by_values(inclusions, first, k, second, column)] if why]
        if not linked:
            return None
        rename[column] = linked[0][0]
        reasons.append(linked[0][1])
    return ({c: k for c, k in rename.items() if c != k},
            "; ".join(reasons) if reasons else "the same column name(s)")


def _linked_by_values(inclusions: list[Inclusion], first: ProposedTable, k: str, second: ProposedTable,
                      column: str) -> str | None:
    """Differently named key columns are one when each holds the other's values, or when one
    holds the other's and the names agree (`customer_id` and `customers.id`)."""
    forward = _included(inclusions, second, column, first, k)
    backward = _included(inclusions, first, k, second, column)
    named = names_agree(column, k, _stem(first.source)) or names_agree(k, column, _stem(second.source))
    if forward and backward:
        return f"{second.name}.{column} and {first.name}.{k} hold the same values"
    if (forward or backward) and named:
        return (f"the values of one of {second.name}.{column} and {first.name}.{k} all occur in the other "
                "and the names agree")
    return None


def _included(inclusions: Iterable[Inclusion], child: ProposedTable, column: str, parent: ProposedTable,
              referenced: str) -> bool:
    child_files, parent_files = {_stem(s) for s in child.sources}, {_stem(s) for s in parent.sources}
    return any(i.dependent_table in child_files and i.dependent == column and i.referenced_table in parent_files
               and i.referenced == referenced for i in inclusions)


def _stem(path: str) -> str:
    return Path(path).stem  # DataTable.name, which the inclusions name


def _renamed(values: Values, rename: dict[str, str]) -> Values:
    return {rename.get(c, c): v for c, v in values.items()}


def _shared(a: Values, b: Values, key: tuple[str, ...], rename: dict[str, str]) -> list[str]:
    b = _renamed(b, rename)
    return [c for c in a if c in b and c not in key]


def _index(values: Values, key: tuple[str, ...]) -> dict[tuple, int]:
    return {k: i for i, k in enumerate(zip(*(values[c] for c in key)))}


def _disagreements(a: Values, b: Values, key: tuple[str, ...], rename: dict[str, str],
                   shared: list[str]) -> tuple[int, int, list[str], set[str]]:
    """(keys that disagree, keys in both, a few examples, the columns that differ)."""
    b = _renamed(b, rename)
    where = _index(b, key)
    disagreeing, common, examples, columns = 0, 0, [], set()
    for i, k in enumerate(zip(*(a[c] for c in key))):
        j = where.get(k)
        if j is None:
            continue
        common += 1
        differs = [c for c in shared if a[c][i] != b[c][j]]
        if differs:
            disagreeing += 1
            columns.update(differs)
            if len(examples) < EXAMPLES:
                c = differs[0]
                examples.append(f"{', '.join(map(str, k))}: {c} {a[c][i]!r} vs {b[c][j]!r}")
    return disagreeing, common, examples, columns


def _merge(proposal: Proposal, data: dict[str, Values], first: ProposedTable, second: ProposedTable,
           rename: dict[str, str], why: str) -> None:
    a, b = data[first.name], _renamed(data[second.name], rename)
    key = first.natural_key or ()
    where_a = _index(a, key)
    only_b = [j for j, k in enumerate(zip(*(b[c] for c in key))) if k not in where_a]
    where_b = _index(b, key)
    pairs = [(i, where_b[k]) for k, i in where_a.items() if k in where_b]
    in_a, in_b = (np.array(side, dtype=np.int64) for side in zip(*pairs)) if pairs else (np.zeros(0, np.int64),) * 2
    columns = first.columns + [rename.get(c, c) for c in second.columns if rename.get(c, c) not in first.columns]
    rows = len(where_a) + len(only_b)
    merged: Values = {}
    for c in columns:
        values = np.full(rows, None, dtype=object)
        if c in a:
            values[:len(where_a)] = a[c]
        elif c in b:  # a's keys take second's values where second has the key
            values[in_a] = b[c][in_b]
        if c in b:
            values[len(where_a):] = b[c][only_b]
        merged[c] = values
    back = {k: c for c, k in rename.items()}
    table = ProposedTable(
        name=_merged_name(first, second), source=first.source, columns=columns,
        types={c: _merged_type(first.types.get(c), second.types.get(back.get(c, c)), merged[c], proposal, first,
                               second) for c in columns},
        nullable={c for c in columns if any(v is None for v in merged[c])}, rows=rows, key=first.key,
        uniques=[], merged=[*first.merged, *second.sources])
    for unique in [*first.uniques, *(tuple(rename.get(c, c) for c in u) for u in second.uniques)]:
        if unique not in table.uniques and _unique(merged, unique):
            table.uniques.append(unique)
    rest = tuple(c for c in columns if c not in key)
    table.depends = [(key, rest)] if rest else []
    in_both = len(pairs)
    table.description = (f"From {', '.join(Path(s).stem for s in table.sources)}: one row per {', '.join(key)} "
                         f"({rows:,} rows); the same entity in each file, merged.")
    proposal.tables[proposal.tables.index(first)] = table
    proposal.tables.remove(second)
    del data[first.name], data[second.name]
    data[table.name] = merged
    _follow(proposal, second.name, table.name, rename)  # first: only second's layouts have its column names
    _follow(proposal, first.name, table.name, {})
    proposal.links[:] = [replace(link, required=not set(link.columns) & table.nullable)  # keys only one file has
                         if link.child == table.name else link for link in proposal.links]
    gone, kept = (second, first) if table.name == first.name else (first, second)
    filled = sorted(table.nullable - first.nullable - {rename.get(c, c) for c in second.nullable})
    proposal.decisions.append(
        f"merged {gone.name} ({', '.join(gone.sources)}) into {kept.name} ({', '.join(kept.sources)}): both "
        f"describe one {', '.join(key)} ({why}); the {in_both:,} keys in both agree on "
        f"{', '.join(_shared(a, b, key, {})) or 'every shared column (there is none besides the key)'}; "
        f"{rows - in_both:,} key(s) are in one of them only"
        + (f", so {', '.join(filled)} became nullable" if filled else ""))


def _merged_name(first: ProposedTable, second: ProposedTable) -> str:
    """The name a table split off on the key would have (`customers` for customer_id) when one
    of the two has it, else the first one's: `customers_2` or a file's name say less."""
    preferred = determinant_table(first.natural_key or (), set())
    return second.name if second.name == preferred and first.name != preferred else first.name


def _follow(proposal: Proposal, gone: str, kept: str, rename: dict[str, str]) -> None:
    """Foreign keys and file layouts that named the merged-away table now name the merged one."""
    links = []
    for link in proposal.links:
        child, columns, parent, references = link.child, link.columns, link.parent, link.references
        if child == gone:
            child, columns = kept, tuple(rename.get(c, c) for c in columns)
        if parent == gone:
            parent, references = kept, tuple(rename.get(c, c) for c in references)
        moved = ProposedLink(child, columns, parent, references, link.required, link.reason)
        if child != parent and not any((x.child, x.columns) == (child, columns) for x in links):
            links.append(moved)
    proposal.links[:] = links
    for layout in proposal.layouts.values():
        for index, name in enumerate(layout.names):
            if name == gone:
                layout.names[index] = kept
                layout.renames[index] = {c: rename.get(layout.renames[index].get(c, c), layout.renames[index].get(c, c))
                                         for c in layout.shapes[index].columns}


def _merged_type(a: InferredType | None, b: InferredType | None, values: np.ndarray, proposal: Proposal,
                 first: ProposedTable, second: ProposedTable) -> InferredType:
    """The same type when both files agree; otherwise inferred again from the values of both
    (over the rows of both files, which enum inference weighs); text stays text where one
    side chose it over enum because a table lists the values."""
    if a is None or b is None or a == b:
        return a or b  # type: ignore[return-value]
    distinct = sorted({v for v in values.tolist() if v is not None})
    rows = sum(layout.table.rows for layout in proposal.layouts.values()
               if layout.table.path in {*first.sources, *second.sources})
    inferred = infer_type(Column("merged", np.zeros(0, np.int32), list(distinct), None), rows)
    if inferred.kind == "enum" and "text" in (a.kind, b.kind):
        return a if a.kind == "text" else b
    return inferred


def _unique(values: Values, columns: tuple[str, ...]) -> bool:
    rows = [r for r in zip(*(values[c] for c in columns)) if None not in r]
    return len(set(rows)) == len(rows)


def _recheck(layout: FileLayout, data: dict[str, Values], merged: set[str]):  # noqa: ANN202 - LosslessCheck
    """The file's lossless check on the merged tables' rows, restricted to the file's columns
    and written in the file's codes (values no row of the file has get codes of their own)."""
    given = {}
    for index, name in enumerate(layout.names):
        if name in merged:
            given[index] = {c: _codes(layout, c, data[name][layout.renames[index].get(c, c)])
                            for c in layout.shapes[index].columns}
    return check_lossless(layout.table, layout.shapes, 0, layout.joins, given)


def _codes(layout: FileLayout, column: str, values: np.ndarray) -> np.ndarray:
    known = layout.table.column(column).values
    lookup = {v: i for i, v in enumerate(known)}
    foreign: dict[object, int] = {}
    codes = np.empty(len(values), dtype=np.int64)
    for i, v in enumerate(values.tolist()):
        code = lookup.get(v)
        if code is None:
            code = foreign.setdefault(v, len(known) + len(foreign))
        codes[i] = code
    return codes
