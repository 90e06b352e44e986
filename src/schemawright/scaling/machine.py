"""The target machine: the spec's `machine:`, design's flags over it, or the assumed default."""

from __future__ import annotations

from typing import get_args

from schemawright import model as m

STORAGE_KINDS: tuple[str, ...] = get_args(m.Machine.model_fields["storage"].annotation)


def with_machine(design: m.Design, *, cores: int | None = None, memory_gb: float | None = None,
                 storage: str | None = None) -> m.Design:
    """`design` with the flags given laid over its machine (a flag given makes the machine given)."""
    flags = {k: v for k, v in {"cores": cores, "memory_gb": memory_gb, "storage": storage}.items() if v is not None}
    if not flags:
        return design
    machine = m.Machine(**{**design.machine.model_dump(), **flags, "given": True})
    return design.model_copy(update={"machine": machine})


def machine_line(machine: m.Machine) -> str:
    """How operations.md names the target, saying when it was assumed."""
    disk = f", {machine.disk_gb:g} GiB disk" if machine.disk_gb else ""
    text = f"{machine.cores} cores, {machine.memory_gb:g} GiB RAM, {machine.storage} storage{disk}"
    return text if machine.given else (f"{text} (assumed: the spec has no `machine:`; give yours there or with "
                                       "design's --cores, --memory-gb and --storage)")
