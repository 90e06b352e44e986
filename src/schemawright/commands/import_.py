"""`schemawright import`: read an existing schema, write it as a spec or DBML, check the round trip."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from schemawright.commands.output import err, fail_on_spec_errors, out
from schemawright.commands.roundtrip import roundtrip
from schemawright.commands.target import load_target
from schemawright.errors import SpecErrors
from schemawright.exporters.dbml import to_dbml
from schemawright.exporters.spec import not_exported, to_spec_yaml


@dataclass(frozen=True)
class ImportOptions:
    source: Path | None = None
    database_url: str | None = None
    dialect: str | None = None  # None: postgresql
    output: Path | None = None  # the spec to write
    dbml: Path | None = None
    roundtrip: bool = False


def run(options: ImportOptions) -> int:
    source, database_url, dialect = options.source, options.database_url, options.dialect or "postgresql"
    if (source is None) == (database_url is None):
        err.print("give either a file (SQL or DBML) or --database-url", markup=False)
        return 2
    try:
        model = load_target(str(source) if source else None, database_url=database_url, dialect=dialect)
    except SpecErrors as exc:
        fail_on_spec_errors(exc)
    fks = sum(len(t.foreign_keys) for t in model.tables)
    out.print(f"imported {len(model.tables)} tables, {fks} foreign keys, {len(model.indexes)} indexes, "
              f"{len(model.views)} views, {len(model.objects)} other objects", markup=False)
    for note in model.import_notes:
        err.print(f"{source}:{note.line}:{note.column}: skipped: {note.reason}: {note.statement[:80]}",
                  markup=False, soft_wrap=True)
    if options.output:
        options.output.write_text(to_spec_yaml(model), encoding="utf-8")
        out.print(f"  wrote {options.output}", markup=False)
        for item in not_exported(model):
            out.print(f"  not in the spec yet: {item}", markup=False)
    if options.dbml:
        options.dbml.write_text(to_dbml(model), encoding="utf-8")
        out.print(f"  wrote {options.dbml}", markup=False)
    return _roundtrip(source, database_url, dialect) if options.roundtrip else 0


def _roundtrip(source: Path | None, database_url: str | None, dialect: str) -> int:
    if dialect != "postgresql":
        err.print("--roundtrip compares PostgreSQL catalogs; use it with PostgreSQL SQL or databases", markup=False)
        return 2
    with err.status("round trip"):
        result = roundtrip(source.read_text(encoding="utf-8") if source else None, source_url=database_url)
    if result.error:
        err.print(f"round trip failed: {result.error}", markup=False, soft_wrap=True)
        return 1
    for diff in result.differences:
        out.print(f"  differs: {diff.table}: {diff.aspect}: {diff.detail}", markup=False, soft_wrap=True)
    verdict = "identical" if not result.differences else f"{len(result.differences)} difference(s)"
    out.print(f"round trip of {result.tables} tables: {verdict}", markup=False)
    return 1 if result.differences else 0
