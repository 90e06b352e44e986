"""A thin wrapper over psycopg 3, so nothing outside this package imports a driver.

Every driver error is re-raised as `DatabaseError`, carrying PostgreSQL's SQLSTATE and
message, so callers can report it (and tell a check violation from a syntax error)
without knowing psycopg.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg

from schemawright.database.urls import connection_problem, redact, scrub

__all__ = ["Database", "DatabaseError", "redact"]


class DatabaseError(Exception):
    """An error reported by PostgreSQL (or a failure to reach it)."""

    def __init__(
        self,
        message: str,
        *,
        sqlstate: str | None = None,
        detail: str | None = None,
        hint: str | None = None,
        position: int | None = None,
        constraint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.sqlstate = sqlstate
        self.detail = detail
        self.hint = hint
        self.position = position  # 1-based character offset into the statement text
        self.constraint = constraint  # the constraint a violation names (a rule's name, for its triggers)

    @property
    def is_integrity_error(self) -> bool:
        """Class 23: not-null, foreign key, unique, check, exclusion violations."""
        return bool(self.sqlstate) and self.sqlstate.startswith("23")

    @property
    def is_data_error(self) -> bool:
        """Class 22: a value the column type rejects (bad format, out of range, too long)."""
        return bool(self.sqlstate) and self.sqlstate.startswith("22")

    def __str__(self) -> str:
        text = self.message
        if self.detail:
            text += f" ({self.detail})"
        if self.hint:
            text += f" Hint: {self.hint}"
        return text

    def scrubbed(self, url: str) -> DatabaseError:
        """This error with every piece of `url`'s secrets taken out (a connection error
        names the host, user and database it tried, and a driver may quote more)."""
        def clean(text: str | None) -> str | None:
            return scrub(text, url) if text else text

        return DatabaseError(clean(self.message) or "", sqlstate=self.sqlstate, detail=clean(self.detail),
                             hint=clean(self.hint), position=self.position, constraint=self.constraint)

    @classmethod
    def from_psycopg(cls, error: psycopg.Error) -> DatabaseError:
        diag = error.diag
        text = str(error).strip()
        message = diag.message_primary or (text.splitlines()[0] if text else type(error).__name__)
        position = int(diag.statement_position) if diag.statement_position else None
        return cls(message, sqlstate=error.sqlstate, detail=diag.message_detail, hint=diag.message_hint, position=position,
                   constraint=diag.constraint_name)


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except psycopg.Error as error:
        raise DatabaseError.from_psycopg(error) from None


class Database:
    """One connection. Autocommit by default: each statement is its own transaction
    unless it runs inside `transaction()`."""

    def __init__(self, url: str, *, autocommit: bool = True, statement_timeout_ms: int | None = None) -> None:
        self.url = url
        problem = connection_problem(url)
        if problem:  # libpq's own message would quote the string, password and all
            raise DatabaseError(problem)
        try:
            # prepare_threshold=None: psycopg's automatic prepared statements are cleared with
            # DEALLOCATE ALL after any ROLLBACK or DROP, which would also drop ours (PREPARE).
            self._conn = psycopg.connect(url, autocommit=autocommit, prepare_threshold=None)
        except psycopg.Error as error:
            raise DatabaseError.from_psycopg(error).scrubbed(url) from None
        # Notices (e.g. "table does not exist, skipping") are expected; keep them out of logs.
        self._conn.add_notice_handler(lambda _diag: None)
        if statement_timeout_ms is not None:
            self.execute(f"SET statement_timeout = {int(statement_timeout_ms)}")

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Database({redact(self.url)!r})"

    @property
    def server_version(self) -> int:
        """PostgreSQL version as an integer, e.g. 150004 for 15.4."""
        return self._conn.info.server_version

    @property
    def dbname(self) -> str:
        return self._conn.info.dbname

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> int:
        """Run a statement (or, without params, a whole multi-statement script); returns rowcount."""
        with _translated(), self._conn.cursor() as cur:
            cur.execute(sql, params)  # type: ignore[arg-type]
            return cur.rowcount

    def copy_in(self, sql: str, chunks: Iterable[bytes]) -> None:
        """`COPY ... FROM STDIN` fed with already formatted chunks (the fast bulk load)."""
        with _translated(), self._conn.cursor() as cur, cur.copy(sql) as copy:
            for chunk in chunks:
                copy.write(chunk)

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> list[tuple]:
        """Run a query and return all its rows."""
        with _translated(), self._conn.cursor() as cur:
            cur.execute(sql, params)  # type: ignore[arg-type]
            return cur.fetchall() if cur.description is not None else []

    def query_value(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> Any:
        """The first column of the first row, or None."""
        rows = self.query(sql, params)
        return rows[0][0] if rows else None

    @contextmanager
    def transaction(self, *, rollback: bool = False) -> Iterator[Database]:
        """A transaction (a savepoint when nested). With `rollback=True` it is always rolled
        back, which is how write patterns are measured without changing the data."""
        with _translated(), self._conn.transaction(force_rollback=rollback):
            yield self

    @contextmanager
    def untimed(self) -> Iterator[Database]:
        """No statement timeout inside: maintenance whose time grows with the data (VACUUM,
        ANALYZE, CREATE INDEX on a full-volume load) is not a query a timeout should stop.
        The connection's own timeout is back after."""
        before = self.query_value("SHOW statement_timeout")
        self.execute("SET statement_timeout = 0")
        try:
            yield self
        finally:
            if not self.closed:
                self.execute("SELECT set_config('statement_timeout', %s, false)", [before])

    def password_verifier(self, user: str, password: str) -> str:
        """A SCRAM verifier for `password`, computed here, so the password itself never
        reaches the server (nor its statement log) in a CREATE/ALTER ROLE."""
        with _translated():
            return self._conn.pgconn.encrypt_password(password.encode(), user.encode(), b"scram-sha-256").decode()

    def close(self) -> None:
        if not self._conn.closed:
            self._conn.close()

    @property
    def closed(self) -> bool:
        return self._conn.closed
