"""Connection URL helpers: point a URL at another database, and hide secrets.

Both URL form (`postgresql://user:pw@host/db?host=/sock`) and key=value form
(`host=... dbname=...`) are accepted, because both are what users paste.  MySQL and
SQLAlchemy URLs (`mysql+pymysql://...`, `sqlite:///...`) go through `redact` too.

`redact` never trusts a URL to be well formed: it splits it the way libpq does, and where
a password holds a character that should have been percent-encoded (`@`, `/`, space) it
hides up to the last `@` as well; a string it cannot read at all is shown as HIDDEN.
Drivers quote pieces of a connection string in their errors, so `scrub` cleans those.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from urllib.parse import quote, unquote

from psycopg import pq
from psycopg.conninfo import conninfo_to_dict, make_conninfo

HIDDEN = "<connection string hidden>"
ENCODE_HINT = ("percent-encode special characters in the password (@ as %40, / as %2F, ? as %3F, # as %23, "
               "& as %26, % as %25, a space as %20), or in key=value form quote the value: password='a b'")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")
_POSTGRES_SCHEMES = ("postgresql://", "postgres://")
# Keys whose value is hidden when it is a known secret; unknown keys (a misspelt `pasword`)
# are hidden too, so only the known harmless settings below are ever shown.
_SECRET_WORDS = ("password", "passwd", "pwd", "secret", "token", "scram_")  # scram_client_key: a derived password
_OTHER_DRIVERS_KEYS = frozenset({
    "charset", "ssl_ca", "ssl_cert", "ssl_key", "ssl_check_hostname", "ssl_verify_cert", "ssl_verify_identity",
    "unix_socket", "read_timeout", "write_timeout", "local_infile", "autocommit", "binary_prefix", "init_command",
    "program_name", "mode", "uri", "cache", "timeout", "check_same_thread", "driver", "sslmode",
})


@cache
def _shown_keys() -> frozenset[str]:
    """Settings whose values may be printed: libpq's own keywords and common driver options."""
    keywords = {o.keyword.decode() for o in pq.Conninfo.get_defaults()}
    return frozenset(k for k in keywords | _OTHER_DRIVERS_KEYS if not _is_secret(k))


def _is_secret(key: str) -> bool:
    return any(word in key.lower() for word in _SECRET_WORDS)


def _is_shown(key: str, value: str = "") -> bool:
    """A known harmless setting, not holding a connection string of its own (`dbname=postgresql://...`)."""
    return unquote(key).strip().lower() in _shown_keys() and "://" not in unquote(value)


def _is_url(url: str) -> bool:
    return _SCHEME.match(url) is not None


# ----------------------------------------------------------------------------- URL form


@dataclass(frozen=True)
class _Url:
    scheme: str  # "postgresql://"
    userinfo: str | None  # raw text before the '@' that ends the credentials
    head: str  # hosts and path, raw
    query: str | None  # raw text after '?'
    suspicious: bool = False  # an '@' outside the credentials: a password with an unencoded @ / ? # space


def _split(url: str) -> _Url:
    """Split as libpq does (credentials end at the first '@' before any '/'; the query starts
    at the first '?' after them), then widen the credentials over any later '@' that is not in
    a well-formed query: there it can only be part of a password with unencoded characters."""
    scheme = _SCHEME.match(url).group()
    rest = url[len(scheme):]
    stop = re.search(r"[@/]", rest)
    userinfo = None
    if stop and stop.group() == "@":
        userinfo, rest = rest[:stop.start()], rest[stop.end():]
    head, mark, query = rest.partition("?")
    if "@" in head:
        cut = head.rfind("@")
        userinfo = (userinfo + "@" if userinfo is not None else "") + head[:cut]
        return _Url(scheme, userinfo, head[cut + 1:], query if mark else None, suspicious=True)
    if mark and "@" in query and not _well_formed(query):
        cut = rest.rfind("@")
        userinfo = (userinfo + "@" if userinfo is not None else "") + rest[:cut]
        head, mark, query = rest[cut + 1:].partition("?")
        return _Url(scheme, userinfo, head, query if mark else None, suspicious=True)
    return _Url(scheme, userinfo, head, query if mark else None)


def _well_formed(query: str) -> bool:
    return all("=" in part and _is_shown(part.split("=", 1)[0]) for part in query.split("&") if part)


def _redact_query(query: str) -> tuple[str, list[str]]:
    """Hide secret values (and those of unknown keys).  A secret runs on over the following
    parts until one that starts with a known setting: `password=a&b` hides `a&b`."""
    shown, hidden, hiding = [], [], False
    for part in query.split("&"):
        key, eq, value = part.partition("=")
        if hiding and not (eq and _is_shown(key, value)):
            hidden[-1] += "&" + part
            continue
        hiding = False
        if eq and not _is_shown(key, value):
            shown.append(f"{key}=***")
            hidden.append(value)
            hiding = _is_secret(unquote(key))
        elif not eq and not _is_shown(key) and part:
            shown.append("***")  # a fragment with no key: most likely a piece of a password
            hidden.append(part)
        else:
            shown.append(part)
    return "&".join(shown), hidden


def _redact_url(url: str) -> tuple[str, list[str]]:
    parts = _split(url)
    hidden: list[str] = []
    shown = parts.scheme
    if parts.userinfo is not None:
        user, colon, password = parts.userinfo.partition(":")
        shown += f"{user}:***@" if password else f"{user}{colon}@"
        if password:
            hidden.append(password)
    shown += parts.head
    if parts.query is not None:
        query, secrets = _redact_query(parts.query)
        shown += "?" + query
        hidden += secrets
    return shown, hidden


# ----------------------------------------------------------------------------- key=value form

_KEY_VALUE = re.compile(r"\s*([^\s=]+)\s*=\s*")


def _redact_key_values(text: str) -> tuple[str, list[str]]:
    """libpq's key=value syntax.  Values of secret or unknown keys are hidden; an unquoted
    secret runs on to the next known `key=` (a password with a space in it); anything that is
    not `key = value` (a stray word, an open quote) hides the whole string."""
    shown, hidden, pos = [], [], 0
    while pos < len(text) and text[pos:].strip():
        pair = _KEY_VALUE.match(text, pos)
        if pair is None:
            return HIDDEN, [text]
        key, start = pair.group(1), pair.end()
        if text.startswith("'", start):
            end = _closing_quote(text, start + 1)
            if end is None:
                return HIDDEN, [text]
            end += 1
        else:
            end = _word_end(text, start)
            if _is_secret(key):
                after = _next_shown_key().search(text, end)
                end = after.start() if after else len(text.rstrip())
        value = text[start:end]
        if _is_shown(key, value):
            shown.append(text[pos:end])
        else:
            shown.append(text[pos:start] + "***")
            hidden.append(value)
        pos = end
    return "".join(shown) + text[pos:], hidden


@cache
def _next_shown_key() -> re.Pattern:
    return re.compile(r"\s+(?:" + "|".join(map(re.escape, sorted(_shown_keys()))) + r")\s*=")


def _closing_quote(text: str, pos: int) -> int | None:
    while pos < len(text):
        if text[pos] == "\\":
            pos += 2
        elif text[pos] == "'":
            return pos
        else:
            pos += 1
    return None


def _word_end(text: str, pos: int) -> int:
    while pos < len(text) and not text[pos].isspace():
        pos += 2 if text[pos] == "\\" else 1
    return min(pos, len(text))


# ----------------------------------------------------------------------------- public


def _redaction(url: str) -> tuple[str, list[str]]:
    """(`url` safe to show, the raw texts hidden from it)."""
    if _is_url(url):
        return _redact_url(url)
    return _redact_key_values(url)


def redact(url: str) -> str:
    """`url` with every password (and any value that might be one) replaced by `***`, safe
    to print or log; HIDDEN when it cannot be read as a connection string at all."""
    return _redaction(url)[0]


def secrets_of(url: str) -> list[str]:
    """The texts `redact` hides, as typed and decoded (percent-escapes, backslashes), and the
    passwords libpq itself reads from `url`."""
    raw = _redaction(url)[1]
    found = set(raw) | {unquote(s) for s in raw} | {s.replace("\\", "") for s in raw}
    try:
        found |= {v for k, v in conninfo_to_dict(url).items() if not _is_shown(k) and isinstance(v, str)}
    except Exception:  # noqa: BLE001 - unreadable: the raw texts are all there is
        pass
    return sorted(s for s in found if s)


_QUOTED = re.compile(r"\"([^\"]*)\"|(?<![\w])'([^']*)'(?![\w])")


def scrub(text: str, url: str) -> str:
    """A driver's message about `url` made safe to show: the URL itself redacted, a quoted
    piece of it kept only when it is part of the redacted form, and the whole message
    replaced when any 4 characters of a hidden text still occur in it."""
    shown = redact(url)
    if url:
        text = text.replace(url, shown)
    kept = [shown]

    def keep(match: re.Match) -> str:
        piece = match.group(1) if match.group(1) is not None else match.group(2)
        if len(piece) <= 1 or piece in shown:
            kept.append(piece)
            return match.group()
        return "…"

    text = _QUOTED.sub(keep, text)
    rest = text  # what is not known to be safe (the redacted URL and its pieces are)
    for piece in sorted(kept, key=len, reverse=True):
        if len(piece) > 1:
            rest = rest.replace(piece, "\0")
    for secret in secrets_of(url):
        if len(secret) >= 4 and any(secret[i:i + 4] in rest for i in range(len(secret) - 3)):
            return "the driver's message repeated part of the connection string, so it is not shown"
    return text


def misread_password(url: str) -> str | None:
    """Why a driver would misread `url`'s password (an unencoded `@`, or a `/` before one:
    the rest would be taken for the host or database, and sent to DNS), or None."""
    if _is_url(url) and _split(url).suspicious:
        return f"could not parse the connection URL {redact(url)}: it has an '@' after the password; {ENCODE_HINT}"
    return None


def connection_problem(url: str) -> str | None:
    """Why `url` cannot be a PostgreSQL connection string, said without its secrets, or None."""
    if _is_url(url) and not url.lower().startswith(_POSTGRES_SCHEMES):
        return (f"not a PostgreSQL connection URL: {redact(url)}; expected postgresql://user:password@host:port/dbname "
                "or key=value pairs (host=... dbname=...)")
    misread = misread_password(url)
    if misread:
        return misread
    try:
        conninfo_to_dict(url)
    except Exception as error:  # noqa: BLE001 - psycopg raises ProgrammingError, quoting the string
        reason = scrub(str(error).strip().splitlines()[0] if str(error).strip() else "", url)
        return f"could not parse the connection string {redact(url)}: {reason}; {ENCODE_HINT}"
    return None


def with_database(url: str, dbname: str) -> str:
    """The same server and credentials as `url`, connected to `dbname`."""
    if not _is_url(url):
        return make_conninfo(url, dbname=dbname)
    parts = _split(url)
    hosts = parts.head.split("/", 1)[0]
    credentials = "" if parts.userinfo is None else parts.userinfo + "@"
    # A `dbname=` query parameter would override the path, so drop it.
    query = "&".join(p for p in (parts.query or "").split("&") if p and unquote(p.split("=", 1)[0]) != "dbname")
    return f"{parts.scheme}{credentials}{hosts}/{quote(dbname, safe='')}" + (f"?{query}" if query else "")


def with_query(url: str, **params: str) -> str:
    """URL-form `url` with these query parameters set (any of the same name replaced), the
    rest of it kept exactly as typed (split as libpq splits it, unlike urllib)."""
    parts = _split(url)
    credentials = "" if parts.userinfo is None else parts.userinfo + "@"
    kept = [p for p in (parts.query or "").split("&") if p and unquote(p.split("=", 1)[0]) not in params]
    query = "&".join(kept + [f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params.items()])
    return f"{parts.scheme}{credentials}{parts.head}?{query}"


def with_user(url: str, user: str, password: str) -> str:
    """The same server, database and connection options as `url`, logging in as `user`.
    (A key=value string: the URL form cannot hold every option without re-quoting.)"""
    return make_conninfo(url, user=user, password=password)


def setting(url: str, key: str) -> str | None:
    """A libpq setting (`dbname`, `options`...) as libpq reads it from `url`; None when absent
    or when `url` is not a PostgreSQL connection string."""
    try:
        return conninfo_to_dict(url).get(key) or None
    except Exception:  # noqa: BLE001 - psycopg's ProgrammingError; connection_problem() says why
        return None


def database_name(url: str) -> str | None:
    """The database a URL names, if it names one."""
    if _is_url(url) and not url.startswith(_POSTGRES_SCHEMES):  # MySQL, SQLite: the path
        return unquote(_split(url).head.partition("/")[2]) or None
    return setting(url, "dbname")
