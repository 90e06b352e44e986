"""Proof of the monitoring plan: the generated rules load and each alert fires and stays quiet.

The deliverables monitoring/alerts.yml and monitoring/alerts_test.yml are written to a temporary
directory and given to promtool (Debian's `prometheus` package): `promtool check rules` parses
every expression and rule; `promtool test rules` evaluates each alert on its synthetic series
and compares the alerts raised with those expected.  A third check reads both files: every
alert of alerts.yml must have a test where it fires and one where it stays quiet, so a rule
whose threshold can never be met, or a test file that lost a case, fails.  Without promtool
the first two are NOT TRIED.  `checks` (what validate --operations runs) adds monitoring_sql: the
custom queries of queries.yml on a PostgreSQL with pg_stat_statements and the design.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import yaml

from schemawright.validation.operations import monitoring_sql
from schemawright.validation.operations.context import OperationsRun
from schemawright.validation.report import FAIL, NOT_TRIED, PASS, Check

ALERTS = "monitoring/alerts.yml"
TESTS = "monitoring/alerts_test.yml"
INSTALL_HINT = "Debian: apt-get install prometheus (it ships promtool)"
TIMEOUT_S = 300  # a loaded CI machine; the tests take seconds
NAME = "operations: monitoring"


def checks(run: OperationsRun) -> Iterator[Check]:
    """The rules (promtool) and the custom queries they read (on PostgreSQL)."""
    yield from rule_checks(run)
    yield from monitoring_sql.checks(run)


def rule_checks(run: OperationsRun) -> Iterator[Check]:
    alerts, tests = run.files.get(ALERTS), run.files.get(TESTS)
    if alerts is None or tests is None:
        yield Check(f"{NAME}: alert rules", FAIL, f"the plan wrote no {ALERTS} or {TESTS}")
        return
    yield coverage(alerts, tests)
    promtool = shutil.which("promtool")
    if promtool is None:
        for what in ("promtool check rules", "promtool test rules"):
            yield Check(f"{NAME}: {what}", NOT_TRIED, f"no promtool on this machine ({INSTALL_HINT})")
        return
    with tempfile.TemporaryDirectory(prefix="schemawright-monitoring-") as directory:
        where = Path(directory)
        (where / "alerts.yml").write_text(alerts, encoding="utf-8")
        (where / "alerts_test.yml").write_text(tests, encoding="utf-8")
        run.say("promtool check rules")
        yield _promtool(promtool, ["check", "rules", "alerts.yml"], where, "promtool check rules",
                        f"{_count(alerts)} rules parse")
        run.say("promtool test rules")
        yield _promtool(promtool, ["test", "rules", "alerts_test.yml"], where, "promtool test rules",
                        f"{_cases(tests)} unit tests pass")


def _promtool(promtool: str, args: list[str], cwd: Path, what: str, success: str) -> Check:
    try:
        done = subprocess.run([promtool, *args], cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT_S,
                              check=False)
    except subprocess.TimeoutExpired:
        return Check(f"{NAME}: {what}", FAIL, f"promtool did not finish in {TIMEOUT_S} s")
    if done.returncode == 0:
        return Check(f"{NAME}: {what}", PASS, success)
    output = " ".join((done.stdout + done.stderr).split())
    return Check(f"{NAME}: {what}", FAIL, output[:1500])


def coverage(alerts: str, tests: str) -> Check:
    """Every alert has a unit test where it fires and one where it stays quiet."""
    try:
        rules = [rule for group in yaml.safe_load(alerts)["groups"] for rule in group["rules"]]
        cases = yaml.safe_load(tests)["tests"]
    except (yaml.YAMLError, KeyError, TypeError) as error:
        return Check(f"{NAME}: every alert tested firing and quiet", FAIL, f"unreadable rules or tests: {error}")
    fires: dict[tuple, int] = {}
    quiet: dict[tuple, int] = {}
    for case in cases:
        fed = " ".join(str(s.get("series", "")) for s in case.get("input_series") or [])
        for step in case.get("alert_rule_test", []):
            expected = step.get("exp_alerts") or []
            # A rule with static labels (one per pattern or table) is tested by cases fed its series.
            for key in [k for k in _keys(step["alertname"], rules) if all(f'{n}="{v}"' in fed for n, v in k[1])]:
                if any(_matches(key, a.get("exp_labels", {})) for a in expected):
                    fires[key] = fires.get(key, 0) + 1
                elif not expected:
                    quiet[key] = quiet.get(key, 0) + 1
    missing = [f"{name}{''.join(f' ({v})' for _, v in labels)}: "
               + " and ".join(w for w, book in (("firing", fires), ("quiet", quiet)) if (name, labels) not in book)
               for name, labels in (_key(rule) for rule in rules)
               if (name, labels) not in fires or (name, labels) not in quiet]
    if missing:
        return Check(f"{NAME}: every alert tested firing and quiet", FAIL, "no test of " + "; ".join(missing))
    return Check(f"{NAME}: every alert tested firing and quiet", PASS,
                 f"{len(rules)} alerts, each with a firing and a quiet case")


def _key(rule: dict) -> tuple[str, tuple[tuple[str, str], ...]]:
    """An alert rule told apart by its name and static labels (one rule per pattern or table)."""
    labels = {k: v for k, v in (rule.get("labels") or {}).items() if k != "severity"}
    return rule["alert"], tuple(sorted(labels.items()))


def _keys(name: str, rules: list[dict]) -> list[tuple]:
    return [key for key in map(_key, rules) if key[0] == name]


def _matches(key: tuple, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in key[1])


def _count(alerts: str) -> int:
    return sum(len(group["rules"]) for group in yaml.safe_load(alerts)["groups"])


def _cases(tests: str) -> int:
    return len(yaml.safe_load(tests)["tests"])
