"""validation/at_rest.py: encrypted PII is searched for in every data file of the database, and
found only where it is in clear (a control copy, or a table that leaks it)."""

from __future__ import annotations

import pytest
from helpers import LOCAL_PG15_URL, local_pg15_reachable

from schemawright.database import Database, scratch_database
from schemawright.pipeline import design_from_spec, parse_spec
from schemawright.sql.postgresql import render_up
from schemawright.validation.at_rest import at_rest_checks
from schemawright.validation.plaintext import use_test_key

pytestmark = pytest.mark.skipif(not local_pg15_reachable(), reason="no PostgreSQL 15 on 127.0.0.1:5432 (pgcrypto)")

SPEC = """
project: at_rest_probe
entities:
  Patient:
    attributes:
      full_name: {type: string, max_length: 120, required: true, pii: true}
      ward: {type: string, max_length: 20}
security:
  pii: encrypt
"""


def _checks(leak: bool):
    design = design_from_spec(parse_spec(SPEC, "at_rest.yaml"))
    with scratch_database(LOCAL_PG15_URL) as url, Database(url) as db:
        db.execute(render_up(design))
        use_test_key(db, design)
        db.execute("INSERT INTO patients (full_name, ward) SELECT pii_encrypt('Patient Number ' || n), 'A' "
                   "FROM generate_series(1, 50) n")
        if leak:  # what a careless copy, a log table or a plain index would do
            db.execute("CREATE TABLE notes AS SELECT pii_decrypt(full_name) AS who FROM patients")
        return list(at_rest_checks(db, LOCAL_PG15_URL, design))


def test_encrypted_values_are_nowhere_on_disk() -> None:
    [check] = _checks(leak=False)
    assert check.status == "PASS", check.detail
    assert "absent" in check.detail and "found in a clear control copy" in check.detail


def test_a_plaintext_copy_anywhere_in_the_database_fails() -> None:
    [check] = _checks(leak=True)
    assert check.status == "FAIL" and "full_name in notes" in check.detail, check.detail
