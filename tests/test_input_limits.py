"""Hostile or careless input never ends in an internal error or unbounded memory.

Every case here was seen to crash (exit 3, "internal error: ...") or to exhaust memory.  Each
runs through the real command line in a subprocess and must end with exit 1 or 2 and a
located error (`file:line:column: error:`), never a traceback.  The memory cases run under
a 1 GiB address-space cap and a timeout.
"""

from __future__ import annotations

import re
import resource
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from schemawright.exporters.dbml import to_dbml
from schemawright.commands.target import load_target
from schemawright.pipeline import design_file
from schemawright.sql.postgresql import render_up

ROOT = Path(__file__).resolve().parents[1]
ONE_GIB = 1 << 30


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ONE_GIB, ONE_GIB))


def run(*args: str, cap: bool = False, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "schemawright.cli", *args], capture_output=True, text=True,
                          timeout=timeout, preexec_fn=_cap_memory if cap else None)


def assert_located(result: subprocess.CompletedProcess, file: Path, line: int | None = None,
                   text: str | None = None) -> str:
    """Exit 1 or 2, a `file:line:column: error:` line (at `line` when given), no traceback."""
    output = result.stdout + result.stderr
    assert result.returncode in (1, 2), output
    assert "Traceback" not in output and "internal error" not in output and "MemoryError" not in output, output
    number = str(line) if line is not None else r"\d+"
    where = re.escape(str(file)) + ":" + number + r":\d+: error: "
    assert re.search(where, output), output
    if text is not None:
        assert text in output, output
    return output


def spec(tmp_path: Path, body: str, name: str = "spec.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


ITEM = """\
project: p
entities:
  Item:
    attributes:
      name: {type: string, unique: true}
"""


# ---------------------------------------------------------------- spec crash sites


def test_empty_pattern_query(tmp_path: Path) -> None:
    path = spec(tmp_path, ITEM + "access_patterns:\n  - name: q\n    query: \"  \"\n")
    assert_located(run("check", str(path)), path, 8, "empty")


def test_insert_and_on_conflict_naming_a_missing_column(tmp_path: Path) -> None:
    path = spec(tmp_path, ITEM + "access_patterns:\n  - name: q\n"
                "    query: \"INSERT INTO items (nope) VALUES (:n) ON CONFLICT (nope) DO NOTHING\"\n")
    assert_located(run("check", str(path)), path, 8, "'nope'")


def test_upsert_may_name_the_excluded_row(tmp_path: Path) -> None:
    upsert = "INSERT INTO items (name) VALUES (:n) ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.{}"
    good = spec(tmp_path, ITEM + f"access_patterns:\n  - name: q\n    query: \"{upsert.format('name')}\"\n")
    assert run("check", str(good)).returncode == 0
    bad = spec(tmp_path, ITEM + f"access_patterns:\n  - name: q\n    query: \"{upsert.format('nope')}\"\n", "bad.yaml")
    assert_located(run("check", str(bad)), bad, 8, "'nope'")


def test_integer_literal_longer_than_python_converts(tmp_path: Path) -> None:
    path = spec(tmp_path, ITEM + "volumes:\n  Item: {rows: " + "9" * 5000 + "}\n")
    assert_located(run("check", str(path)), path, 7, "digits")


RANGE_EVENT = """\
project: p
entities:
  Event:
    attributes:
      at: {{type: timestamp, required: true}}
    partition: {partition}
volumes:
  Event: {{rows: 1000000, growth_per_month: 1000000{retention}}}
access_patterns:
  - name: recent
    query: "SELECT * FROM events WHERE at >= :since ORDER BY at LIMIT 10"
"""


@pytest.mark.parametrize("months", ["30000", "100000000000000000000"])
@pytest.mark.parametrize("partition", ["range(at, 1 month)", "auto"])
def test_retention_beyond_the_calendar(tmp_path: Path, months: str, partition: str) -> None:
    template = RANGE_EVENT
    if partition == "auto":  # large enough that the automatic choice is range partitioning
        template = template.replace("1000000", "100000000")
    path = spec(tmp_path, template.format(partition=partition, retention=f", retention_months: {months}"))
    result = run("check", str(path))
    if partition == "auto":  # an automatic choice falls back to no partitioning, and says why in the report
        assert result.returncode == 0 and "internal error" not in result.stderr, result.stderr
        return
    assert_located(result, path, 8, "retention")


@pytest.mark.parametrize(("anchor", "retention"), [("9999-12-31", ""), ("0001-01-01", ", retention_months: 2")])
def test_partition_anchor_at_the_ends_of_the_calendar(tmp_path: Path, anchor: str, retention: str) -> None:
    path = spec(tmp_path, RANGE_EVENT.format(partition=f"{{by: range, key: at, anchor: {anchor}}}",
                                             retention=retention))
    assert_located(run("check", str(path)), path, None, "anchor")


def test_deep_flow_nesting(tmp_path: Path) -> None:
    path = spec(tmp_path, "project: p\nentities: " + "[" * 500 + "]" * 500 + "\n")
    assert_located(run("check", str(path)), path, 2, "nested")


def test_recursive_alias(tmp_path: Path) -> None:
    path = spec(tmp_path, "project: p\nentities: &a\n  Item: *a\n")
    assert_located(run("check", str(path)), path, None, "alias")


@pytest.mark.parametrize(("name", "says"), [('"It\\0em"', "NUL"), ('"It\\x01em"', "U+0001"), ('"Item\\n"', "U+000A")])
def test_control_characters_in_names(tmp_path: Path, name: str, says: str) -> None:
    path = spec(tmp_path, f"project: p\nentities:\n  {name}:\n    attributes:\n      name: string\n")
    assert_located(run("check", str(path)), path, 3, says)


@pytest.mark.parametrize(("name", "says"), [('"na\\0me"', "NUL"), ('"name\\t"', "control character")])
def test_control_character_in_a_column_override(tmp_path: Path, name: str, says: str) -> None:
    path = spec(tmp_path, ITEM.replace("unique: true", f"column: {name}"))
    assert_located(run("design", str(path), "-o", str(tmp_path / "out")), path, 5, says)


# ---------------------------------------------------------------- imports


def test_dbml_table_without_columns(tmp_path: Path) -> None:
    path = tmp_path / "empty.dbml"
    path.write_text("Table t {\n  id int [pk]\n}\n\nTable empty {\n}\n", encoding="utf-8")
    assert_located(run("import", str(path)), path, 5, "no columns")


TABLES = "\n".join(f"CREATE TABLE t{i} (id int PRIMARY KEY, name text DEFAULT 'x{i}');" for i in range(19))


@pytest.mark.parametrize(("head", "line", "column"), [
    ("CREATE EXTENSION IF NOT EXISTS citext;\nCREATE TABLE broken (note text DEFAULT 'oops);\n", 2, 40),
    ("CREATE SEQUENCE s;\nCREATE TABLE \"broken (id int);\n", 2, 14),
    ("CREATE SEQUENCE s;\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1;\n", 2, 49),
    ("CREATE SEQUENCE s;\n/* a comment never closed\n", 2, 1),
])
def test_unterminated_quote_swallowing_a_dump(tmp_path: Path, head: str, line: int, column: int) -> None:
    path = tmp_path / "dump.sql"
    path.write_text(head + TABLES + "\n", encoding="utf-8")
    output = assert_located(run("import", str(path)), path, line, "never closed")
    assert f"{path}:{line}:{column}: error: " in output, output
    assert "CREATE TABLE t5" not in output  # the swallowed text is not echoed back


def test_a_quote_missing_in_the_middle_is_found_where_it_opened(tmp_path: Path) -> None:
    """An odd quote pairs every later quote with the wrong one; the quote that runs to the
    end of the file is not where the mistake is."""
    path = tmp_path / "dump.sql"
    path.write_text(TABLES.replace("DEFAULT 'x3'", "DEFAULT 'x3", 1) + "\n", encoding="utf-8")
    assert_located(run("import", str(path)), path, 4, "never closed")


@pytest.mark.parametrize("dialect", ["mysql", "sqlite"])
def test_unterminated_quote_in_mysql_and_sqlite_dumps(tmp_path: Path, dialect: str) -> None:
    path = tmp_path / "dump.sql"
    path.write_text("CREATE TABLE broken (note text DEFAULT 'oops);\n" + TABLES + "\n", encoding="utf-8")
    assert_located(run("import", str(path), "--dialect", dialect), path, 1, "never closed")


def _tables_and_checks(design) -> list:  # noqa: ANN001 - a model.Design
    return [(t.name, [(c.name, c.sql_type, c.nullable) for c in t.columns],
             sorted((c.name, c.expression) for c in t.checks)) for t in design.tables]


@pytest.mark.parametrize("example", ["shop", "saas_tracker", "iot_telemetry", "tpcc", "existing/legacy_crm"])
def test_dbml_written_by_import_reads_back(tmp_path: Path, example: str) -> None:
    if example.startswith("existing/"):
        sql = ROOT / "examples" / f"{example}.sql"
    else:
        sql = tmp_path / "schema.sql"
        sql.write_text(render_up(design_file(ROOT / "examples" / f"{example}.yaml")), encoding="utf-8")
    dbml = tmp_path / "out.dbml"
    written = run("import", str(sql), "--dbml", str(dbml))
    assert written.returncode == 0, written.stdout + written.stderr
    again = run("import", str(dbml))
    assert again.returncode == 0, again.stdout + again.stderr
    original, read_back = load_target(str(sql)), load_target(str(dbml))
    assert _tables_and_checks(read_back) == _tables_and_checks(original)
    assert to_dbml(read_back) == dbml.read_text(encoding="utf-8").split("\n// ")[0].rstrip("\n") + "\n"


# ---------------------------------------------------------------- memory


def _alias_bomb(levels: int, width: int) -> str:
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\nproject: p\nentities: {X: {attributes: {n: string}}}\n"


@pytest.mark.parametrize(("levels", "width"), [(8, 9), (10, 9), (4, 300)])
def test_alias_bombs_end_quickly_with_a_clear_error(tmp_path: Path, levels: int, width: int) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(_alias_bomb(levels, width), encoding="utf-8")
    started = time.monotonic()
    result = run("check", str(path), cap=True, timeout=60)
    assert time.monotonic() - started < 20
    assert_located(result, path, None, "alias")


def test_oversized_spec_is_refused_before_it_is_read(tmp_path: Path) -> None:
    from schemawright.requirements.yaml_marks import MAX_DOCUMENT_BYTES

    path = tmp_path / "big.yaml"
    entity = "  E{0:07d}:\n    attributes:\n      name: {{type: string, max_length: 80, required: true}}\n"
    with path.open("w", encoding="utf-8") as out:
        out.write("project: big\nentities:\n")
        i = 0
        while out.tell() <= MAX_DOCUMENT_BYTES:
            out.write("".join(entity.format(n) for n in range(i, i + 1000)))
            i += 1000
    started = time.monotonic()
    result = run("check", str(path), cap=True, timeout=60)
    assert time.monotonic() - started < 20
    assert_located(result, path, 1, "MB")


def test_many_small_nodes_within_the_size_limit_are_refused(tmp_path: Path) -> None:
    from schemawright.requirements.yaml_marks import MAX_DOCUMENT_BYTES, MAX_NODES

    path = tmp_path / "dense.yaml"
    count = MAX_NODES  # `[0,0,...]`: two bytes a node, far below the size limit
    assert 2 * count < MAX_DOCUMENT_BYTES
    path.write_text("project: p\nentities: {X: {attributes: {n: string}}}\nz: [" + "0," * count + "0]\n",
                    encoding="utf-8")
    result = run("check", str(path), cap=True, timeout=60)
    assert_located(result, path, None, "values")


# ---------------------------------------------------------------- NUL and backticks beyond specs


@pytest.mark.parametrize("suffix", [".dbml", ".sql"])
def test_nul_in_an_imported_file_is_located(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"nul{suffix}"
    text = 'Table "a\0b" {\n  id int [pk]\n}\n' if suffix == ".dbml" else 'CREATE TABLE "a\0b" (id int);\n'
    path.write_text(text, encoding="utf-8")
    for command in ("import", "docs"):
        assert_located(run(command, str(path), *(["-o", str(tmp_path / "site")] if command == "docs" else [])),
                       path, 1, "NUL")


def test_control_characters_in_names_reach_graphviz_harmlessly() -> None:
    from schemawright import model as m
    from schemawright.documentation.dot import render_svg, to_dot

    design = m.Design(project="p", tables=(m.Table(name="a\0b\x01c", description="x\0y", columns=(
        m.Column(name="i\0d", semantic="integer", sql_type="integer", nullable=False),)),))
    source = to_dot(design)
    assert "\0" not in source and "\x01" not in source
    if render_svg("digraph { }") is not None:  # Graphviz installed
        assert "<svg" in render_svg(source)


def test_dbml_cannot_write_a_check_holding_a_backtick_so_it_lists_it() -> None:
    from schemawright import model as m
    from schemawright.importers.dbml import import_dbml

    design = m.Design(project="p", tables=(m.Table(name="t", columns=(
        m.Column(name="a", semantic="text", sql_type="text", nullable=True),),
        checks=(m.Check(name="ok", expression="a <> '{x}'"), m.Check(name="odd", expression="a <> '`'"))),))
    text = to_dbml(design)
    assert "// check constraint odd: CHECK (a <> '`')" in text
    assert [(c.name, c.expression) for c in import_dbml(text, "t.dbml").tables[0].checks] == [("ok", "a <> '{x}'")]
