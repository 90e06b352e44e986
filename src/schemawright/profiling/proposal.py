"""The proposed schema of one or more files: named tables, keys, foreign keys, and the
lossless check, assembled from a decomposition."""

from __future__ import annotations

from dataclasses import dataclass, field

from schemawright.profiling import measures
from schemawright.profiling.decompose import Decomposition, Node, primary_key
from schemawright.profiling.file_profile import Profile
from schemawright.profiling.guards import identifier_like
from schemawright.profiling.lossless import Join, LosslessCheck, TableShape, check_lossless
from schemawright.profiling.names import determinant_table, file_table
from schemawright.profiling.table import DataTable
from schemawright.profiling.type_inference import InferredType

WIDE_KEY = 3  # natural keys of this many columns get a surrogate key (and stay UNIQUE)


@dataclass
class ProposedTable:
    name: str
    source: str  # the file it came from
    columns: list[str]
    types: dict[str, InferredType]
    nullable: set[str]
    rows: int
    key: tuple[str, ...] | None  # natural primary key; None: a surrogate `id`
    uniques: list[tuple[str, ...]] = field(default_factory=list)
    depends: list[tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=list)
    description: str = ""
    keyless: bool = False  # no key at all: it needs a surrogate, but a data column is already called id
    merged: list[str] = field(default_factory=list)  # files of the tables merged into this one (entities.py)

    @property
    def sources(self) -> list[str]:
        return [self.source, *self.merged]

    @property
    def natural_key(self) -> tuple[str, ...] | None:
        """The primary key, or for a surrogate-keyed table its natural key (kept UNIQUE first)."""
        return self.key or (self.uniques[0] if self.uniques and not self.keyless else None)


@dataclass(frozen=True)
class ProposedLink:
    child: str
    columns: tuple[str, ...]
    parent: str
    references: tuple[str, ...]
    required: bool
    reason: str


@dataclass
class FileLayout:
    """How one file was split: its tables' shapes and joins, kept so that the lossless check can
    run again once tables of several files are merged (entities.py)."""

    table: DataTable
    shapes: list[TableShape]
    joins: list[Join]
    names: list[str]  # proposed table of each shape (renamed when merged)
    renames: list[dict[str, str]]  # per shape: this file's column -> the merged table's column


@dataclass
class Proposal:
    tables: list[ProposedTable] = field(default_factory=list)
    links: list[ProposedLink] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    lossless: dict[str, LosslessCheck] = field(default_factory=dict)  # per file
    layouts: dict[str, FileLayout] = field(default_factory=dict, repr=False)  # per file


def propose(profile: Profile, decomposition: Decomposition, taken: set[str], proposal: Proposal) -> None:
    """Add the tables of one file's decomposition to `proposal` (names unique across `taken`)."""
    table, order = profile.table, profile.table.names
    names: dict[int, str] = {}
    proposal.decisions.extend(f"{table.name}: {d}" for d in decomposition.decisions)
    shapes: list[TableShape] = []
    for i, node in enumerate(decomposition.nodes):
        columns = [c for c in order if c in node.attributes]
        names[id(node)] = (file_table(table.name, taken) if node.key is None
                           else determinant_table([c for c in order if c in node.key], taken))
        key, others, why = primary_key(profile, node)
        ordered_key = tuple(c for c in order if key and c in key) or None
        proposed = ProposedTable(
            name=names[id(node)], source=table.path, columns=columns,
            types={c: profile.types[c] for c in columns},
            nullable={c for c in columns if table.column(c).nullable},
            rows=table.rows if node.key is None else measures.distinct(table, node.key),
            key=ordered_key, uniques=[])
        for other in others:
            columns_of = tuple(c for c in order if c in other)
            if _enforced(profile, columns_of):
                proposed.uniques.append(columns_of)
            else:
                proposal.decisions.append(f"{proposed.name}: ({', '.join(columns_of)}) is unique in the data but not "
                                          "enforced: neither named like an identifier nor an e-mail, so it may be "
                                          "unique by chance")
        proposed.depends = _depends(node, order)
        if ordered_key is None:
            proposal.decisions.append(f"{proposed.name}: surrogate key id ({why})")
        elif len(ordered_key) >= WIDE_KEY:
            proposal.decisions.append(f"{proposed.name}: surrogate key id; the natural key "
                                      f"({', '.join(ordered_key)}) is {len(ordered_key)} columns wide and stays UNIQUE")
            proposed.uniques.insert(0, ordered_key)
            proposed.key = None
        else:
            proposal.decisions.append(f"{proposed.name}: primary key ({', '.join(ordered_key)}): {why}")
        proposed.description = (f"From {table.name}: "
                                + ("the rows of the file" if node.key is None else
                                   f"one row per {', '.join(c for c in order if c in node.key)}")
                                + f" ({proposed.rows:,} rows).")
        if proposed.key is None and any(c.lower() == "id" for c in columns):
            proposed.keyless = True
            proposal.decisions.append(f"{proposed.name}: no primary key: it needs a surrogate key, but a data column "
                                      "is already called id; rename that column and run normalize again")
        proposal.tables.append(proposed)
        shapes.append(TableShape(tuple(columns), None if node.key is None and ordered_key is None else
                                 tuple(c for c in order if c in (node.key or key or ()))))
    index = {id(n): i for i, n in enumerate(decomposition.nodes)}
    joins = []
    for link in decomposition.links:
        columns = tuple(c for c in order if c in link.columns)
        required = not any(table.column(c).nullable for c in columns)
        proposal.links.append(ProposedLink(names[id(link.child)], columns, names[id(link.parent)], columns, required,
                                           f"split off on {', '.join(columns)}"))
        joins.append(Join(index[id(link.child)], columns, index[id(link.parent)]))
    proposal.lossless[table.name] = check_lossless(table, shapes, 0, joins)
    proposal.layouts[table.name] = FileLayout(table, shapes, joins, [names[id(n)] for n in decomposition.nodes],
                                              [{} for _ in decomposition.nodes])
    _no_enum_keys(proposal, decomposition, order, profile)


def _enforced(profile: Profile, columns: tuple[str, ...]) -> bool:
    return len(columns) == 1 and (identifier_like(columns[0]) or profile.types[columns[0]].kind == "email")


def _no_enum_keys(proposal: Proposal, decomposition: Decomposition, order: list[str], profile: Profile) -> None:
    """A determinant got its own table, which is its list of values: a CHECK of enum values
    on it (and on the columns referencing it) would have to change with every new row."""
    split_on = {c for node in decomposition.nodes if node.key for c in node.key}
    for table in proposal.tables:
        for column in split_on & set(table.columns):
            if table.types[column].kind == "enum":
                table.types[column] = InferredType("text", f"{profile.types[column].reason}; text rather than enum "
                                                   "because a table lists its values")
    for column in split_on:
        if profile.types[column].kind == "enum":
            profile.types[column] = next(t.types[column] for t in proposal.tables if column in t.columns)


def _depends(node: Node, order: list[str]) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    rules = []
    if node.key is not None:
        rest = tuple(c for c in node.attributes if c not in node.key)
        if rest:
            rules.append((tuple(c for c in order if c in node.key), rest))
    for kept in node.kept:  # violations a person chose to keep: documented redundancy
        rhs = tuple(c for c in order if c in kept.rhs and c in node.attributes)
        if rhs and kept.lhs <= set(node.attributes):
            rules.append((tuple(c for c in order if c in kept.lhs), rhs))
    return rules
