"""MySQL/MariaDB and SQLite importers on real input: a mariadb-dump style file, hand-written
DDL with DELIMITER blocks and phpMyAdmin-style ALTERs, SQLite schemas; the same DDL applied
to a real MariaDB server and a real SQLite file and read back live (both importers must
agree); and every imported model applied to a real PostgreSQL (the `pg_url` fixture)."""

from __future__ import annotations

import re
import secrets
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from schemawright import model as m
from schemawright.database import Database, DatabaseError, scratch_database
from schemawright.errors import SpecErrors
from schemawright.importers.sqlalchemy_live import engine_url_for, import_database, safe_url
from schemawright.importers.sqlglot_sql import import_sql, mysql_type, split_statements, sqlite_type
from schemawright.sql.postgresql import render_up

MARIADB_HOST = "127.0.0.1"
MARIADB_PORT = 3306

# What `mariadb-dump --routines --triggers shop` writes (MariaDB 10.11), trimmed to a shop.
MYSQLDUMP = """\
/*M!999999\\- enable the sandbox mode */ 
-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)
--
-- Host: 127.0.0.1    Database: shop
-- ------------------------------------------------------
-- Server version	10.11.19-MariaDB-0+deb12u1

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;

--
-- Table structure for table `customers`
--

DROP TABLE IF EXISTS `customers`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `customers` (
  `id` int(10) unsigned NOT NULL AUTO_INCREMENT COMMENT 'Customer number',
  `email` varchar(190) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL,
  `full_name` varchar(120) NOT NULL,
  `is_active` tinyint(1) NOT NULL DEFAULT 1,
  `tier` enum('basic','gold','it''s') NOT NULL DEFAULT 'basic',
  `profile` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`profile`)),
  `balance` decimal(12,2) NOT NULL DEFAULT 0.00,
  `created_at` datetime NOT NULL DEFAULT current_timestamp(),
  `updated_at` timestamp NULL DEFAULT NULL ON UPDATE current_timestamp(),
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_email` (`email`),
  KEY `full_name` (`full_name`(20)),
  FULLTEXT KEY `ft_name` (`full_name`),
  CONSTRAINT `balance_positive` CHECK (`balance` >= 0)
) ENGINE=InnoDB AUTO_INCREMENT=3 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='People who buy things';
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `customers`
--

LOCK TABLES `customers` WRITE;
/*!40000 ALTER TABLE `customers` DISABLE KEYS */;
INSERT INTO `customers` VALUES (1,'a@example.com','Ann; \\'the first\\'',1,'gold',NULL,10.00,'2024-01-01 00:00:00',NULL),(2,'b@example.com','Bob',0,'basic','{\\"a\\": 1}',0.00,'2024-01-02 00:00:00',NULL);
/*!40000 ALTER TABLE `customers` ENABLE KEYS */;
UNLOCK TABLES;

--
-- Table structure for table `orders`
--

DROP TABLE IF EXISTS `orders`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `orders` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `customer_id` int(10) unsigned NOT NULL,
  `number` varchar(20) NOT NULL,
  `status` enum('open','paid','shipped') NOT NULL DEFAULT 'open',
  `total` decimal(10,2) DEFAULT NULL,
  `weight` double DEFAULT NULL,
  `placed_at` datetime(6) NOT NULL DEFAULT current_timestamp(6),
  `note` text DEFAULT NULL,
  `total_with_tax` decimal(12,2) GENERATED ALWAYS AS (`total` * 1.2) STORED,
  PRIMARY KEY (`id`),
  UNIQUE KEY `customer_id` (`customer_id`,`number`),
  KEY `ix_status_placed` (`status`,`placed_at` DESC),
  CONSTRAINT `fk_orders_customer` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE CASCADE,
  CONSTRAINT `CONSTRAINT_1` CHECK (`status` <> 'paid' or `total` is not null)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Table structure for table `order_lines`
--

DROP TABLE IF EXISTS `order_lines`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `order_lines` (
  `order_id` bigint(20) unsigned NOT NULL,
  `line` smallint(5) unsigned NOT NULL,
  `sku` char(12) NOT NULL,
  `quantity` mediumint(9) NOT NULL DEFAULT 1,
  `gift` bit(1) NOT NULL DEFAULT b'0',
  PRIMARY KEY (`order_id`,`line`),
  KEY `sku` (`sku`),
  CONSTRAINT `order_lines_ibfk_1` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Temporary table structure for view `open_orders`
--

DROP TABLE IF EXISTS `open_orders`;
/*!50001 DROP VIEW IF EXISTS `open_orders`*/;
SET @saved_cs_client     = @@character_set_client;
SET character_set_client = utf8mb4;
/*!50001 CREATE VIEW `open_orders` AS SELECT
 1 AS `id`,
 1 AS `email` */;
SET character_set_client = @saved_cs_client;

--
-- Dumping routines for database 'shop'
--
/*!50003 DROP FUNCTION IF EXISTS `order_count` */;
/*!50003 SET @saved_sql_mode       = @@sql_mode */ ;
DELIMITER ;;
CREATE DEFINER=`root`@`localhost` FUNCTION `order_count`(c INT) RETURNS int(11)
    READS SQL DATA
BEGIN
  DECLARE n INT;
  SELECT COUNT(*) INTO n FROM orders WHERE customer_id = c;
  RETURN n;
END ;;
DELIMITER ;
/*!50003 SET sql_mode              = @saved_sql_mode */ ;
/*!50003 DROP PROCEDURE IF EXISTS `close_order` */;
DELIMITER ;;
CREATE DEFINER=`root`@`localhost` PROCEDURE `close_order`(IN o BIGINT)
BEGIN
  IF o > 0 THEN
    UPDATE orders SET status = 'shipped' WHERE id = o;
  END IF;
END ;;
DELIMITER ;
DELIMITER ;;
/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER order_lines_check BEFORE INSERT ON order_lines FOR EACH ROW
BEGIN
  IF NEW.quantity < 1 THEN
    SET NEW.quantity = 1;
  END IF;
END */;;
DELIMITER ;

--
-- Final view structure for view `open_orders`
--

/*!50001 DROP VIEW IF EXISTS `open_orders`*/;
/*!50001 SET @saved_cs_client          = @@character_set_client */;
/*!50001 CREATE ALGORITHM=UNDEFINED */
/*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */
/*!50001 VIEW `open_orders` AS select `o`.`id` AS `id`,`c`.`email` AS `email` from (`orders` `o` join `customers` `c` on(`c`.`id` = `o`.`customer_id`)) where `o`.`status` = 'open' and `c`.`is_active` = 1 */;
/*!50001 SET character_set_client      = @saved_cs_client */;
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;

-- Dump completed on 2026-01-01 12:00:00
"""

# Hand-written MySQL: inline keys, column REFERENCES and CHECK, CREATE INDEX, keys added by
# ALTER TABLE at the end (how phpMyAdmin exports), a DELIMITER $$ trigger.
MYSQL_HANDWRITTEN = """\
# Tags and their use, MySQL 8 / MariaDB
CREATE TABLE tags (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `name` VARCHAR(50) NOT NULL UNIQUE,
  `order` INT NOT NULL DEFAULT '0' COMMENT 'Display order',
  color CHAR(7) NULL DEFAULT '#ffffff',
  created DATETIME DEFAULT NOW(),
  amount FLOAT(7,2),
  flags SET('a','b') NOT NULL DEFAULT '',
  year_made YEAR,
  INDEX idx_order (`order`)
) ENGINE=InnoDB DEFAULT CHARSET=latin1;

CREATE TABLE tag_links (
  tag_id INT NOT NULL REFERENCES tags (id) ON DELETE RESTRICT,
  target VARCHAR(100) NOT NULL,
  weight TINYINT UNSIGNED NOT NULL DEFAULT 1 CHECK (weight > 0),
  active BOOLEAN NOT NULL DEFAULT TRUE,
  CONSTRAINT weight_max CHECK (weight <= 10)
);
ALTER TABLE tag_links ADD PRIMARY KEY (tag_id, target), ADD KEY target_ix (target);
ALTER TABLE tag_links MODIFY weight TINYINT UNSIGNED NOT NULL DEFAULT 2;
CREATE UNIQUE INDEX tag_name_color ON tags (`name`, color);

DELIMITER $$
CREATE TRIGGER tags_bi BEFORE INSERT ON tags FOR EACH ROW
BEGIN
  SET NEW.name = TRIM(NEW.name); -- a semicolon inside the body
END$$
DELIMITER ;

CREATE TABLE broken (id INT PRIMARY KEY) PARTITION BY HASH (id) PARTITIONS 4;
THIS IS NOT SQL;
"""

SQLITE_DDL = """\
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE authors (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL COLLATE NOCASE,
  email VARCHAR(120) CONSTRAINT uq_authors_email UNIQUE,
  born DATE,
  active BOOLEAN NOT NULL DEFAULT 1,
  CHECK (length(name) > 0)
);
CREATE TABLE books (
  isbn TEXT PRIMARY KEY,
  author_id INTEGER NOT NULL REFERENCES authors(id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  price NUMERIC(8,2) DEFAULT 9.99 CHECK (price >= 0),
  pages unsigned big int,
  published DATETIME DEFAULT CURRENT_TIMESTAMP,
  added TEXT DEFAULT (datetime('now')),
  series,
  title_upper TEXT GENERATED ALWAYS AS (upper(title)) VIRTUAL,
  UNIQUE (author_id, title) ON CONFLICT REPLACE,
  CONSTRAINT fk_series FOREIGN KEY (series) REFERENCES authors (id)
) WITHOUT ROWID;
CREATE TABLE "reviews" (
  "id" INTEGER PRIMARY KEY,
  [book isbn] TEXT NOT NULL,
  stars INT NOT NULL,
  body TEXT,
  FOREIGN KEY ([book isbn]) REFERENCES books (isbn) ON DELETE SET NULL ON UPDATE CASCADE
);
CREATE INDEX ix_books_published ON books (published DESC);
CREATE UNIQUE INDEX ix_reviews_lower ON reviews (lower(body)) WHERE body IS NOT NULL;
CREATE VIEW good_books AS SELECT b.isbn, b.title FROM books b JOIN reviews r ON r."book isbn" = b.isbn WHERE r.stars >= 4 AND b.price > 0;
CREATE TRIGGER reviews_clamp AFTER INSERT ON reviews
WHEN NEW.stars > 5
BEGIN
  UPDATE reviews SET stars = CASE WHEN stars > 5 THEN 5 ELSE stars END WHERE id = NEW.id;
END;
INSERT INTO authors (name, email) VALUES ('Ann; Smith', 'ann@example.com');
COMMIT;
"""


# ------------------------------------------------------------------ helpers


def shape(design: m.Design) -> dict:
    """Everything an importer reads, by name and order-free, for comparing two imports."""
    tables = {}
    for t in design.tables:
        tables[t.name] = {
            "description": t.description,
            "columns": [(c.name, c.sql_type, c.nullable, c.default, c.identity, c.generated, c.description)
                        for c in t.columns],
            "pk": (t.primary_key.name, t.primary_key.columns) if t.primary_key else None,
            "fks": sorted((f.name, f.columns, f.ref_table, f.ref_columns, f.on_delete) for f in t.foreign_keys),
            "uniques": sorted((u.name, u.columns) for u in t.uniques),
            "checks": sorted((c.name, c.expression) for c in t.checks),
            "indexes": sorted((i.name, tuple((c.expression, c.descending) for c in i.columns), i.unique, i.method, i.where)
                              for i in design.indexes_on(t.name)),
        }
    return {"tables": tables, "views": sorted(v.name for v in design.views),
            "objects": sorted((o.kind, o.name) for o in design.objects)}


def column(design: m.Design, table: str, name: str) -> m.Column:
    found = design.table(table).column(name)  # type: ignore[union-attr]
    assert found is not None, f"{table}.{name}"
    return found


def index(design: m.Design, name: str) -> m.Index:
    return next(i for i in design.indexes if i.name == name)


def applies_to_postgresql(pg_url: str, design: m.Design) -> None:
    with scratch_database(pg_url) as url, Database(url) as db:
        db.execute(render_up(design))


# ------------------------------------------------------------------ splitting


def test_statements_split_like_the_mysql_client() -> None:
    statements = split_statements(MYSQLDUMP, "mysql")
    texts = [s.text for s in statements]
    creates = [t for t in texts if t.lstrip().upper().startswith("CREATE")]
    assert len(creates) == 8  # 3 tables, stand-in view, function, procedure, trigger, view
    function = next(t for t in texts if "FUNCTION `order_count`" in t)
    assert function.rstrip().endswith("END")  # the ;; delimiter, not the ; inside the body
    insert = next(t for t in texts if t.startswith("INSERT"))
    assert "(2,'b@example.com'" in insert  # `;` and `\\'` inside strings do not split
    trigger = next(t for t in texts if "TRIGGER order_lines_check" in t)
    assert "/*!50003" not in trigger and "*/" not in trigger  # version comments unwrapped
    # Offsets are file offsets: the statement starts where the file says.
    table = next(s for s in statements if "CREATE TABLE `orders`" in s.text)
    assert MYSQLDUMP[table.start:].startswith("CREATE TABLE `orders`")
    sqlite = split_statements(SQLITE_DDL, "sqlite")
    trigger = next(s.text for s in sqlite if "TRIGGER" in s.text)
    assert trigger.rstrip().endswith("END") and "CASE WHEN" in trigger  # BEGIN ... END kept whole


@pytest.mark.parametrize(("source", "expected"), [
    ("int(11)", "integer"), ("int unsigned", "bigint"), ("tinyint(1)", "boolean"), ("tinyint(4)", "smallint"),
    ("smallint unsigned", "integer"), ("mediumint", "integer"), ("bigint(20) unsigned", "bigint"), ("bit(1)", "boolean"),
    ("bit(8)", "bit(8)"), ("decimal(10,2) unsigned", "numeric(10,2)"), ("decimal", "numeric(10,0)"), ("float", "real"),
    ("double", "double precision"), ("char(3)", "char(3)"), ("varchar(255)", "varchar(255)"), ("longtext", "text"),
    ("mediumblob", "bytea"), ("datetime", "timestamp"), ("datetime(6)", "timestamp(6)"), ("timestamp", "timestamptz"),
    ("time(3)", "time(3)"), ("year", "smallint"), ("json", "jsonb"), ("enum('a','b')", "text"), ("set('a','b')", "text"),
    ("point", "bytea"), ("geometry", "bytea"), ("inet6", "inet"), ("uuid", "uuid"),
])
def test_mysql_types(source: str, expected: str) -> None:
    assert mysql_type(source).sql_type == expected


@pytest.mark.parametrize(("source", "expected"), [
    ("INTEGER", "integer"), ("INT", "integer"), ("BIGINT", "bigint"), ("unsigned big int", "bigint"), ("TEXT", "text"),
    ("VARCHAR(20)", "varchar(20)"), ("NVARCHAR(10)", "varchar(10)"), ("CHARACTER(5)", "char(5)"), ("CLOB", "text"),
    ("REAL", "double precision"), ("DOUBLE PRECISION", "double precision"), ("NUMERIC", "numeric"),
    ("DECIMAL(8,2)", "numeric(8,2)"), ("BOOLEAN", "boolean"), ("DATETIME", "timestamp"), ("DATE", "date"),
    ("BLOB", "bytea"), ("", "text"), ("STRING", "numeric"), ("MYTEXTTYPE", "text"), ("JSON", "jsonb"),
])
def test_sqlite_types(source: str, expected: str) -> None:
    assert sqlite_type(source).sql_type == expected


# ------------------------------------------------------------------ files


def test_mysqldump_file() -> None:
    design = import_sql(MYSQLDUMP, "shop.sql", "mysql")
    assert [t.name for t in design.tables] == ["customers", "orders", "order_lines"]
    assert design.import_notes == ()
    assert design.source.ignored_statements["INSERT"] == 1
    assert design.source.ignored_statements["LOCK"] == 1
    customers = design.table("customers")
    assert customers.description == "People who buy things"
    identity = column(design, "customers", "id")
    assert (identity.sql_type, identity.identity, identity.nullable, identity.description) == \
        ("bigint", True, False, "Customer number")
    assert column(design, "customers", "is_active").sql_type == "boolean"
    assert column(design, "customers", "is_active").default == "true"
    assert column(design, "customers", "profile").sql_type == "jsonb"  # MariaDB JSON: longtext + json_valid
    assert column(design, "customers", "balance").default == "0.00"
    assert column(design, "customers", "created_at").sql_type == "timestamp"
    assert column(design, "customers", "created_at").default == "CURRENT_TIMESTAMP"
    assert column(design, "customers", "updated_at").sql_type == "timestamptz"
    tier = column(design, "customers", "tier")
    assert (tier.sql_type, tier.semantic, tier.default) == ("text", "enum", "'basic'")
    checks = {c.name: c.expression for c in customers.checks}
    assert checks["customers_tier_values"] == "tier IN ('basic', 'gold', 'it''s')"
    assert checks["balance_positive"] == "balance >= 0"
    assert "json_valid" not in " ".join(checks.values())
    assert customers.uniques == (m.Unique(name="uq_email", columns=("email",)),)
    assert index(design, "full_name").columns == (m.IndexColumn(expression="full_name"),)  # prefix dropped
    fulltext = index(design, "ft_name")
    assert fulltext.method == "gin" and "to_tsvector" in fulltext.columns[0].expression
    orders = design.table("orders")
    assert column(design, "orders", "placed_at").default == "CURRENT_TIMESTAMP(6)"
    assert column(design, "orders", "total_with_tax").generated == "total * 1.2"
    fk = orders.foreign_keys[0]
    assert (fk.name, fk.columns, fk.ref_table, fk.ref_columns, fk.on_delete) == \
        ("fk_orders_customer", ("customer_id",), "customers", ("id",), "cascade")
    assert index(design, "ix_status_placed").columns == (m.IndexColumn(expression="status"),
                                                         m.IndexColumn(expression="placed_at", descending=True))
    assert {c.name for c in orders.checks} == {"orders_status_values", "CONSTRAINT_1"}
    lines = design.table("order_lines")
    assert column(design, "order_lines", "gift").default == "false"
    assert lines.primary_key == m.PrimaryKey(name="order_lines_pkey", columns=("order_id", "line"))
    assert [v.name for v in design.views] == ["open_orders"]  # the stand-in was dropped, the real view kept
    view = design.views[0].sql
    assert "JOIN customers" in view and "is_active = TRUE" in view and "`" not in view
    assert {(o.kind, o.name, o.table) for o in design.objects} == {
        ("function", "order_count", None), ("procedure", "close_order", None),
        ("trigger", "order_lines_check", "order_lines")}
    decisions = {d.subject: d for d in design.decisions}
    assert "ON UPDATE" in decisions["customers.updated_at"].reason or any(
        "ON UPDATE" in d.reason for d in design.decisions)
    assert design.source.column_types["customers.is_active"] == "tinyint(1)"
    assert design.entities and design.relationships  # the conceptual layer is derived


def test_handwritten_mysql_with_alters_and_bad_statements() -> None:
    design = import_sql(MYSQL_HANDWRITTEN, "tags.sql", "mysql")
    tags, links = design.table("tags"), design.table("tag_links")
    assert tags.primary_key.columns == ("id",) and column(design, "tags", "id").identity
    assert column(design, "tags", "order").default == "0"
    assert column(design, "tags", "order").description == "Display order"
    assert column(design, "tags", "created").default == "CURRENT_TIMESTAMP"
    assert column(design, "tags", "flags").sql_type == "text"
    assert {u.columns for u in tags.uniques} == {("name",), ("name", "color")}  # a MySQL unique index is a key
    assert links.primary_key.columns == ("tag_id", "target")  # from ALTER TABLE ... ADD PRIMARY KEY
    assert column(design, "tag_links", "weight").default == "2"  # from ALTER TABLE ... MODIFY
    assert column(design, "tag_links", "active").default == "true"
    assert links.foreign_keys[0].name == "tag_links_ibfk_1" and links.foreign_keys[0].on_delete == "restrict"
    assert {(c.name, c.expression) for c in links.checks} == {("weight_max", "weight <= 10")}  # MODIFY drops `weight > 0`
    assert index(design, "target_ix").table == "tag_links"
    assert [(o.kind, o.name) for o in design.objects] == [("trigger", "tags_bi")]
    # The partitioned table is read without its partitioning; the garbage is reported where it is.
    assert design.table("broken") is not None
    notes = [(n.line, n.column, n.reason) for n in design.import_notes]
    lines = MYSQL_HANDWRITTEN.splitlines()
    broken_line = next(i for i, line in enumerate(lines, 1) if line.startswith("CREATE TABLE broken"))
    assert any(line == broken_line and "table options" in reason for line, _c, reason in notes)
    garbage_line = next(i for i, line in enumerate(lines, 1) if line.startswith("THIS IS NOT SQL"))
    assert (garbage_line, 1) in [(line, col) for line, col, _r in notes]
    assert len(notes) == 2


def test_unreadable_parts_are_reported_with_their_place_and_skipped() -> None:
    text = "CREATE TABLE ok (id INT PRIMARY KEY);\n\nCREATE TABLE t (\n  id INT PRIMARY KEY,\n  x INT,\n" \
           "  KEY (nope),\n  y INT\n);\nGARBAGE HERE;\nCREATE INDEX ix ON missing (a);\n"
    design = import_sql(text, "t.sql", "mysql")
    assert [t.name for t in design.tables] == ["ok", "t"]
    assert [c.name for c in design.table("t").columns] == ["id", "x", "y"]
    notes = [(n.line, n.column) for n in design.import_notes]
    assert notes == [(6, 3), (9, 1), (10, 1)]
    assert "nope" in design.import_notes[0].reason


def test_a_comment_never_closed_is_reported() -> None:
    """It swallowed table b: an error where it opens, not an import that quietly lacks b."""
    with pytest.raises(SpecErrors) as error:
        import_sql("CREATE TABLE a (id INT);\n  /* left open\nCREATE TABLE b (id INT);\n", "open.sql", "sqlite")
    assert [(i.line, i.column) for i in error.value.issues] == [(2, 3)]
    assert "never closed" in error.value.issues[0].message


def test_sqlite_file() -> None:
    design = import_sql(SQLITE_DDL, "books.sql", "sqlite")
    assert design.import_notes == ()
    assert [t.name for t in design.tables] == ["authors", "books", "reviews"]
    assert column(design, "authors", "id").identity  # AUTOINCREMENT
    assert column(design, "reviews", "id").identity  # INTEGER PRIMARY KEY: the rowid
    assert column(design, "authors", "active").default == "true"
    authors = design.table("authors")
    assert {u.name for u in authors.uniques} == {"uq_authors_email"}
    assert {c.name for c in authors.checks} == {"authors_name_check"}
    books = design.table("books")
    assert books.primary_key.columns == ("isbn",)
    assert column(design, "books", "pages").sql_type == "bigint"
    assert column(design, "books", "series").sql_type == "integer"  # typeless: takes its key's type
    assert column(design, "books", "added").default == "CURRENT_TIMESTAMP"
    assert column(design, "books", "price").default == "9.99"
    assert column(design, "books", "title_upper").generated == "upper(title)"
    assert {f.name: f.on_delete for f in books.foreign_keys} == {"books_author_id_fkey": "cascade",
                                                                 "fk_series": "no action"}
    reviews = design.table("reviews")
    assert reviews.foreign_keys[0].columns == ("book isbn",) and reviews.foreign_keys[0].on_delete == "set null"
    partial = index(design, "ix_reviews_lower")
    assert partial.unique and partial.where == "body IS NOT NULL" and partial.columns[0].expression == "(lower(body))"
    assert index(design, "ix_books_published").columns[0].descending
    assert [v.name for v in design.views] == ["good_books"]
    assert [(o.kind, o.name, o.table) for o in design.objects] == [("trigger", "reviews_clamp", "reviews")]
    assert design.source.ignored_statements == {"BEGIN": 1, "COMMIT": 1, "INSERT": 1, "PRAGMA": 1}


def test_imported_files_apply_to_postgresql(pg_url: str) -> None:
    for text, dialect in ((MYSQLDUMP, "mysql"), (MYSQL_HANDWRITTEN, "mysql"), (SQLITE_DDL, "sqlite")):
        design = import_sql(text, f"x.{dialect}.sql", dialect)
        with scratch_database(pg_url) as url, Database(url) as db:
            db.execute(render_up(design))
            if dialect == "mysql" and "customers" in {t.name for t in design.tables}:
                db.execute("INSERT INTO customers (email, full_name, tier) VALUES ('a@b.c', 'Ann', 'gold')")
                with pytest.raises(DatabaseError) as error:
                    db.execute("INSERT INTO customers (email, full_name, tier) VALUES ('b@b.c', 'Bob', 'platinum')")
                assert error.value.is_integrity_error  # the enum became a CHECK


# ------------------------------------------------------------------ live: MariaDB


def _mariadb_reachable() -> bool:
    try:
        import pymysql

        pymysql.connect(host=MARIADB_HOST, port=MARIADB_PORT, user="root", connect_timeout=2).close()
        return True
    except Exception:  # noqa: BLE001 - no server, no such user: skip
        return False


@pytest.fixture
def mariadb() -> Iterator[object]:
    """A function that loads DDL into a fresh database `schemawright_test_<random>` on the
    MariaDB server and returns its URL; every database it made is dropped afterwards."""
    if not _mariadb_reachable():
        pytest.skip(f"no MariaDB/MySQL server at {MARIADB_HOST}:{MARIADB_PORT} (root, no password)")
    import pymysql

    made: list[str] = []

    def load(text: str) -> str:
        name = f"schemawright_test_{secrets.token_hex(6)}"
        connection = pymysql.connect(host=MARIADB_HOST, port=MARIADB_PORT, user="root", autocommit=True)
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"CREATE DATABASE `{name}`")
                made.append(name)
                cursor.execute(f"USE `{name}`")
                for statement in split_statements(text, "mysql"):
                    if re.match(r"\s*(CREATE\s+DATABASE|USE|DROP\s+DATABASE|source)\b", statement.text, re.IGNORECASE):
                        continue
                    cursor.execute(statement.text)
        finally:
            connection.close()
        return f"mysql://root@{MARIADB_HOST}:{MARIADB_PORT}/{name}"

    yield load
    connection = pymysql.connect(host=MARIADB_HOST, port=MARIADB_PORT, user="root", autocommit=True)
    try:
        with connection.cursor() as cursor:
            for name in made:
                assert name.startswith("schemawright_test_")
                cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
    finally:
        connection.close()


def test_mariadb_live_agrees_with_the_file(mariadb, pg_url: str) -> None:
    for text in (MYSQLDUMP, MYSQL_HANDWRITTEN.split("CREATE TABLE broken")[0]):
        from_file = import_sql(text, "x.sql", "mysql")
        url = mariadb(text)
        live = import_database(url)
        assert live.source.kind == "database" and live.source.dialect == "mysql"
        assert shape(live) == shape(from_file)
        applies_to_postgresql(pg_url, live)


def test_mariadb_live_reads_what_the_server_adds(mariadb) -> None:
    """Server-side behaviour the file importer imitates: InnoDB's index for a foreign key,
    MariaDB's names for unnamed keys and checks, JSON as longtext + json_valid."""
    text = ("CREATE TABLE p (id INT PRIMARY KEY, code VARCHAR(5), KEY (code));\n"
            "CREATE TABLE c (id INT PRIMARY KEY, p_id INT, q_id INT, doc JSON, n INT CHECK (n > 0), CHECK (n < 9),\n"
            "  KEY (q_id), KEY (q_id), FOREIGN KEY (p_id) REFERENCES p (id), CONSTRAINT fk_q FOREIGN KEY (q_id) "
            "REFERENCES p (id), CONSTRAINT fk_code FOREIGN KEY (n) REFERENCES p (id));\n")
    live = import_database(mariadb(text))
    assert shape(live) == shape(import_sql(text, "x.sql", "mysql"))
    c = live.table("c")
    assert {f.name for f in c.foreign_keys} == {"c_ibfk_1", "fk_q", "fk_code"}
    assert {i.name for i in live.indexes_on("c")} == {"q_id", "q_id_2", "p_id", "fk_code"}
    assert {k.name for k in c.checks} == {"n", "CONSTRAINT_1"}
    assert c.column("doc").sql_type == "jsonb"


def test_real_mysql_schemas_from_debian(mariadb, pg_url: str, debian_sql: dict[str, str]) -> None:
    files = {name: text for name, text in debian_sql.items() if "sqlite" not in name}
    if not files:
        pytest.skip("no MySQL schema downloaded")
    for name, text in files.items():
        design = import_sql(text, name, "mysql")
        assert design.import_notes == (), name
        assert len(design.tables) >= 15, name
        applies_to_postgresql(pg_url, design)
        assert shape(import_database(mariadb(text))) == shape(design), name


def test_real_sqlite_schemas_from_debian(pg_url: str, debian_sql: dict[str, str]) -> None:
    files = {name: text for name, text in debian_sql.items() if "sqlite" in name}
    if not files:
        pytest.skip("no SQLite schema downloaded")
    for name, text in files.items():
        design = import_sql(text, name, "sqlite")
        assert design.import_notes == (), name
        assert len(design.tables) >= 15, name
        applies_to_postgresql(pg_url, design)
        assert shape(_sqlite_live(text)) == shape(design), name


# ------------------------------------------------------------------ live: SQLite


def _sqlite_live(text: str, directory: Path | None = None) -> m.Design:
    import tempfile

    with tempfile.TemporaryDirectory(dir=directory) as work:
        path = Path(work) / "app.db"
        connection = sqlite3.connect(path)
        connection.executescript(text)
        connection.close()
        before = path.read_bytes()
        design = import_database(f"sqlite:///{path}")
        assert path.read_bytes() == before  # read-only
        return design


def test_sqlite_live_agrees_with_the_file(pg_url: str) -> None:
    from_file = import_sql(SQLITE_DDL, "books.sql", "sqlite")
    live = _sqlite_live(SQLITE_DDL)
    assert live.source.kind == "database" and live.source.dialect == "sqlite"
    assert shape(live) == shape(from_file)
    assert live.project == "app"
    applies_to_postgresql(pg_url, live)


# ------------------------------------------------------------------ URLs and errors


def test_urls_are_completed_and_passwords_never_shown(tmp_path: Path) -> None:
    url, backend = engine_url_for("mysql://root@localhost/shop")
    assert (url.drivername, backend) == ("mysql+pymysql", "mysql")
    assert engine_url_for("mariadb://root@localhost/shop")[0].drivername == "mariadb+pymysql"
    assert engine_url_for("mysql+pymysql://root@localhost/shop")[0].drivername == "mysql+pymysql"
    db = tmp_path / "a.db"
    sqlite3.connect(db).close()
    url, backend = engine_url_for(f"sqlite:///{db}")
    assert backend == "sqlite" and url.query.get("mode") == "ro"
    assert safe_url("mysql://root:s3cret@localhost/shop") == "mysql://root:***@localhost/shop"
    with pytest.raises(SpecErrors) as error:  # nothing listens on port 1
        import_database("mysql://root:s3cret@127.0.0.1:1/shop")
    assert "s3cret" not in str(error.value) and "mysql://root:***@127.0.0.1:1/shop:1:1: error: cannot read" in str(error.value)
    with pytest.raises(SpecErrors, match="does not exist"):
        import_database(f"sqlite:///{tmp_path / 'missing.db'}")
    with pytest.raises(SpecErrors, match="names no database") as error:
        import_database("mysql://root:s3cret@127.0.0.1/")
    assert "s3cret" not in str(error.value)
    with pytest.raises(SpecErrors, match="not 'oracle'"):
        import_database("oracle://scott:tiger@db/orcl")


# ------------------------------------------------------------------ a real application's DDL


@pytest.fixture(scope="module")
def debian_sql(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """MySQL and SQLite schemas shipped by Debian packages of real applications, fetched
    with apt-get (never stored in the repository)."""
    if not shutil.which("apt-get") or not shutil.which("dpkg"):
        pytest.skip("needs apt-get and dpkg")
    work = tmp_path_factory.mktemp("debian")
    members = {
        "icinga2-ido-mysql": ["usr/share/icinga2-ido-mysql/schema/mysql.sql"],
        "roundcube-core": ["usr/share/roundcube/SQL/mysql.initial.sql", "usr/share/roundcube/SQL/sqlite.initial.sql"],
    }
    found: dict[str, str] = {}
    for package, paths in members.items():
        got = subprocess.run(["apt-get", "download", package], cwd=work, capture_output=True, text=True, timeout=180,
                             check=False)
        debs = list(work.glob(f"{package}_*.deb"))
        if got.returncode != 0 or not debs:
            continue
        target = work / package
        subprocess.run(["dpkg", "-x", str(debs[0]), str(target)], check=True)
        for member in paths:
            path = target / member
            if path.exists():
                found[f"{package}:{Path(member).name}"] = path.read_text(encoding="utf-8")
    if not found:
        pytest.skip("the Debian packages could not be downloaded here")
    return found
