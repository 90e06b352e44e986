"""Partition bounds read from PostgreSQL text (a spec's `bounds:`, an imported schema) into
`PartitionBound`, with PostgreSQL's own parser; the generator writes them back."""

from __future__ import annotations

import pglast
from pglast import ast
from pglast.stream import RawStream

from schemawright import model as m

_KINDS = {"r": "range", "l": "list", "h": "hash"}


class BadPartitionBound(ValueError):
    """Text that is not one partition bound."""


def from_node(node: ast.PartitionBoundSpec) -> m.PartitionBound:
    """The bound of a parsed PARTITION OF / ATTACH PARTITION; each value printed by pglast."""
    if node.is_default:
        return m.PartitionBound(kind="default")
    kind = _KINDS[node.strategy]
    if kind == "hash":
        return m.PartitionBound(kind=kind, modulus=node.modulus, remainder=node.remainder)
    # A RawStream keeps what it printed before: a new one for each value.
    values = {name: tuple(RawStream()(d) for d in getattr(node, name) or ())
              for name in ("lowerdatums", "upperdatums", "listdatums")}
    return m.PartitionBound(kind=kind, lower=values["lowerdatums"], upper=values["upperdatums"],
                            values=values["listdatums"])


def parse(text: str) -> m.PartitionBound:
    """`FOR VALUES FROM (...) TO (...)`, `FOR VALUES IN (...)`, `FOR VALUES WITH (MODULUS n,
    REMAINDER r)` or `DEFAULT`; BadPartitionBound otherwise."""
    try:
        statements = pglast.parse_sql(f"CREATE TABLE p PARTITION OF t {text}")
    except pglast.parser.ParseError as error:
        raise BadPartitionBound(f"partition bound {text!r} does not parse: {error}") from None
    stmt = statements[0].stmt if len(statements) == 1 else None
    if not isinstance(stmt, ast.CreateStmt) or stmt.partbound is None or stmt.tableElts or stmt.partspec:
        raise BadPartitionBound(f"{text!r} is not one partition bound")
    return from_node(stmt.partbound)
