"""The helper functions both QA suites create in pg_temp (gone with the session).

sw_attempt(sql) runs one attempt and says how it ended; sw_has(kind, table, name) says
whether an object is there and working.
"""

from __future__ import annotations

from schemawright.validation.attempts import NOTHING

UNDONE = "SWUND"  # sentinel raised after an attempt succeeded, so its changes are rolled back
IMPLIED = "implied by "  # sw_attempt's answer for a CHECK that every breaking value breaks another first

# One attempt in a subtransaction that is always rolled back (a success raises the sentinel),
# so no attempt sees another's changes.  It says 'ok', '<SQLSTATE> <constraint>',
# '<SQLSTATE>: <message>' or 'implied by <check>' (validation.rule_proofs judges the same way).
ATTEMPT_FUNCTION = f"""CREATE FUNCTION pg_temp.sw_attempt(attempt text) RETURNS text LANGUAGE plpgsql AS $sw$
DECLARE
    sw_state text;
    sw_constraint text;
    sw_schema text;
    sw_message text;
    sw_root text;
    sw_mode record;
BEGIN
    BEGIN
        EXECUTE attempt;
        RAISE EXCEPTION 'the attempt succeeded: undo it' USING ERRCODE = '{UNDONE}';
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS sw_state = RETURNED_SQLSTATE, sw_constraint = CONSTRAINT_NAME,
                                sw_schema = SCHEMA_NAME, sw_message = MESSAGE_TEXT;
    END;
    -- A SET CONSTRAINTS made in a block that ended normally inside the attempt outlives the
    -- rollback (PostgreSQL 15 restores the mode only for the subtransaction that changed it):
    -- put every deferrable constraint back to its declared mode for the next attempt.
    FOR sw_mode IN SELECT c.condeferred, string_agg(format('%I.%I', n.nspname, c.conname), ', ') AS names
                   FROM pg_catalog.pg_constraint AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.connamespace
                   WHERE c.condeferrable GROUP BY c.condeferred LOOP
        EXECUTE 'SET CONSTRAINTS ' || sw_mode.names || CASE WHEN sw_mode.condeferred THEN ' DEFERRED'
                                                             ELSE ' IMMEDIATE' END;
    END LOOP;
    IF sw_state = '{UNDONE}' THEN
        RETURN 'ok';
    ELSIF sw_state = '{NOTHING}' AND sw_message ~ ' alone [(]last refused by .*violates check constraint "' THEN
        -- Every value tried that breaks this CHECK breaks another one first: that one implies it.
        RETURN '{IMPLIED}' || substring(sw_message from 'violates check constraint "([^"]+)"');
    ELSIF sw_constraint <> '' THEN
        -- A key of a partitioned table speaks with its partition's index name: say the table's.
        WITH RECURSIVE up (idx) AS (
            SELECT c.oid FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
            WHERE c.relname = sw_constraint AND n.nspname = sw_schema AND c.relkind = 'i'
            UNION ALL
            SELECT i.inhparent FROM up JOIN pg_catalog.pg_inherits AS i ON i.inhrelid = up.idx)
        SELECT c.relname INTO sw_root FROM up JOIN pg_catalog.pg_class AS c ON c.oid = up.idx
        WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits AS i WHERE i.inhrelid = up.idx);
        RETURN sw_state || ' ' || coalesce(sw_root, sw_constraint);
    END IF;
    RETURN sw_state || ': ' || sw_message;
END
$sw$;"""

# 'ok' when the named object is there and working: a constraint validated, an index valid
# (and unique when asked), a trigger enabled, a column NOT NULL; else what is wrong.
HAS_FUNCTION = """CREATE FUNCTION pg_temp.sw_has(kind text, tab text, object text) RETURNS text LANGUAGE sql AS $sw$
SELECT CASE
    WHEN to_regclass(tab) IS NULL THEN 'no table ' || tab
    WHEN kind = 'table' THEN 'ok'
    WHEN kind IN ('p', 'u', 'f', 'c', 'x') THEN coalesce((
        SELECT CASE WHEN contype::text <> kind THEN 'a constraint of another kind'
                    WHEN NOT convalidated THEN 'NOT VALID' ELSE 'ok' END
        FROM pg_catalog.pg_constraint WHERE conrelid = to_regclass(tab) AND conname = object), 'missing')
    WHEN kind IN ('index', 'unique index') THEN coalesce((
        SELECT CASE WHEN NOT i.indisvalid THEN 'invalid' WHEN kind = 'unique index' AND NOT i.indisunique
                    THEN 'not unique' ELSE 'ok' END
        FROM pg_catalog.pg_index AS i JOIN pg_catalog.pg_class AS c ON c.oid = i.indexrelid
        WHERE i.indrelid = to_regclass(tab) AND c.relname = object), 'missing')
    WHEN kind = 'trigger' THEN coalesce((
        SELECT CASE WHEN tgenabled IN ('O', 'A') THEN 'ok' ELSE 'disabled' END
        FROM pg_catalog.pg_trigger WHERE tgrelid = to_regclass(tab) AND tgname = object AND NOT tgisinternal),
        'missing')
    WHEN kind = 'not null' THEN coalesce((
        SELECT CASE WHEN attnotnull THEN 'ok' ELSE 'nullable' END
        FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass(tab) AND attname = object AND NOT attisdropped),
        'missing')
    ELSE 'unknown kind ' || kind
END
$sw$;"""
