"""tests/sql/constraints.sql: the same checks as the pgTAP suite in plain SQL for psql.

No extension needed: sw_expect() records each outcome in a temporary table and raises at the
first wrong one, so `psql -v ON_ERROR_STOP=1` exits non-zero naming it; the last statement
prints the summary line.  Everything runs in one transaction that is rolled back.
"""

from __future__ import annotations

from schemawright import model as m
from schemawright.qa.checks import header, one_line, suite
from schemawright.qa.functions import ATTEMPT_FUNCTION, HAS_FUNCTION, IMPLIED, NOTHING
from schemawright.sql.quoting import quote_literal as lit

# Records one outcome, or raises naming the check (and its data) when it is wrong.
EXPECT_FUNCTION = f"""CREATE FUNCTION pg_temp.sw_expect(n integer, description text, have text, want text,
                                 optional boolean DEFAULT false, implied boolean DEFAULT false)
RETURNS text LANGUAGE plpgsql AS $sw$
BEGIN
    IF have = want THEN
        INSERT INTO pg_temp.sw_results VALUES (n, description, 'passed');
        RETURN 'ok ' || n || ' - ' || description;
    ELSIF optional AND have LIKE '{NOTHING}%' THEN
        INSERT INTO pg_temp.sw_results VALUES (n, description, 'skipped');
        RETURN 'ok ' || n || ' - ' || description || ' # SKIP nothing to try in this data';
    ELSIF implied AND have LIKE '{IMPLIED}%' THEN
        INSERT INTO pg_temp.sw_results VALUES (n, description, 'passed');
        RETURN 'ok ' || n || ' - ' || description || ' (' || have || ')';
    END IF;
    RAISE EXCEPTION 'check % failed: %', n, description
        USING DETAIL = 'got: ' || coalesce(have, 'NULL') || '; expected: ' || want,
              HINT = CASE WHEN have LIKE '{NOTHING}%' THEN 'the data offered nothing to try: load rows first'
                          WHEN want = 'ok' THEN 'a valid operation was refused'
                          WHEN have = 'ok' THEN 'the database accepted a violation: is the constraint there?'
                          ELSE 'refused, but not by the expected constraint' END;
END
$sw$;"""

RESULTS_TABLE = "CREATE TEMPORARY TABLE sw_results (n integer PRIMARY KEY, description text, outcome text);"

SUMMARY = """SELECT format('%s checks: %s passed, %s skipped (optional, nothing to try in this data)',
              count(*), count(*) FILTER (WHERE outcome = 'passed'), count(*) FILTER (WHERE outcome = 'skipped'))
       AS summary
FROM pg_temp.sw_results;"""


def to_plain_sql(design: m.Design) -> str:
    found = suite(design)
    run = "psql -X -v ON_ERROR_STOP=1 -f tests/sql/constraints.sql <database>"
    lines = header(design, found, "Plain-SQL suite (no extension)", run)
    lines += ["-- It stops at the first check with the wrong outcome (psql exits 3) and names it.", "",
              "\\set ON_ERROR_STOP on", "\\set QUIET on", "\\pset tuples_only on", "\\pset format unaligned", "",
              "BEGIN;", RESULTS_TABLE, "", ATTEMPT_FUNCTION, "", HAS_FUNCTION, "", EXPECT_FUNCTION, "", "-- Attempts"]
    n = 0
    for proof in found.proofs:
        n += 1
        flags = (", optional => true" if proof.optional else "") + (", implied => true" if proof.may_be_implied else "")
        lines.append(f"SELECT pg_temp.sw_expect({n}, {lit(proof.description)},\n    {proof.have},\n"
                     f"    {lit(proof.want)}{flags});")
    lines += ["", "-- Structure"]
    for check in found.structure:
        n += 1
        lines.append(f"SELECT pg_temp.sw_expect({n}, {lit(one_line(check.description))}, {check.have}, 'ok');")
    lines += ["", SUMMARY, "ROLLBACK;"]
    return "\n".join(lines) + "\n"
