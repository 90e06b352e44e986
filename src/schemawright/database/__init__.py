"""The one place that talks to a database server; stages never import a driver.

`embedded_server()` starts a private PostgreSQL, `scratch_database()` makes a throw-away
database on any server (`sandboxed_database()`: owned by a throw-away role, for spec SQL),
and `Database` runs SQL on it, raising `DatabaseError`.
"""

from schemawright.database.connection import Database, DatabaseError
from schemawright.database.embedded import EmbeddedServerError, embedded_server
from schemawright.database.sandbox import Sandbox, sandboxed_database
from schemawright.database.scratch import SCRATCH_PREFIX, scratch_database
from schemawright.database.urls import database_name, redact, with_database, with_user

__all__ = [
    "SCRATCH_PREFIX",
    "Database",
    "DatabaseError",
    "EmbeddedServerError",
    "Sandbox",
    "database_name",
    "embedded_server",
    "redact",
    "sandboxed_database",
    "scratch_database",
    "with_database",
    "with_user",
]
