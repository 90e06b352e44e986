"""Did the down migration leave the database exactly as it found it?

A snapshot lists every object a user created in the database: each catalog with an `oid`
column is read for rows with oid >= 16384 (FirstNormalObjectId: everything initdb made
is below it) and named with pg_describe_object().  That covers tables, views, sequences,
types, functions, triggers, extensions, operators, casts, policies, ... without a list to
keep up to date.  Schema owners and privileges and database settings are added, since
a migration can change those on objects that existed before it.

It needs no superuser: spec SQL and this check run as the scratch database's owner.  The
one catalog such a role may not read, pg_user_mapping, is read through its public view.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemawright.database import Database

FIRST_NORMAL_OID = 16384
_CATALOGS = """
SELECT c.relname FROM pg_class c
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'oid' AND NOT a.attisdropped
WHERE c.relnamespace = 'pg_catalog'::regnamespace AND c.relkind = 'r' AND NOT c.relisshared
  AND (has_table_privilege(c.oid, 'SELECT') OR c.relname = ANY(%s))
ORDER BY c.relname
"""
# Catalogs only a superuser may read, and the public view with the same objects (oid, for pg_describe_object).
_VIEWS = {"pg_user_mapping": "(SELECT umid AS oid FROM pg_catalog.pg_user_mappings)"}
# Parts of another object (array types, toast tables, constraint triggers, extension members):
# compared, but not listed when their owner is.
_DEPENDENT = "SELECT 1 FROM pg_depend d WHERE d.classid = '{cat}'::regclass AND d.objid = x.oid AND d.deptype IN ('a', 'i', 'e', 'x')"
_UNSUPPORTED = {"pg_enum"}  # enum labels go with their type; pg_describe_object has no name for them
_EXTRA = """
SELECT 'schema ' || quote_ident(nspname) || ' owned by ' || nspowner::regrole::text
       || ' with privileges ' || coalesce(nspacl::text, 'default'), true
FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'
UNION ALL
SELECT 'database settings ' || array_to_string(setconfig, ', '), true
FROM pg_db_role_setting WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
"""


@dataclass(frozen=True)
class Snapshot:
    objects: frozenset[str]
    top_level: frozenset[str]  # the subset worth naming in a report


def snapshot(db: Database) -> Snapshot:
    parts = []
    for (catalog,) in db.query(_CATALOGS, [list(_VIEWS)]):
        if catalog in _UNSUPPORTED:
            continue
        dependent = _DEPENDENT.format(cat=f"pg_catalog.{catalog}")
        parts.append(
            f"SELECT pg_describe_object('pg_catalog.{catalog}'::regclass, x.oid, 0), NOT EXISTS ({dependent}) "
            f"FROM {_VIEWS.get(catalog, 'pg_catalog.' + catalog)} x WHERE x.oid >= {FIRST_NORMAL_OID}"
        )
    rows = db.query(" UNION ALL ".join(parts) + " UNION ALL " + _EXTRA)
    # Temporary schemas appear when any session uses a temp table; they are not the migration's doing.
    rows = [(name, top) for name, top in rows if name and not name.startswith(("schema pg_temp_", "schema pg_toast_temp_"))]
    return Snapshot(frozenset(n for n, _ in rows), frozenset(n for n, top in rows if top))


@dataclass(frozen=True)
class Difference:
    left_behind: tuple[str, ...]
    removed: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not self.left_behind and not self.removed

    def describe(self, limit: int = 10) -> str:
        parts = []
        for label, items in (("left behind", self.left_behind), ("removed", self.removed)):
            if items:
                shown = ", ".join(items[:limit]) + (f" and {len(items) - limit} more" if len(items) > limit else "")
                parts.append(f"{label}: {shown}")
        return "; ".join(parts)


def compare(before: Snapshot, after: Snapshot) -> Difference:
    """Objects present after but not before, and the reverse; top-level ones named first."""

    def names(extra: frozenset[str], top: frozenset[str]) -> tuple[str, ...]:
        named = sorted(extra & top)
        if not named:
            return tuple(sorted(extra))
        hidden = len(extra) - len(named)
        return tuple(named) + ((f"{hidden} dependent objects",) if hidden else ())

    return Difference(
        names(after.objects - before.objects, after.top_level),
        names(before.objects - after.objects, before.top_level),
    )
