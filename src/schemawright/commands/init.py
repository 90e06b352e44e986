"""`schemawright init`: write the commented example spec to start from."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from schemawright.commands.output import err, out


@dataclass(frozen=True)
class InitOptions:
    path: Path = Path("schemawright.yaml")
    force: bool = False


def run(options: InitOptions) -> int:
    path = options.path
    if path.exists() and not options.force:
        err.print(f"{path} already exists; use --force to overwrite it, or give another path.", markup=False)
        return 1
    text = resources.files("schemawright.requirements").joinpath("example.yaml").read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    out.print(f"wrote {path}; next: schemawright design {path} -o out", markup=False)
    return 0
