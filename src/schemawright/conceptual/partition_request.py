"""The spec's `partition:` option, carried into the model unchanged in meaning (the partitioning stage reads it)."""

from __future__ import annotations

from schemawright import model as m
from schemawright.requirements import spec as s


def partition_request(option: s.Partition | None) -> m.PartitionRequest | None:
    if option is None:
        return None
    return m.PartitionRequest(
        by=option.by, key=option.key, interval=option.interval,
        anchor=option.anchor.isoformat() if option.anchor else None, ahead=option.ahead,
        values=tuple((name, tuple(values)) for name, values in (option.values or {}).items()),
        partitions=option.partitions, bounds=tuple((option.bounds or {}).items()))
