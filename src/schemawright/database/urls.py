"""Connection URL helpers: point a URL at another database, and hide passwords.

Both URL form (`postgresql://user:pw@host/db?host=/sock`) and key=value form
(`host=... dbname=...`) are accepted, because both are what users paste.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote, urlsplit, urlunsplit

from psycopg.conninfo import conninfo_to_dict, make_conninfo

_SCHEMES = ("postgresql://", "postgres://")
_KV_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


def _is_url(url: str) -> bool:
    return url.lower().startswith(_SCHEMES)


def with_database(url: str, dbname: str) -> str:
    """The same server and credentials as `url`, connected to `dbname`."""
    if not _is_url(url):
        return make_conninfo(url, dbname=dbname)
    parts = urlsplit(url)
    # A `dbname=` query parameter would override the path, so drop it.
    query = "&".join(p for p in parts.query.split("&") if p and not p.startswith("dbname="))
    return urlunsplit((parts.scheme, parts.netloc, "/" + quote(dbname, safe=""), query, parts.fragment))


def database_name(url: str) -> str | None:
    """The database a URL names, if it names one."""
    if not _is_url(url):
        return conninfo_to_dict(url).get("dbname")
    parts = urlsplit(url)
    return dict(parse_qsl(parts.query)).get("dbname") or unquote(parts.path.lstrip("/")) or None


def redact(url: str) -> str:
    """`url` with any password replaced by `***`, safe to print or log (any scheme:
    PostgreSQL, MySQL, SQLAlchemy's `dialect+driver://`)."""
    if "://" not in url:
        return _KV_PASSWORD.sub(r"\1***", url)
    parts = urlsplit(url)
    netloc = parts.netloc
    userinfo, at, hostinfo = netloc.rpartition("@")
    user, colon, password = userinfo.partition(":")
    if at and colon and password:
        netloc = f"{user}:***@{hostinfo}"
    pairs = [p for p in parts.query.split("&") if p]
    query = "&".join("password=***" if p.lower().startswith("password=") else p for p in pairs)
    if netloc == parts.netloc and query == parts.query:
        return url  # nothing to hide; urlunsplit would also drop sqlite:///'s empty host
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
