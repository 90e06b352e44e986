"""Located errors for names PostgreSQL refuses when it creates a spec's constraints and
relations: a column named twice in one key, an exclusion naming a column its table does not
have, a view or materialized view named like a table (tables and views share one namespace),
and an `extensions:` entry that is not an extension schemawright knows.

Extensions: whether a server has one is only known on that server, so `check` cannot ask.
It accepts the extensions PostgreSQL ships (contrib) and widely used ones, and refuses any
other name, with the nearest known one as a hint: a misspelt name (`pg_trgm1`) would
otherwise be found only when the schema is applied.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pglast

from schemawright import model as m
from schemawright.errors import SpecIssue, did_you_mean
from schemawright.naming import fit
from schemawright.requirements.spec import Spec

if TYPE_CHECKING:
    from schemawright.requirements.loader import Locator

# Every extension of PostgreSQL's contrib (versions 13 to 17), and procedural languages.
CONTRIB = frozenset("""
adminpack amcheck autoinc bloom bool_plperl bool_plperlu btree_gin btree_gist citext cube dblink dict_int
dict_xsyn earthdistance file_fdw fuzzystrmatch hstore hstore_plperl hstore_plperlu hstore_plpython3u
insert_username intagg intarray isn jsonb_plperl jsonb_plperlu jsonb_plpython3u lo ltree ltree_plpython3u
moddatetime old_snapshot pageinspect pg_buffercache pg_freespacemap pg_logicalinspect pg_prewarm
pg_stat_statements pg_surgery pg_trgm pg_visibility pg_walinspect pgcrypto pgrowlocks pgstattuple plperl
plperlu plpgsql plpython3u pltcl pltclu postgres_fdw refint seg sslinfo tablefunc tcn tsm_system_rows
tsm_system_time unaccent uuid-ossp xml2
""".split())
# Widely used extensions packaged outside PostgreSQL (by their CREATE EXTENSION names).
WELL_KNOWN = frozenset("""
address_standardizer address_standardizer_data_us age anon citus h3 h3_postgis hll hypopg ip4r
mysql_fdw oracle_fdw orafce periods pg_bigm pg_cron pg_hint_plan pg_ivm pg_jsonschema pg_partman pg_qualstats
pg_repack pg_similarity pg_squeeze pg_stat_kcache pg_tle pg_uuidv7 pg_wait_sampling pgaudit pglogical pgmq
pgroonga pgrouting pgsodium pgtap plpgsql_check plv8 postgis postgis_raster postgis_sfcgal postgis_tiger_geocoder
postgis_topology prefix rum semver set_user tds_fdw temporal_tables timescaledb topn vector
""".split())
KNOWN_EXTENSIONS = CONTRIB | WELL_KNOWN


def constraint_problems(spec: Spec, design: m.Design, at: Locator) -> list[SpecIssue]:
    """`design`: the logical tables of `spec` (with audit columns)."""
    return _repeated_columns(spec, at) + _exclusion_columns(spec, design, at) + _relation_names(spec, design, at) + \
        extension_problems(spec, at)


def extension_problems(spec: Spec, at: Locator) -> list[SpecIssue]:
    out: list[SpecIssue] = []
    for i, name in enumerate(spec.extensions):
        if name in KNOWN_EXTENSIONS:
            continue
        out.append(at.issue(("extensions", i), f"extension {name!r} is not an extension schemawright knows, so the "
                            "schema might not apply: a server has only the extensions installed on it",
                            did_you_mean(name, sorted(KNOWN_EXTENSIONS)) or
                            "name one PostgreSQL ships (pg_trgm, citext, hstore, pgcrypto, uuid-ossp, btree_gist ...) "
                            "or a widely used one (postgis, vector, timescaledb, pg_cron ...), spelled as in CREATE "
                            "EXTENSION"))
    return out


def _repeated_columns(spec: Spec, at: Locator) -> list[SpecIssue]:
    """A column listed twice in a primary key, a unique rule or a foreign key."""
    lists: list[tuple[tuple, str, list[str] | None]] = [
        (("entities", e, "primary_key"), "the primary key", entity.primary_key) for e, entity in spec.entities.items()]
    lists += [(("rules", i, "unique"), f"unique rule {rule.name!r}", rule.unique) for i, rule in enumerate(spec.rules)]
    for i, rel in enumerate(spec.relationships):
        lists += [(("relationships", i, key), f"the foreign key's `{key}:`", getattr(rel, key))
                  for key in ("columns", "references")]
    out: list[SpecIssue] = []
    for path, what, names in lists:
        seen: set[str] = set()
        for j, name in enumerate(names or ()):
            if name in seen:
                out.append(at.issue(path + (j,), f"{what} names column {name!r} twice, which PostgreSQL refuses",
                                    "name each column once"))
            seen.add(name)
    return out


def _exclusion_columns(spec: Spec, design: m.Design, at: Locator) -> list[SpecIssue]:
    out: list[SpecIssue] = []
    for name, entity in spec.entities.items():
        table = design.table_for_entity(name)
        if table is None:
            continue
        columns = [c.name for c in table.columns]
        for i, exclusion in enumerate(entity.exclusions):
            for column in dict.fromkeys(_exclusion_names(exclusion.definition)):
                if column not in columns:
                    out.append(at.issue(("entities", name, "exclusions", i, "definition"),
                                        f"exclusion {exclusion.definition!r} names column {column!r}, which table "
                                        f"{table.name!r} does not have",
                                        did_you_mean(column, columns) or f"columns: {', '.join(columns)}"))
    return out


def _exclusion_names(definition: str) -> list[str]:
    """The columns an exclusion reads: its elements, their expressions, INCLUDE and WHERE.
    Text that does not parse is reported by sql_fragments.py and names nothing here."""
    try:
        statement = pglast.parse_sql(f"CREATE TABLE t (CONSTRAINT x EXCLUDE {definition})")[0].stmt
        constraint = statement.tableElts[0](skip_none=True)
    except (pglast.parser.ParseError, AttributeError, IndexError, TypeError):
        return []
    names = [s["sval"] for s in constraint.get("including") or () if isinstance(s, dict) and "sval" in s]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("@") == "IndexElem" and node.get("name"):
                names.append(node["name"])
            if node.get("@") == "ColumnRef":
                last = (node.get("fields") or ({},))[-1]
                if isinstance(last, dict) and last.get("sval"):
                    names.append(last["sval"])
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                walk(value)

    walk([constraint.get("exclusions"), constraint.get("where_clause")])
    return names


def _relation_names(spec: Spec, design: m.Design, at: Locator) -> list[SpecIssue]:
    """Views, materialized views and summary tables take names from the namespace of tables."""
    owners = {t.name: f"table {t.name}" + (f" (entity {t.entity})" if t.entity else "") for t in design.tables}
    named = [(("views", i, "name"), "view", view.name) for i, view in enumerate(spec.views)]
    named += [(("denormalizations", i, "name"), item.kind.replace("_", " "), fit(item.name))
              for i, item in enumerate(spec.denormalizations) if item.kind in ("materialized_view", "summary_table")]
    out: list[SpecIssue] = []
    for path, what, name in named:
        if name in owners:
            out.append(at.issue(path, f"{what} {name!r} has the name of {owners[name]}: PostgreSQL keeps tables "
                                "and views in one namespace", "give it another name"))
        else:
            owners[name] = f"the {what} {name}"
    return out
