"""Access-pattern SQL names its parameters `:name` (or `?`); PostgreSQL's parser knows only `$1`.

Used where pattern SQL is parsed: the spec checks and the workload reader of the index advisor."""

from __future__ import annotations

# Tokens after which `?` is an operand (the JSON operator `?`), not a parameter.
_OPERAND_END = {"IDENT", "SCONST", "ICONST", "FCONST", "BCONST", "XCONST", "PARAM", "ASCII_41", "ASCII_93"}


def placeholders_as_constants(sql: str, tokens: list) -> str:
    """`:name` and `?` parameters replaced by `0` padded to the same length, so PostgreSQL's
    parser (which knows only `$1`) reads the statement and its error offsets stay true."""
    chars = list(sql)
    significant = [t for t in tokens if t.name not in ("SQL_COMMENT", "C_COMMENT")]
    for i, tok in enumerate(significant):
        before = significant[i - 1] if i else None
        nxt = significant[i + 1] if i + 1 < len(significant) else None
        if (tok.name == "ASCII_58" and nxt is not None  # ':' right before a name (a '::' cast is one token)
                and (nxt.name == "IDENT" or nxt.kind != "NO_KEYWORD") and nxt.start == tok.end + 1
                and (before is None or before.name != "ASCII_58")):
            chars[tok.start:nxt.end + 1] = list("0" + " " * (nxt.end - tok.start))
        elif (tok.name == "Op" and sql[tok.start:tok.end + 1] == "?"
              and (before is None or before.name not in _OPERAND_END)):
            chars[tok.start] = "0"
    return "".join(chars)
