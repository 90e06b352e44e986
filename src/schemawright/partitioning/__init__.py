"""Step 6: declarative partitioning (range by time, list by a few values, hash by key) with
its rationale, maintenance plan and an EXPLAIN check that patterns prune partitions."""

from schemawright.partitioning.stage import partition

__all__ = ["partition"]
