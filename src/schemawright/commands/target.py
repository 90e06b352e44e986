"""One entry point for every command that reads "a schema": a spec, a SQL or DBML file, or
a live database.  Each kind goes to its importer; imported schemas get their conceptual
layer derived (importers.conceptual) so they document like designed ones.  Bad input
raises SpecErrors located in the file, never a traceback.
"""

from __future__ import annotations

from pathlib import Path

from schemawright import model as m
from schemawright.errors import SpecErrors, SpecIssue, did_you_mean

SPEC_SUFFIXES = (".yaml", ".yml")
SQL_DIALECTS = ("postgresql", "mysql", "mariadb", "sqlite")
_DIALECT_ALIASES = {"postgres": "postgresql", "pg": "postgresql", "sqlite3": "sqlite"}
_POSTGRES_SCHEMES = ("postgresql", "postgres")


def load_target(target: str | None, *, database_url: str | None = None, dialect: str | None = None) -> m.Design:
    """The Design of `target` (a .yaml/.yml spec, .sql or .dbml file) or of `database_url`."""
    if database_url:
        if target:
            raise _error(target, "give a file or --database-url, not both")
        return _from_database(database_url)
    if not target:
        raise _error("<target>", "nothing to read", "give a spec (.yaml), SQL (.sql) or DBML (.dbml) file, "
                                                    "or --database-url URL")
    path = Path(target)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise _error(target, "file not found" if not path.exists() else "not a file",
                     "give a spec (.yaml), SQL (.sql) or DBML (.dbml) file")
    if suffix in SPEC_SUFFIXES:
        from schemawright.pipeline import design_file

        return design_file(path)
    if suffix == ".sql":
        return _from_sql(target, _read(path), _dialect(target, dialect))
    if suffix == ".dbml":
        from schemawright.importers.dbml import import_dbml

        return _checked(import_dbml(_read(path), target), target)
    raise _error(target, f"cannot tell what kind of file {path.name} is",
                 "use .yaml/.yml for a spec, .sql for DDL, .dbml for DBML")


def _from_sql(file: str, text: str, dialect: str) -> m.Design:
    if dialect == "postgresql":
        from schemawright.importers.postgresql_sql import import_postgresql_sql

        return _checked(import_postgresql_sql(text, file), file)
    from schemawright.importers.sqlglot_sql import import_sql

    return _checked(import_sql(text, file, dialect), file)


def _from_database(url: str) -> m.Design:
    from schemawright.importers.conceptual import with_conceptual

    scheme = url.split("://", 1)[0].split("+", 1)[0].lower() if "://" in url else None
    if scheme is None or scheme in _POSTGRES_SCHEMES:
        from schemawright.importers.postgresql_live import import_postgresql_database

        if scheme is not None and "+" in url.split("://", 1)[0]:  # SQLAlchemy style postgresql+psycopg://
            url = scheme + "://" + url.split("://", 1)[1]
        return with_conceptual(import_postgresql_database(url))
    from schemawright.importers.sqlalchemy_live import import_database

    return with_conceptual(import_database(url))


def _dialect(file: str, dialect: str | None) -> str:
    name = (dialect or "postgresql").strip().lower()
    name = _DIALECT_ALIASES.get(name, name)
    if name not in SQL_DIALECTS:
        raise _error(file, f"unknown SQL dialect {dialect!r}",
                     did_you_mean(name, SQL_DIALECTS) or f"use one of {', '.join(SQL_DIALECTS)}")
    return "mysql" if name == "mariadb" else name


def _read(path: Path) -> str:
    data = path.read_bytes()
    nul = data.find(b"\0")
    if nul >= 0:  # PostgreSQL's parser and Graphviz both read C strings: a NUL ends them
        before = data[:nul]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1:].decode("utf-8", errors="replace")) + 1
        raise SpecErrors([SpecIssue(str(path), line, column, "the file holds a NUL character (\\0)",
                                    "remove it; no SQL or DBML text, name or value may hold one")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1:].decode("utf-8", errors="replace")) + 1
        raise SpecErrors([SpecIssue(str(path), line, column, "the file is not UTF-8 text",
                                    "convert it to UTF-8 (e.g. iconv -f latin1 -t utf-8)")]) from None


def _checked(design: m.Design, file: str) -> m.Design:
    """An import that found nothing at all was not given a schema: say where it stumbled."""
    from schemawright.importers.conceptual import with_conceptual

    if design.tables or design.views or design.enums or design.objects:
        return with_conceptual(design)
    issues = [SpecIssue(file, n.line, n.column, n.reason, "this statement was skipped") for n in design.import_notes]
    raise SpecErrors(issues or [SpecIssue(file, 1, 1, "no tables, views or types found in this file",
                                          "give a file of CREATE TABLE statements")])


def _error(file: str, message: str, hint: str | None = None) -> SpecErrors:
    return SpecErrors([SpecIssue(file, 1, 1, message, hint)])
