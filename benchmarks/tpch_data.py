"""TPC-H for the index advisor benchmark: data and the 22 queries from DuckDB's tpch extension.

Both come from PyPI, pinned in the `bench` extra: `duckdb` and `duckdb-extension-tpch` (the
extension's wheel is built for exactly one duckdb version, so both are pinned to it).  The
extension's `dbgen(sf=...)` writes the tables, `tpch_queries()` gives the query texts.

`load(server_url, sf)` creates the database `tpch_sf<sf>` (`tpch_sf0_1`, `tpch_sf1`) on the
server, with the TPC-H primary keys, COPYs the rows in and runs ANALYZE.  A database whose
load completed (a comment on `lineitem` says so) is reused: generating and loading SF1 takes
about a minute.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from schemawright.database import Database, with_database
from schemawright.sql.quoting import quote_ident, quote_literal

DUCKDB_VERSION = "1.5.5"  # must equal the duckdb-extension-tpch version (one binary per duckdb release)

# TPC-H specification, clause 1.4: column types and primary keys.
DDL = {
    "region": "r_regionkey integer PRIMARY KEY, r_name char(25) NOT NULL, r_comment varchar(152)",
    "nation": "n_nationkey integer PRIMARY KEY, n_name char(25) NOT NULL, n_regionkey integer NOT NULL, "
              "n_comment varchar(152)",
    "part": "p_partkey integer PRIMARY KEY, p_name varchar(55) NOT NULL, p_mfgr char(25) NOT NULL, "
            "p_brand char(10) NOT NULL, p_type varchar(25) NOT NULL, p_size integer NOT NULL, "
            "p_container char(10) NOT NULL, p_retailprice decimal(15,2) NOT NULL, p_comment varchar(23) NOT NULL",
    "supplier": "s_suppkey integer PRIMARY KEY, s_name char(25) NOT NULL, s_address varchar(40) NOT NULL, "
                "s_nationkey integer NOT NULL, s_phone char(15) NOT NULL, s_acctbal decimal(15,2) NOT NULL, "
                "s_comment varchar(101) NOT NULL",
    "partsupp": "ps_partkey integer NOT NULL, ps_suppkey integer NOT NULL, ps_availqty integer NOT NULL, "
                "ps_supplycost decimal(15,2) NOT NULL, ps_comment varchar(199) NOT NULL, "
                "PRIMARY KEY (ps_partkey, ps_suppkey)",
    "customer": "c_custkey integer PRIMARY KEY, c_name varchar(25) NOT NULL, c_address varchar(40) NOT NULL, "
                "c_nationkey integer NOT NULL, c_phone char(15) NOT NULL, c_acctbal decimal(15,2) NOT NULL, "
                "c_mktsegment char(10) NOT NULL, c_comment varchar(117) NOT NULL",
    "orders": "o_orderkey integer PRIMARY KEY, o_custkey integer NOT NULL, o_orderstatus char(1) NOT NULL, "
              "o_totalprice decimal(15,2) NOT NULL, o_orderdate date NOT NULL, o_orderpriority char(15) NOT NULL, "
              "o_clerk char(15) NOT NULL, o_shippriority integer NOT NULL, o_comment varchar(79) NOT NULL",
    "lineitem": "l_orderkey integer NOT NULL, l_partkey integer NOT NULL, l_suppkey integer NOT NULL, "
                "l_linenumber integer NOT NULL, l_quantity decimal(15,2) NOT NULL, "
                "l_extendedprice decimal(15,2) NOT NULL, l_discount decimal(15,2) NOT NULL, "
                "l_tax decimal(15,2) NOT NULL, l_returnflag char(1) NOT NULL, l_linestatus char(1) NOT NULL, "
                "l_shipdate date NOT NULL, l_commitdate date NOT NULL, l_receiptdate date NOT NULL, "
                "l_shipinstruct char(25) NOT NULL, l_shipmode char(10) NOT NULL, l_comment varchar(44) NOT NULL, "
                "PRIMARY KEY (l_orderkey, l_linenumber)",
}
CHUNK = 1 << 20


def _duckdb():
    """A DuckDB connection with the tpch extension from the `duckdb-extension-tpch` wheel loaded
    (never downloaded: DuckDB's own INSTALL would fetch it from the network)."""
    try:
        import duckdb
        import duckdb_extension_tpch
    except ImportError:
        raise SystemExit("the benchmark needs the bench extra: pip install -e '.[bench]'") from None
    if duckdb.__version__ != DUCKDB_VERSION:
        raise SystemExit(f"duckdb {duckdb.__version__} is installed; the tpch extension wheel needs {DUCKDB_VERSION}: "
                         "pip install -e '.[bench]'")
    binary = Path(duckdb_extension_tpch.__file__).parent / "extensions" / f"v{DUCKDB_VERSION}" / "tpch.duckdb_extension"
    con = duckdb.connect()
    con.execute(f"LOAD '{binary}'")
    return con


def tpch_queries() -> list[tuple[str, str]]:
    """The 22 queries as (name `q01`..`q22`, SQL without the trailing `;`)."""
    rows = _duckdb().execute("SELECT query_nr, query FROM tpch_queries() ORDER BY query_nr").fetchall()
    return [(f"q{nr:02d}", sql.strip().rstrip(";").strip()) for nr, sql in rows]


def database_for(sf: float) -> str:
    return "tpch_sf" + f"{sf:g}".replace(".", "_")


def _marker(sf: float) -> str:
    return f"TPC-H SF {sf:g}, loaded completely"


def _loaded(db: Database, sf: float) -> bool:
    """The last step of a load marks `lineitem` (an interrupted load leaves no mark)."""
    present = db.query_value("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = ANY(%s)",
                             [list(DDL)])
    return present == len(DDL) and db.query_value("SELECT obj_description('lineitem'::regclass)") == _marker(sf)


def load(server_url: str, sf: float, say=print) -> str:
    """The URL of a database holding TPC-H at scale factor `sf` (created and loaded when needed)."""
    name = database_for(sf)
    url = with_database(server_url, name)
    with Database(server_url) as admin:
        if not admin.query_value("SELECT 1 FROM pg_database WHERE datname = %s", [name]):
            admin.execute(f"CREATE DATABASE {quote_ident(name)} TEMPLATE template0 ENCODING 'UTF8'")
    with Database(url) as db:
        if _loaded(db, sf):
            say(f"{name}: already loaded")
            return url
        con = _duckdb()
        con.execute(f"CALL dbgen(sf={sf})")
        say(f"{name}: loading TPC-H SF {sf:g}")
        with tempfile.TemporaryDirectory(prefix="tpch_") as tmp:
            for table, columns in DDL.items():
                db.execute(f"DROP TABLE IF EXISTS {quote_ident(table)}")
                # The primary key comes after the COPY: one sorted build is faster than per-row upkeep.
                plain, key = _split_key(columns)
                db.execute(f"CREATE TABLE {quote_ident(table)} ({plain})")
                path = Path(tmp) / f"{table}.csv"
                con.execute(f"COPY {table} TO '{path}' (FORMAT csv, DELIMITER '|', HEADER false)")
                db.copy_in(f"COPY {quote_ident(table)} FROM STDIN WITH (FORMAT csv, DELIMITER '|')",
                           _chunks(path))
                path.unlink()
                db.execute(f"ALTER TABLE {quote_ident(table)} ADD PRIMARY KEY ({key})")
                db.execute(f"ANALYZE {quote_ident(table)}")
        db.execute(f"COMMENT ON TABLE lineitem IS {quote_literal(_marker(sf))}")
    return url


def _split_key(columns: str) -> tuple[str, str]:
    """(column definitions without the key, the primary key's columns)."""
    if ", PRIMARY KEY (" in columns:
        plain, key = columns.split(", PRIMARY KEY (")
        return plain, key.rstrip(")")
    return columns.replace(" PRIMARY KEY", ""), columns.split(" ", 1)[0]


def _chunks(path: Path):
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            yield block
