"""Options several commands share, declared once as typer Annotated aliases.

A command names the alias as its parameter's type (`database_url: ServerUrl = None`), so
the flag, its type and its help read the same wherever it appears."""

from pathlib import Path
from typing import Annotated, Optional

import typer

SpecFile = Annotated[Path, typer.Argument(help="Requirements file (YAML).")]
Target = Annotated[Optional[str], typer.Argument(help="Spec (YAML), SQL or DBML file; omit with --database-url.")]

# A server on which a scratch database is created and dropped (validate, bench).
ServerUrl = Annotated[Optional[str], typer.Option(
    "--database-url", help="PostgreSQL server to use (a scratch database is created and dropped); "
                           "default: start the embedded PostgreSQL.")]
# A database read and never changed (import, lint, docs).
LiveDatabaseUrl = Annotated[Optional[str], typer.Option(
    "--database-url", help="Read a live database instead of a file (read-only).")]
Dialect = Annotated[Optional[str], typer.Option(
    "--dialect", help="SQL dialect of a SQL file: postgresql, mysql or sqlite (default: postgresql).")]
OutputDir = Annotated[Path, typer.Option("-o", "--output", help="Directory to write into (created when missing).")]

Scale = Annotated[float, typer.Option("--scale", min=0.0, help="Fraction of the declared volumes to load.")]
Seed = Annotated[int, typer.Option("--seed", help="Same seed, same data (and parameter draws).")]

# The target machine the operations plan sizes for (over the spec's `machine:`).
Cores = Annotated[Optional[int], typer.Option("--cores", min=1, help="Target server's CPU cores (operations.md).")]
MemoryGb = Annotated[Optional[float], typer.Option("--memory-gb", min=0.1, help="Target server's RAM in GiB "
                                                                               "(operations.md).")]
Storage = Annotated[Optional[str], typer.Option("--storage", help="Target server's storage: ssd, hdd or network "
                                                                 "(operations.md).")]
