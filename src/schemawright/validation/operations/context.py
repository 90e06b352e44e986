"""What every operations proof is given."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from schemawright import model as m


@dataclass(frozen=True)
class OperationsRun:
    design: m.Design
    files: dict[str, str]  # every deliverable by path (operations.md, config/*.conf, monitoring/* ...)
    database_url: str | None = None  # a server for scratch databases; None: the embedded PostgreSQL
    scale: float = 0.01  # share of the declared volumes a proof loads
    seed: int = 42
    say: Callable[[str], None] = field(default=lambda _text: None)  # progress: what runs now
