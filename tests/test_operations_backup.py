"""Backup plan (scaling/backup.py) and its point-in-time recovery proof with pgBackRest on PostgreSQL 15."""

from __future__ import annotations

import configparser
import shutil
from pathlib import Path

import pytest

from schemawright import model as m
from schemawright.database.configured_server import debian_binaries
from schemawright.pipeline import design_file
from schemawright.scaling.backup import ARCHIVE_CONF, PGBACKREST_CONF, BackupPlan
from schemawright.scaling.plan import operations_files, plan_operations
from schemawright.validation.operations import backup_proof
from schemawright.validation.operations.backup_proof import Restore, _time_check
from schemawright.validation.operations.context import OperationsRun
from schemawright.validation.report import FAIL, NOT_TRIED, PASS

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
needs_tools = pytest.mark.skipif(debian_binaries(major=15) is None or shutil.which("pgbackrest") is None,
                                 reason="no PostgreSQL 15 binaries or no pgbackrest")
SCALE = 0.0005


@pytest.fixture(scope="module")
def shop() -> m.Design:
    return design_file(EXAMPLES / "shop.yaml")


def _with(design: m.Design, **operations: object) -> m.Design:
    return design.model_copy(update={"operations": design.operations.model_copy(update=operations)})


def _plan(design: m.Design) -> BackupPlan:
    return plan_operations(design).section("backup", BackupPlan)


def test_pgbackrest_conf_parses_and_archives_to_its_own_stanza(shop: m.Design) -> None:
    plan = _plan(shop)
    files = plan.files()
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(files[PGBACKREST_CONF])
    assert parser.sections() == ["global", "shop"]
    assert parser["global"]["repo1-retention-full-type"] == "time"
    assert parser["global"]["repo1-cipher-type"] == "aes-256-cbc"  # shop holds PII
    assert "archive_command = 'pgbackrest --stanza=shop archive-push %p'" in files[ARCHIVE_CONF]


def test_retention_stated_or_two_weeks_and_warned_past_the_data_retention(shop: m.Design) -> None:
    assert _plan(_with(shop, backup_retention_days=35)).retention_days == 35
    assert _plan(shop).retention_days == 14
    one_month = tuple(v.model_copy(update={"retention_months": 1}) for v in shop.volumes)
    plan = _plan(_with(shop.model_copy(update={"volumes": one_month}), backup_retention_days=45))
    assert plan.retention_days == 45 and "restorable up to 15 days past it" in plan.retention_reason


def test_archive_timeout_is_bounded_by_the_rpo_only_without_a_replica(shop: m.Design) -> None:
    assert _plan(_with(shop, replicas=0, rpo_seconds=30)).archive_timeout_s == 30
    assert "archive_timeout = 30" in _plan(_with(shop, replicas=0, rpo_seconds=30)).files()[ARCHIVE_CONF]
    assert _plan(_with(shop, replicas=2, rpo_seconds=5)).archive_timeout_s == 60


def test_schedule_follows_sizes(shop: m.Design) -> None:
    plan = _plan(shop)  # 54 GiB at 12 months, ~98 GiB of WAL a day
    assert plan.full_daily and plan.incremental_hours is not None and plan.incremental_hours < 24
    text = "\n".join(plan.markdown())
    assert "--type=incr" in text and "Restore runbook" in text and "--type=name" in text


def _restore(seconds: float) -> Restore:
    return Restore(seconds=seconds + 1, copy_seconds=seconds, database_bytes=100 * 1024**2, rows=300, rows_expected=300,
                   wrong_ids=0)


def test_restore_time_is_held_to_the_rto_without_a_replica(shop: m.Design) -> None:
    plan = _plan(_with(shop, replicas=0, rto_seconds=3600))  # 54 GiB + WAL at 100 MiB/s: ~11 min
    assert _time_check(_restore(1.0), plan, 0.001).status == PASS
    assert _time_check(_restore(10.0), plan, 0.001).status == FAIL  # 10 MiB/s: ~2 h
    with_replicas = _plan(_with(shop, replicas=2, rto_seconds=3600))
    check = _time_check(_restore(10.0), with_replicas, 0.001)
    assert check.status == PASS and "failover covers the RTO" in check.detail


def test_not_tried_without_pgbackrest(shop: m.Design, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backup_proof.shutil, "which", lambda _name: None)
    assert [c.status for c in backup_proof.checks(OperationsRun(shop, operations_files(shop)))] == [NOT_TRIED]


@needs_tools
def test_point_in_time_restore_has_exactly_the_rows_before_the_point(shop: m.Design) -> None:
    design = _with(shop, replicas=0, rto_seconds=60)
    found = list(backup_proof.checks(OperationsRun(design, operations_files(design), scale=SCALE)))
    rows, timing = found
    assert rows.status == PASS, rows.detail
    assert "300 ledger rows on the restored server" in rows.detail
    assert timing.status == FAIL and "RTO 60 s" in timing.detail  # 54 GiB cannot be restored in a minute here


@needs_tools
def test_a_restore_target_after_the_later_writes_fails_the_row_count(shop: m.Design) -> None:
    found = list(backup_proof.checks(OperationsRun(shop, operations_files(shop), scale=SCALE),
                                     restore_point_after_later_writes=True))
    assert found[0].status == FAIL and "500 ledger rows" in found[0].detail, found[0].detail
