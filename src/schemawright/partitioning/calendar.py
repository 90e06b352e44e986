"""Range partition bounds: calendar arithmetic on whole days, in UTC, from a start date (the
go-live date the spec gives, else the design date: see `design_date`).

Every bound is a midnight on a calendar boundary (a day, a Monday, the first of a month
whose number is a multiple of the width), so the bounds computed here and the ones the
maintenance function computes in SQL always meet edge to edge.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone

from schemawright.naming import MAX_IDENTIFIER_BYTES
from schemawright.requirements.spec import parse_interval


def months_in(interval: str) -> float:
    count, unit = parse_interval(interval)
    return {"day": count / 30.44, "week": count * 7 / 30.44, "month": float(count)}[unit]


def add_months(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 + months
    return date(total // 12, total % 12 + 1, 1) if day.day == 1 else \
        _clamped(total // 12, total % 12 + 1, day.day)


def _clamped(year: int, month: int, day: int) -> date:
    while True:
        try:
            return date(year, month, day)
        except ValueError:
            day -= 1


def align(day: date, interval: str) -> date:
    """The start of the partition that contains `day`."""
    count, unit = parse_interval(interval)
    if unit == "day":
        return day
    if unit == "week":
        return day - timedelta(days=day.weekday())  # Monday, as date_trunc('week') does
    return date(day.year, (day.month - 1) // count * count + 1, 1)


def step(start: date, interval: str, times: int = 1) -> date:
    count, unit = parse_interval(interval)
    if unit == "day":
        return start + timedelta(days=times)
    if unit == "week":
        return start + timedelta(weeks=times)
    return add_months(start, count * times)


def design_date() -> date:
    """The day `design` runs, in UTC; SOURCE_DATE_EPOCH (seconds since 1970, the reproducible-
    builds convention) fixes it, so a build can make the same schema.sql on any day."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), timezone.utc).date()
    return datetime.now(timezone.utc).date()


def initial_ranges(start: date, interval: str, history_months: int, ahead: int) -> list[tuple[date, date]]:
    """[from, to) of every initial partition: `history_months` back from `start` (for rows that
    exist before it), the partition holding `start`, and `ahead` more after it."""
    first = align(add_months(start, -history_months) if history_months else start, interval)
    last = step(align(start, interval), interval, ahead + 1)
    out, start = [], first
    while start < last:
        end = step(start, interval)
        out.append((start, end))
        start = end
    return out


def range_count(start: date, interval: str, history_months: int, ahead: int) -> int | None:
    """How many partitions initial_ranges gives, or None when they would leave the years
    1 to 9999 (a far start or a history of millennia)."""
    estimate = int(history_months / months_in(interval)) + ahead + 1
    if estimate > 100_000:
        return estimate if start.year - history_months // 12 > 1 else None
    try:
        return len(initial_ranges(start, interval, history_months, ahead))
    except (ValueError, OverflowError):
        return None


def bound_literal(day: date, sql_type: str) -> str:
    """A bound PostgreSQL reads the same whatever the session's TimeZone."""
    kind = sql_type.lower()
    if kind.startswith("date"):
        return f"'{day.isoformat()}'"
    if "without time zone" in kind or kind == "timestamp":
        return f"'{day.isoformat()} 00:00:00'"
    return f"'{day.isoformat()} 00:00:00+00'"


def partition_prefix(table: str) -> str:
    """The table name, cut so `<prefix>_pYYYYMMDD` fits PostgreSQL's 63-byte names."""
    room = MAX_IDENTIFIER_BYTES - len("_p20260101")
    return table.encode()[:room].decode(errors="ignore")


def range_partition_name(table: str, start: date) -> str:
    return f"{partition_prefix(table)}_p{start.strftime('%Y%m%d')}"
