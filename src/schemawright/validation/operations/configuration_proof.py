"""Proof of the configuration plan, part one: PostgreSQL accepts config/postgresql.operations.conf.

A scratch server of the machine's PostgreSQL starts with the file included last; then every
setting in it must be applied: pg_file_settings has its line with `applied` and no error, and
pg_settings shows the value (units normalised: '4GB' against setting x unit, 524288 x 8kB), and
the server's log holds no ERROR, FATAL or WARNING.  A value PostgreSQL refuses stops the server
from starting: FAIL with its log.  Part two, the same patterns measured with these settings
and with the defaults, is performance/settings_compare.py (it loads data and runs the load,
which this package must not import).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from schemawright.database import Database, DatabaseError
from schemawright.database.configured_server import ServerError, debian_binaries
from schemawright.validation.operations.context import OperationsRun
from schemawright.validation.operations.tuned_server import UNITS, fitted, settings_in, tuned_server
from schemawright.validation.report import FAIL, NOT_TRIED, PASS, Check

CONF = "config/postgresql.operations.conf"
NAME = "configuration: PostgreSQL applies every setting of postgresql.operations.conf"
TIME_MS = {"us": 0.001, "ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}
_VALUE = re.compile(r"^(-?\d+(?:\.\d+)?)\s*([a-zA-Z]*)$")
_TRUE, _FALSE = {"on", "true", "yes", "1"}, {"off", "false", "no", "0"}
_LOG_PROBLEM = re.compile(r"\b(ERROR|FATAL|PANIC|WARNING):")


def checks(run: OperationsRun) -> Iterator[Check]:
    text = run.files.get(CONF)
    if text is None:
        yield Check(NAME, NOT_TRIED, f"the plan wrote no {CONF}")
        return
    yield accepted(text, run.design.machine.memory_gb, run.say)


def accepted(text: str, memory_gb: float, say=lambda _text: None) -> Check:
    """Start a scratch server with `text` and check every setting applied (the check FAILs on a
    refused or ignored setting); NOT TRIED without PostgreSQL's server binaries."""
    binaries = debian_binaries()
    if binaries is None:
        return Check(NAME, NOT_TRIED, "no PostgreSQL server binaries under /usr/lib/postgresql")
    fragment, note = fitted(text, memory_gb)
    wanted = settings_in(fragment)
    say(f"Starting PostgreSQL {binaries.version} with {len(wanted)} settings")
    try:
        with tuned_server(binaries, fragment) as running:
            with Database(running.url) as db:
                problems = applied_problems(db, wanted)
            problems += [f"log: {line.strip()}" for line in running.server.log_text().splitlines()
                         if _LOG_PROBLEM.search(line)]
    except ServerError as error:
        return Check(NAME, FAIL, f"the server did not start with the settings: {error}")
    except DatabaseError as error:
        return Check(NAME, FAIL, f"the server refused the proof's connection: {error}")
    detail = f"{len(wanted) - len([p for p in problems if not p.startswith('log:')])}/{len(wanted)} applied " \
             f"on PostgreSQL {binaries.version}" + (f"; {note}" if note else "")
    if problems:
        return Check(NAME, FAIL, detail + ": " + "; ".join(problems))
    return Check(NAME, PASS, detail)


def applied_problems(db: Database, wanted: dict[str, str]) -> list[str]:
    """Each setting of `wanted` that the server did not apply as written."""
    lines = {name: (applied, error) for name, applied, error in db.query(
        "SELECT name, applied, error FROM pg_file_settings WHERE sourcefile LIKE %s", ["%/postgresql.operations.conf"])}
    current = {name: (setting, unit) for name, setting, unit in db.query(
        "SELECT name, setting, unit FROM pg_settings WHERE name = ANY(%s)", [list(wanted)])}
    problems = []
    for name, value in wanted.items():
        applied, error = lines.get(name, (False, "not read from the file"))
        if error or not applied:
            problems.append(f"{name} = {value}: not applied ({error or 'overridden or needs a restart'})")
        elif name not in current:
            problems.append(f"{name}: no such setting")
        elif not same(value, *current[name]):
            setting, unit = current[name]
            problems.append(f"{name} = {value}: the server has {setting}{' x ' + unit if unit else ''}")
    return problems


def same(written: str, setting: str, unit: str | None) -> bool:
    """Whether `written` (as in postgresql.conf, '4GB', '15min', 'on') is pg_settings' `setting` x `unit`."""
    left, right = _normal(written, unit), _normal(setting, unit, from_catalog=True)
    if isinstance(left, float) and isinstance(right, float):
        return abs(left - right) <= 1e-9 * max(1.0, abs(right))
    return left == right


def _normal(value: str, unit: str | None, from_catalog: bool = False) -> float | str:
    text = value.strip().strip("'").lower() if not _VALUE.match(value.strip()) else value.strip()
    if text in _TRUE:
        return "on"
    if text in _FALSE:
        return "off"
    match = _VALUE.match(text)
    if not match:
        return text
    number, written_unit = float(match.group(1)), match.group(2)
    if from_catalog:  # setting x unit ('8kB', 'kB', 'MB', 's', 'ms')
        written_unit = unit or ""
    base = _unit_size(unit or "")
    if base is None:
        return number
    size = _unit_size(written_unit) if written_unit else base  # a bare number is in the setting's own unit
    return number * (size if size is not None else base)


def _unit_size(unit: str) -> float | None:
    """Bytes or milliseconds of one `unit` ('8kB' -> 8192); None for no unit."""
    match = re.match(r"^(\d*)\s*([a-zA-Z]+)$", unit)
    if not match:
        return None
    count = int(match.group(1) or 1)
    name = match.group(2)
    if name in UNITS:
        return count * UNITS[name]
    if name in TIME_MS:
        return count * TIME_MS[name]
    return None
