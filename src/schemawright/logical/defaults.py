"""Spec defaults -> SQL default expressions."""

from __future__ import annotations

import json

from schemawright import model as m
from schemawright.sql.quoting import literal, quote_literal

_NOW = {"now", "now()", "current_timestamp"}
_TODAY = {"today", "current_date"}


def default_sql(attr: m.Attribute) -> str | None:
    """A literal default, or `sql: <expression>` for an SQL expression."""
    value = attr.default
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.lower().startswith("sql:"):
            return text[4:].strip()
        if attr.type == "timestamp" and text.lower() in _NOW:
            return "now()"
        if attr.type == "date" and text.lower() in _TODAY | _NOW:
            return "CURRENT_DATE"
        if attr.type == "json":
            return quote_literal(text) + "::jsonb"
    if attr.type == "json":
        return quote_literal(json.dumps(value)) + "::jsonb"
    if attr.type == "boolean" and isinstance(value, str):
        return "true" if value.lower() in ("true", "yes", "1") else "false"
    if attr.type in ("integer", "bigint", "decimal", "money") and isinstance(value, (int, float)) and not isinstance(value, bool):
        return literal(value)
    return literal(value)
