"""Spec defaults -> SQL default expressions."""

from __future__ import annotations

import json

from schemawright import model as m
from schemawright.sql.quoting import literal, quote_literal

NOW_WORDS = {"now", "now()", "current_timestamp"}
TODAY_WORDS = {"today", "current_date"}
# How PostgreSQL's boolean input reads text (`on` is true); requirements/values.py refuses
# any other text, so no default silently becomes false.
BOOLEAN_WORDS = {"true": True, "t": True, "yes": True, "y": True, "on": True, "1": True,
                 "false": False, "f": False, "no": False, "n": False, "off": False, "0": False}


def default_sql(attr: m.Attribute) -> str | None:
    """A literal default, or `sql: <expression>` for an SQL expression."""
    value = attr.default
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.lower().startswith("sql:"):
            return text[4:].strip()
        if attr.type == "timestamp" and text.lower() in NOW_WORDS:
            return "now()"
        if attr.type == "date" and text.lower() in TODAY_WORDS | NOW_WORDS:
            return "CURRENT_DATE"
        if attr.type == "json":
            return quote_literal(text) + "::jsonb"
    if attr.type == "json":
        return quote_literal(json.dumps(value)) + "::jsonb"
    if attr.type == "boolean" and not isinstance(value, bool):
        return "true" if BOOLEAN_WORDS.get(str(value).strip().lower(), value == 1) else "false"
    if attr.type in ("integer", "bigint", "decimal", "money") and isinstance(value, (int, float)) and not isinstance(value, bool):
        return literal(value)
    return literal(value)
