"""What every concern of the operations plan gives: its part of operations.md and its files."""

from __future__ import annotations

from typing import Protocol


class Section(Protocol):
    """One concern's plan (capacity, configuration, pooling ...)."""

    title: str  # the heading in operations.md
    anchor: str  # its link target

    def markdown(self) -> list[str]:
        """The section's body in operations.md, without its heading (deterministic)."""

    def files(self) -> dict[str, str]:
        """Files it writes, by path relative to the output directory (may be empty)."""
