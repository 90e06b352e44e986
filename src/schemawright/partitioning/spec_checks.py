"""Located errors for a `partition:` option that cannot work, found while the spec is checked.

Asking for a scheme is a deliberate choice, so a conflict is an error with a fix rather than
a quiet "not partitioned" (which is what an automatic choice records instead).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from schemawright import model as m
from schemawright.errors import SpecIssue, did_you_mean
from schemawright.partitioning.choose import enum_values, is_time
from schemawright.partitioning.keys import blockers
from schemawright.requirements.spec import Spec

if TYPE_CHECKING:
    from schemawright.requirements.loader import Locator


def partition_problems(spec: Spec, design: m.Design, at: Locator) -> list[SpecIssue]:
    out: list[SpecIssue] = []
    for name, entity in spec.entities.items():
        option = entity.partition
        if option is None or option.key is None:
            continue
        table = design.table_for_entity(name)
        if table is None:
            continue
        path = ("entities", name, "partition")
        column = table.column(option.key)
        if column is None:
            known = [c.name for c in table.columns]
            out.append(at.issue(path, f"partition key {option.key!r} is not a column of {table.name}",
                                did_you_mean(option.key, known) or f"columns: {', '.join(known)}"))
            continue
        if option.by == "range" and not is_time(column) and not option.bounds:
            out.append(at.issue(path, f"range partitions are by time here, but {option.key!r} is "
                                f"{column.semantic}", "use a timestamp or date column, or list/hash"))
        if option.by == "list" and not option.values and not option.bounds and not enum_values(design, table, column):
            out.append(at.issue(path, f"list partitions need the values of {option.key!r}, which is not an enum",
                                "add `values: {name: [value, ...]}`, one entry per partition"))
        for problem in blockers(design, table, option.key):
            out.append(at.issue(path, f"{table.name} cannot be partitioned by {option.key!r}: {problem}",
                                "use `partition: auto` to let schemawright decide, or change the key or the "
                                "constraint"))
    return out
