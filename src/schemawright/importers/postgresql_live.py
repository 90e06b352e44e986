"""Import a live PostgreSQL schema from its catalogs, read-only.

The catalogs are read in one READ ONLY transaction with the schema alone on the
search_path, so the server's own deparsers (format_type, pg_get_expr, pg_get_constraintdef,
pg_get_indexdef, pg_get_viewdef, pg_get_functiondef, pg_get_triggerdef) print names
without their schema, exactly as a single-schema model wants them.  Their output is
assembled into DDL and read by the SQL importer, so a live database and a dump of it give
the same Design (pg_dump is built on the same functions).
"""

from __future__ import annotations

from schemawright import model as m
from schemawright.database import Database, DatabaseError, database_name, redact
from schemawright.errors import SpecErrors, SpecIssue
from schemawright.importers.postgresql_sql import import_postgresql_sql
from schemawright.sql.quoting import quote_ident as q
from schemawright.sql.quoting import quote_literal

_NOT_EXTENSION = ("NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = {catalog}::regclass "
                  "AND d.objid = {oid} AND d.deptype = 'e')")


def _not_extension(catalog: str, oid: str) -> str:
    """Objects an extension created belong to CREATE EXTENSION, not to the schema's DDL."""
    return _NOT_EXTENSION.format(catalog=quote_literal(catalog), oid=oid)


def import_postgresql_database(url: str, schema: str = "public") -> m.Design:
    """The Design of one schema of a live PostgreSQL database (12 or later).

    Only reads: the session is READ ONLY.  Connection problems and a missing schema raise
    SpecErrors naming the URL with its password hidden.
    """
    shown = redact(url)
    try:
        with Database(url) as db, db.transaction():
            db.execute("SET TRANSACTION READ ONLY")
            if db.query_value("SELECT count(*) FROM pg_namespace WHERE nspname = %s", [schema]) == 0:
                raise SpecErrors([SpecIssue(shown, 1, 1, f"schema {schema!r} does not exist in this database",
                                            "pass --schema with one of the schemas \\dn lists")])
            db.execute("SELECT set_config('search_path', %s, true)", [q(schema)])
            script, notes = _Catalog(db, schema).script()
            version = db.server_version
    except DatabaseError as error:
        raise SpecErrors([SpecIssue(shown, 1, 1, f"cannot read the database: {error}",
                                    "check the URL, that the server is running, and the user's rights")]) from None
    design = import_postgresql_sql(script, shown, schema=schema)
    source = m.Source(kind="database", url=shown, dialect="postgresql", schema=schema, server_version=version,
                      skipped=design.source.skipped)
    # Notes point at the generated DDL, which the user never sees: locate them at the URL.
    located = tuple(n.model_copy(update={"line": 1, "column": 1}) for n in design.import_notes)
    return design.model_copy(update={
        "project": database_name(url) or "database", "source": source,
        "import_notes": located + tuple(m.ImportNote(line=1, statement=s, reason=r) for s, r in notes),
    })


class _Catalog:
    """Catalog queries, each turned into the DDL pg_dump would write for it."""

    def __init__(self, db: Database, schema: str) -> None:
        self.db, self.schema = db, schema
        self.ns = db.query_value("SELECT oid FROM pg_namespace WHERE nspname = %s", [schema])

    def rows(self, sql: str) -> list[tuple]:
        return self.db.query(sql, {"ns": self.ns})

    def script(self) -> tuple[str, list[tuple[str, str]]]:
        statements: list[str] = []
        notes: list[tuple[str, str]] = []
        for part in (self.extensions, self.enums, self.domains, self.composite_types, self.functions,
                     self.sequences, self.tables, self.views, self.column_settings, self.constraints, self.indexes,
                     self.triggers,
                     self.security, self.comments):
            statements += part()
        notes += self.unread()
        return "\n\n".join(statements) + "\n", notes

    def extensions(self) -> list[str]:
        # Extensions created by initdb (plpgsql) have system oids; pg_dump leaves them out too.
        return [f"CREATE EXTENSION IF NOT EXISTS {q(name)};" for (name,) in self.rows(
            "SELECT extname FROM pg_extension WHERE oid >= 16384 ORDER BY extname COLLATE \"C\"")]

    def enums(self) -> list[str]:
        return [f"CREATE TYPE {q(name)} AS ENUM ({', '.join(quote_literal(v) for v in labels)});"
                for name, labels in self.rows(f"""
            SELECT t.typname, array_agg(e.enumlabel::text ORDER BY e.enumsortorder)
            FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
            WHERE t.typnamespace = %(ns)s AND {_not_extension('pg_type', 't.oid')}
            GROUP BY t.oid, t.typname ORDER BY t.typname COLLATE "C" """)]

    def domains(self) -> list[str]:
        out = []
        for name, base, default, not_null, checks in self.rows(f"""
            SELECT t.typname, format_type(t.typbasetype, t.typtypmod), pg_get_expr(t.typdefaultbin, 0), t.typnotnull,
                   coalesce((SELECT array_agg('CONSTRAINT ' || quote_ident(c.conname) || ' '
                                              || pg_get_constraintdef(c.oid) ORDER BY c.conname COLLATE "C")
                             FROM pg_constraint c WHERE c.contypid = t.oid AND c.contype = 'c'), '{{}}')
            FROM pg_type t WHERE t.typnamespace = %(ns)s AND t.typtype = 'd' AND {_not_extension('pg_type', 't.oid')}
            ORDER BY t.typname COLLATE "C" """):
            sql = f"CREATE DOMAIN {q(name)} AS {base}"
            sql += f" DEFAULT {default}" if default is not None else ""
            sql += " NOT NULL" if not_null else ""
            out.append(sql + "".join(f" {c}" for c in checks) + ";")
        return out

    def composite_types(self) -> list[str]:
        out = []
        for name, attributes in self.rows(f"""
            SELECT t.typname, array_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod)
                                        ORDER BY a.attnum)
            FROM pg_type t JOIN pg_class c ON c.oid = t.typrelid AND c.relkind = 'c'
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE t.typnamespace = %(ns)s AND {_not_extension('pg_type', 't.oid')}
            GROUP BY t.oid, t.typname ORDER BY t.typname COLLATE "C" """):
            out.append(f"CREATE TYPE {q(name)} AS ({', '.join(attributes)});")
        return out

    def functions(self) -> list[str]:
        return [definition.rstrip().rstrip(";") + ";" for (definition,) in self.rows(f"""
            SELECT pg_get_functiondef(p.oid) FROM pg_proc p
            WHERE p.pronamespace = %(ns)s AND p.prokind IN ('f', 'p', 'w') AND {_not_extension('pg_proc', 'p.oid')}
            ORDER BY p.proname COLLATE "C", pg_get_function_identity_arguments(p.oid) COLLATE "C" """)]

    def sequences(self) -> list[str]:
        out = []
        for name, as_type, start, increment, low, high, cache, cycle, owner_schema, owner, column in self.rows(f"""
            SELECT c.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax,
                   s.seqcache, s.seqcycle, tn.nspname, t.relname, a.attname
            FROM pg_class c JOIN pg_sequence s ON s.seqrelid = c.oid
            LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
                 AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
            LEFT JOIN pg_class t ON t.oid = d.refobjid
            LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace
            LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
            WHERE c.relnamespace = %(ns)s AND c.relkind = 'S' AND {_not_extension('pg_class', 'c.oid')}
              AND NOT (d.deptype IS NOT NULL AND d.deptype = 'i')
            ORDER BY c.relname COLLATE "C" """):
            out.append(f"CREATE SEQUENCE {q(name)} AS {as_type} START WITH {start} INCREMENT BY {increment} "
                       f"MINVALUE {low} MAXVALUE {high} CACHE {cache}{' CYCLE' if cycle else ''};")
            if owner is not None:
                out.append(f"ALTER SEQUENCE {q(name)} OWNED BY {q(owner_schema)}.{q(owner)}.{q(column)};")
        return out

    def tables(self) -> list[str]:
        columns: dict[int, list[str]] = {}
        generated = "a.attgenerated" if self.db.server_version >= 120000 else "''"
        for relid, name, sql_type, not_null, default, identity, gen, collation in self.rows(f"""
            SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                   pg_get_expr(ad.adbin, ad.adrelid), a.attidentity, {generated},
                   CASE WHEN a.attcollation <> t.typcollation THEN co.collname END
            FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
            JOIN pg_type t ON t.oid = a.atttypid
            LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
            LEFT JOIN pg_collation co ON co.oid = a.attcollation
            WHERE c.relnamespace = %(ns)s AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
              AND (a.attislocal OR c.relispartition)
            ORDER BY a.attrelid, a.attnum"""):
            sql = f"{q(name)} {sql_type}"
            sql += f' COLLATE "{collation}"' if collation else ""
            if gen in ("s", "v"):
                sql += f" GENERATED ALWAYS AS ({default}) {'STORED' if gen == 's' else 'VIRTUAL'}"
            elif identity in ("a", "d"):
                sql += f" GENERATED {'ALWAYS' if identity == 'a' else 'BY DEFAULT'} AS IDENTITY"
            elif default is not None:
                sql += f" DEFAULT {default}"
            columns.setdefault(relid, []).append(sql + (" NOT NULL" if not_null else ""))
        out = []
        for relid, name, persistence, partition_key, parent, bound, parents, options in self.rows(f"""
            SELECT c.oid, c.relname, c.relpersistence,
                   CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
                   (SELECT quote_ident(pn.nspname) || '.' || quote_ident(p.relname) FROM pg_inherits i
                    JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace
                    WHERE i.inhrelid = c.oid AND c.relispartition),
                   CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END,
                   (SELECT array_agg(quote_ident(pn.nspname) || '.' || quote_ident(p.relname) ORDER BY i.inhseqno)
                    FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
                    JOIN pg_namespace pn ON pn.oid = p.relnamespace
                    WHERE i.inhrelid = c.oid AND NOT c.relispartition),
                   array_to_string(c.reloptions, ', ')
            FROM pg_class c WHERE c.relnamespace = %(ns)s AND c.relkind IN ('r', 'p')
              AND {_not_extension('pg_class', 'c.oid')}
            ORDER BY c.relname COLLATE "C" """):
            if parent is not None:
                out.append(f"CREATE TABLE {q(name)} PARTITION OF {parent} {bound};")
                continue
            unlogged = "UNLOGGED " if persistence == "u" else ""
            sql = f"CREATE {unlogged}TABLE {q(name)} (\n    " + ",\n    ".join(columns.get(relid, [])) + "\n)"
            sql += f" INHERITS ({', '.join(parents)})" if parents else ""
            sql += f" PARTITION BY {partition_key}" if partition_key else ""
            sql += f" WITH ({options})" if options else ""
            out.append(sql + ";")
        return out

    def views(self) -> list[str]:
        out = []
        # Creation order (oid) keeps views that read other views after them.
        for name, kind, definition in self.rows(f"""
            SELECT c.relname, c.relkind, pg_get_viewdef(c.oid) FROM pg_class c
            WHERE c.relnamespace = %(ns)s AND c.relkind IN ('v', 'm') AND {_not_extension('pg_class', 'c.oid')}
            ORDER BY c.oid"""):
            body = definition.strip().rstrip(";")
            if kind == "m":
                out.append(f"CREATE MATERIALIZED VIEW {q(name)} AS\n{body}\nWITH NO DATA;")
            else:
                out.append(f"CREATE VIEW {q(name)} AS\n{body};")
        return out

    def column_settings(self) -> list[str]:
        """Per-column options, statistics targets and storage, written as pg_dump writes them."""
        out = []
        for table, column, options, statistics, storage in self.rows(f"""
            SELECT c.relname, a.attname, array_to_string(a.attoptions, ', '), nullif(a.attstattarget, -1),
                   CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage END
            FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_type t ON t.oid = a.atttypid
            WHERE c.relnamespace = %(ns)s AND c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition
              AND a.attnum > 0 AND NOT a.attisdropped AND {_not_extension('pg_class', 'c.oid')}
              AND (a.attoptions IS NOT NULL OR nullif(a.attstattarget, -1) IS NOT NULL OR a.attstorage <> t.typstorage)
            ORDER BY c.relname COLLATE "C", a.attnum"""):
            alter = f"ALTER TABLE ONLY {q(table)} ALTER COLUMN {q(column)}"
            out += [f"{alter} SET STATISTICS {statistics};"] if statistics is not None else []
            out += [f"{alter} SET ({options});"] if options else []
            storage_name = {"p": "PLAIN", "e": "EXTERNAL", "m": "MAIN", "x": "EXTENDED"}.get(storage or "")
            out += [f"{alter} SET STORAGE {storage_name};"] if storage_name else []
        return out

    def constraints(self) -> list[str]:
        # CHECKs first, then keys, then foreign keys: the order pg_dump writes them in.
        return [f"ALTER TABLE ONLY {q(table)} ADD CONSTRAINT {q(name)} {definition};"
                for table, name, definition in self.rows(f"""
            SELECT t.relname, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c
            JOIN pg_class t ON t.oid = c.conrelid
            WHERE t.relnamespace = %(ns)s AND t.relkind IN ('r', 'p') AND NOT t.relispartition
              AND c.contype IN ('c', 'p', 'u', 'x', 'f') AND c.conislocal AND {_not_extension('pg_class', 't.oid')}
            ORDER BY CASE c.contype WHEN 'c' THEN 0 WHEN 'f' THEN 2 ELSE 1 END,
                     t.relname COLLATE "C", c.conname COLLATE "C" """)]

    def indexes(self) -> list[str]:
        # Indexes that back a primary key, unique or exclusion constraint are that constraint.
        return [definition + ";" for (definition,) in self.rows("""
            SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
            WHERE t.relnamespace = %(ns)s AND t.relkind IN ('r', 'p', 'm') AND NOT t.relispartition
              AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid
                              AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x'))
            ORDER BY c.relname COLLATE "C" """)]

    def triggers(self) -> list[str]:
        return [definition + ";" for (definition,) in self.rows("""
            SELECT pg_get_triggerdef(g.oid) FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
            WHERE c.relnamespace = %(ns)s AND NOT g.tgisinternal AND NOT c.relispartition
            ORDER BY c.relname COLLATE "C", g.tgname COLLATE "C" """)]

    def security(self) -> list[str]:
        out = []
        for name, enabled, forced in self.rows("""
            SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class
            WHERE relnamespace = %(ns)s AND relkind IN ('r', 'p') AND (relrowsecurity OR relforcerowsecurity)
            ORDER BY relname COLLATE "C" """):
            out += [f"ALTER TABLE {q(name)} ENABLE ROW LEVEL SECURITY;"] if enabled else []
            out += [f"ALTER TABLE {q(name)} FORCE ROW LEVEL SECURITY;"] if forced else []
        for name, table, permissive, command, roles, using, check in self.rows("""
            SELECT p.polname, c.relname, p.polpermissive,
                   CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                                 WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
                   CASE WHEN p.polroles = '{0}' THEN ARRAY['PUBLIC']
                        ELSE ARRAY(SELECT quote_ident(rolname) FROM pg_roles WHERE oid = ANY(p.polroles)
                                   ORDER BY rolname) END,
                   pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)
            FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
            WHERE c.relnamespace = %(ns)s ORDER BY c.relname COLLATE "C", p.polname COLLATE "C" """):
            sql = (f"CREATE POLICY {q(name)} ON {q(table)} AS {'PERMISSIVE' if permissive else 'RESTRICTIVE'} "
                   f"FOR {command} TO {', '.join(roles)}")
            sql += f" USING ({using})" if using is not None else ""
            sql += f" WITH CHECK ({check})" if check is not None else ""
            out.append(sql + ";")
        out += [definition for (definition,) in self.rows("""
            SELECT r.definition FROM pg_rules r WHERE r.schemaname = (SELECT nspname FROM pg_namespace
                                                                        WHERE oid = %(ns)s)
            ORDER BY r.tablename COLLATE "C", r.rulename COLLATE "C" """)]
        return out

    def comments(self) -> list[str]:
        out = []
        for kind, name, column, text in self.rows("""
            SELECT CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'i' THEN 'INDEX'
                                  WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
                   quote_ident(c.relname), NULL::text, d.description
            FROM pg_description d JOIN pg_class c ON c.oid = d.objoid AND d.classoid = 'pg_class'::regclass
            WHERE c.relnamespace = %(ns)s AND d.objsubid = 0 AND c.relkind IN ('r', 'p', 'v', 'm', 'i', 'S')
            UNION ALL
            SELECT 'COLUMN', quote_ident(c.relname), quote_ident(a.attname), d.description
            FROM pg_description d JOIN pg_class c ON c.oid = d.objoid AND d.classoid = 'pg_class'::regclass
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid
            WHERE c.relnamespace = %(ns)s AND d.objsubid > 0 AND c.relkind IN ('r', 'p')
            UNION ALL
            SELECT 'CONSTRAINT', quote_ident(k.conname), quote_ident(t.relname), d.description
            FROM pg_description d JOIN pg_constraint k ON k.oid = d.objoid AND d.classoid = 'pg_constraint'::regclass
            JOIN pg_class t ON t.oid = k.conrelid WHERE t.relnamespace = %(ns)s
            UNION ALL
            SELECT CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, quote_ident(t.typname), NULL, d.description
            FROM pg_description d JOIN pg_type t ON t.oid = d.objoid AND d.classoid = 'pg_type'::regclass
            WHERE t.typnamespace = %(ns)s
            UNION ALL
            SELECT CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END,
                   quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')', NULL,
                   d.description
            FROM pg_description d JOIN pg_proc p ON p.oid = d.objoid AND d.classoid = 'pg_proc'::regclass
            WHERE p.pronamespace = %(ns)s AND p.prokind IN ('f', 'p', 'w')
            ORDER BY 1, 2, 3"""):
            if kind == "COLUMN":
                target = f"COLUMN {name}.{column}"
            elif kind == "CONSTRAINT":
                target = f"CONSTRAINT {name} ON {column}"
            else:
                target = f"{kind} {name}"
            out.append(f"COMMENT ON {target} IS {quote_literal(text)};")
        return out

    def unread(self) -> list[tuple[str, str]]:
        """Kinds of objects this importer does not read, so their absence is never silent."""
        notes = []
        for kind, count in self.rows(f"""
            SELECT 'aggregate', count(*) FROM pg_proc p WHERE p.pronamespace = %(ns)s AND p.prokind = 'a'
                   AND {_not_extension('pg_proc', 'p.oid')}
            UNION ALL SELECT 'operator', count(*) FROM pg_operator o WHERE o.oprnamespace = %(ns)s
                   AND {_not_extension('pg_operator', 'o.oid')}
            UNION ALL SELECT 'range type', count(*) FROM pg_type t WHERE t.typnamespace = %(ns)s AND t.typtype = 'r'
                   AND {_not_extension('pg_type', 't.oid')}
            UNION ALL SELECT 'collation', count(*) FROM pg_collation c WHERE c.collnamespace = %(ns)s
                   AND {_not_extension('pg_collation', 'c.oid')}
            UNION ALL SELECT 'foreign table', count(*) FROM pg_class c WHERE c.relnamespace = %(ns)s AND c.relkind = 'f'
            UNION ALL SELECT 'text search configuration', count(*) FROM pg_ts_config c WHERE c.cfgnamespace = %(ns)s
                   AND {_not_extension('pg_ts_config', 'c.oid')}"""):
            if count:
                notes.append((f"{count} {kind}(s) in schema {self.schema}",
                              f"{kind}s are not read from the catalogs; import a pg_dump of the schema to keep them"))
        return notes
