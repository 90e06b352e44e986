"""`schemawright check`: validate a spec, every problem located."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from schemawright import model as m
from schemawright.commands.output import err, fail_on_spec_errors, out
from schemawright.errors import SpecErrors
from schemawright.pipeline import design_file
from schemawright.scaling.machine import STORAGE_KINDS


@dataclass(frozen=True)
class CheckOptions:
    spec: Path


def designed(spec: Path, normalize: bool = False) -> m.Design:
    """The spec's design; bad input prints its located errors and exits 1."""
    try:
        return design_file(spec, normalize=normalize)
    except SpecErrors as exc:
        fail_on_spec_errors(exc)


def checked_storage(storage: str | None) -> str | None:
    """--storage's value, or exit 2 naming the ones allowed."""
    if storage is not None and storage not in STORAGE_KINDS:
        err.print(f"error: --storage {storage!r} is not one of {', '.join(STORAGE_KINDS)}", markup=False)
        raise SystemExit(2)
    return storage


def run(options: CheckOptions) -> int:
    design = designed(options.spec)
    out.print(f"{options.spec}: OK — {len(design.entities)} entities, {len(design.relationships)} relationships, "
              f"{len(design.access_patterns)} access patterns", markup=False)
    return 0
