"""tests/pgtap/constraints.sql: the QA checks as a pgTAP suite for `pg_prove`.

One assertion per attempt (`is(have, want)`, or `skip()` when an optional attempt finds
nothing to try), then pgTAP's own structure assertions where it has one (has_table,
col_not_null, col_is_pk, col_is_unique, fk_ok, has_index) and sw_has() where it has none
(checks and exclusions by name and validated, unique indexes, triggers enabled).
"""

from __future__ import annotations

from schemawright import model as m
from schemawright.qa.checks import Proof, Structure, header, one_line, suite
from schemawright.qa.functions import ATTEMPT_FUNCTION, HAS_FUNCTION, IMPLIED, NOTHING
from schemawright.sql.quoting import quote_literal as lit


def to_pgtap(design: m.Design) -> str:
    found = suite(design)
    lines = header(design, found, "pgTAP suite", "pg_prove -d <database> tests/pgtap/constraints.sql")
    lines += ["-- Needs the pgtap extension: created here if missing (rolled back with the rest).", "",
              "BEGIN;", "CREATE EXTENSION IF NOT EXISTS pgtap;", f"SELECT plan({found.count});", "",
              ATTEMPT_FUNCTION, "", HAS_FUNCTION, "", "-- Attempts"]
    lines += [_proof(p) for p in found.proofs]
    lines += ["", "-- Structure"]
    lines += [_structure(s) for s in found.structure]
    lines += ["", "SELECT * FROM finish();", "ROLLBACK;"]
    return "\n".join(lines) + "\n"


def _proof(proof: Proof) -> str:
    said = lit(proof.description)
    if not proof.optional and not proof.may_be_implied:
        return f"SELECT is({proof.have},\n    {lit(proof.want)}, {said});"
    cases = []
    if proof.optional:  # nothing to try: skipped, it proves again what another attempt proved
        cases.append(f"WHEN have LIKE '{NOTHING}%' THEN skip({lit(proof.description + ': nothing to try in this data')}"
                     ", 1)")
    if proof.may_be_implied:  # every value breaking this CHECK breaks another first: that one speaks
        cases.append(f"WHEN have LIKE '{IMPLIED}%' THEN pass({said} || ' (' || have || ')')")
    return (f"SELECT CASE {' '.join(cases)}\n    ELSE is(have, {lit(proof.want)}, {said}) END\n"
            f"FROM (SELECT {proof.have} AS have) AS sw;")


def _names(columns: tuple[str, ...]) -> str:
    return "ARRAY[" + ", ".join(f"{lit(c)}::name" for c in columns) + "]"


def _structure(check: Structure) -> str:
    t, said = lit(check.table), lit(one_line(check.description))
    if check.kind == "table":
        return f"SELECT has_table({t}::name, {said});"
    if check.kind == "not null":
        return f"SELECT col_not_null({t}::name, {lit(check.name)}::name, {said});"
    if check.kind == "p":
        return f"SELECT col_is_pk({t}::name, {_names(check.columns)}, {said});"
    if check.kind == "u":
        return f"SELECT col_is_unique({t}::name, {_names(check.columns)}, {said});"
    if check.kind == "f":
        return (f"SELECT fk_ok({t}::name, {_names(check.columns)}, {lit(check.ref_table)}::name, "
                f"{_names(check.ref_columns)}, {said});")
    if check.kind == "index":
        return f"SELECT has_index({t}::name, {lit(check.name)}::name, {said}::text);"
    return f"SELECT is({check.have}, 'ok', {said});"
