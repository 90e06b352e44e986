"""`schemawright normalize`: CSV profiling, the guards, the decomposition, the lossless check,
the spec and its DDL on a real PostgreSQL."""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from schemawright.cli import app
from schemawright.database import Database, scratch_database
from schemawright.profiling import discovery
from schemawright.profiling.csv_reader import read_csv
from schemawright.profiling.lossless import Join, TableShape, check_lossless
from schemawright.profiling.planted import Shape, recovery, write_planted
from schemawright.commands.normalize import write_outputs
from schemawright.profiling.run import Options, normalize
from schemawright.profiling.type_inference import infer_type

ROOT = Path(__file__).resolve().parent.parent
def _datasets() -> Path:
    """$SCHEMAWRIGHT_FD_DATASETS, else ../shared/datasets/fd beside the checkout, else the
    workplace's shared folder (a CI clone may live elsewhere than the project)."""
    if os.environ.get("SCHEMAWRIGHT_FD_DATASETS"):
        return Path(os.environ["SCHEMAWRIGHT_FD_DATASETS"])
    candidates = [ROOT.parent / "shared" / "datasets" / "fd", Path("/work/shared/datasets/fd")]
    return next((c for c in candidates if c.is_dir()), candidates[0])


DATASETS = _datasets()

# ../shared/datasets/fd/README.md: minimal non-trivial exact FDs with one right-hand attribute,
# '?' and empty counting as ordinary values; the header row as the README says.
REFERENCE = [
    ("abalone.csv", False, 4177, 9, 137),
    ("bridges.csv", False, 108, 13, 142),
    ("breast-cancer-wisconsin.csv", True, 699, 11, 46),
    ("hepatitis.csv", True, 155, 20, 8250),
    ("ncvoter_1001r_19c.csv", True, 1000, 19, 758),
]


@pytest.mark.parametrize(("name", "header", "rows", "columns", "fds"), REFERENCE, ids=[r[0] for r in REFERENCE])
def test_reference_datasets_give_the_published_fd_counts(name, header, rows, columns, fds):
    path = DATASETS / name
    if not path.exists():
        pytest.skip(f"{path} is absent (set SCHEMAWRIGHT_FD_DATASETS to the folder of the FD data sets)")
    table = read_csv(path)  # header detected, not given: a wrong guess would be one row off
    assert (table.rows, len(table.columns)) == (rows, columns)
    found = discovery.exact_fds(table)
    assert len(found) == fds
    assert all(len(f.rhs) == 1 and not f.rhs & f.lhs for f in found)


def _orders(path: Path, rows: int = 1200) -> Path:
    """Orders joined with customers, zip -> city, state and products, all planted."""
    rng = np.random.default_rng(7)
    cities = {"10001": ("New York", "NY"), "94105": ("San Francisco", "CA"), "60601": ("Chicago", "IL"),
              "73301": ("Austin", "TX"), "02108": ("Boston", "MA"), "98101": ("Seattle", "WA")}
    zips = sorted(cities)
    customers = [(i, f"cust{i}@example.com", f"Customer {i}", zips[int(rng.integers(0, 6))]) for i in range(1, 61)]
    products = [(i, f"Product {i}", f"{int(rng.integers(100, 9999)) / 100:.2f}", ["toys", "books", "garden"][i % 3])
                for i in range(1, 31)]
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["order_id", "order_date", "customer_id", "customer_email", "customer_name", "zip", "city",
                         "state", "product_id", "product_name", "unit_price", "category", "quantity"])
        for order in range(1, rows + 1):
            c = customers[int(rng.integers(0, 60))]
            p = products[int(rng.integers(0, 30))]
            day = f"2024-{int(rng.integers(1, 13)):02d}-{int(rng.integers(1, 29)):02d}"
            writer.writerow([order, day, *c, *cities[c[3]], *p, int(rng.integers(1, 6))])
    return path


EXPECTED_TABLES = {
    "orders": (["order_id", "order_date", "customer_id", "product_id", "quantity"], ("order_id",)),
    "customers": (["customer_id", "customer_email", "customer_name", "zip"], ("customer_id",)),
    "products": (["product_id", "product_name", "unit_price", "category"], ("product_id",)),
    "zips": (["zip", "city", "state"], ("zip",)),
}


def test_planted_orders_decompose_into_the_right_tables_and_apply_to_postgresql(tmp_path, pg_url):
    result = normalize([_orders(tmp_path / "orders.csv")], Options())
    proposal = result.proposal
    assert {t.name: (t.columns, t.key) for t in proposal.tables} == EXPECTED_TABLES
    assert {(link.child, link.columns, link.parent) for link in proposal.links} == {
        ("orders", ("customer_id",), "customers"), ("orders", ("product_id",), "products"),
        ("customers", ("zip",), "zips")}
    assert proposal.lossless["orders"].lossless and proposal.lossless["orders"].joined == 1200
    types = {c: t.types[c] for t in proposal.tables for c in t.columns}
    assert types["order_id"].kind == "integer" and types["order_date"].kind == "date"
    assert types["customer_email"].kind == "email" and types["category"].kind == "enum"
    assert (types["unit_price"].kind, types["unit_price"].scale) == ("decimal", 2)
    assert types["zip"].kind == "text"  # leading zero (02108); a table lists its values, so no enum
    assert {t.name: t.rows for t in proposal.tables} == {"orders": 1200, "customers": 60, "products": 30, "zips": 6}

    written = write_outputs(result, tmp_path / "out")
    names = {p.relative_to(tmp_path / "out").as_posix() for p in written}
    assert {"spec.yaml", "schema.sql", "data-dictionary.md", "report.md", "erd.mmd", "model.json",
            "migrations/0001_initial.up.sql"} <= names
    spec = (tmp_path / "out" / "spec.yaml").read_text()
    assert "depends:" in spec and "rows: 60" in spec
    report = (tmp_path / "out" / "normalize.md").read_text()
    assert "| `zips` | zip, city, state | zip | 6 |" in report
    assert "split customer_id -> city, customer_email, customer_name, state, zip off (score" in report
    ddl = (tmp_path / "out" / "schema.sql").read_text()
    with scratch_database(pg_url) as url, Database(url) as db:
        db.execute(ddl)
        fks = db.query("SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint "
                       "WHERE contype = 'f' ORDER BY 1, 2")
        assert fks == [("customers", "zips"), ("orders", "customers"), ("orders", "products")]
        # the proposed tables accept the data itself: load each projection (parents, which were
        # split off later, first), then join it back
        for table in reversed(proposal.tables):
            rows = _projection(tmp_path / "orders.csv", table.columns)
            cols = ", ".join(table.columns)
            marks = ", ".join(["%s"] * len(table.columns))
            for row in sorted(rows):
                db.execute(f"INSERT INTO {table.name} ({cols}) VALUES ({marks})", list(row))
        joined = db.query_value("SELECT count(*) FROM orders JOIN customers USING (customer_id) "
                                "JOIN zips USING (zip) JOIN products USING (product_id)")
        assert joined == 1200


def test_a_wide_determinant_gets_a_surrogate_key_and_stays_unique(tmp_path, pg_url):
    path = tmp_path / "picks.csv"
    rng = np.random.default_rng(5)
    lines = ["pick_id,warehouse,aisle,shelf,capacity,qty"]
    for i in range(600):  # no two of warehouse, aisle, shelf determine the capacity, nor it them
        w, a, s = int(rng.integers(0, 2)), int(rng.integers(0, 5)), int(rng.integers(0, 2))
        capacity = 2 if (w, a, s) == (1, 0, 0) else 1 if a == 4 else (a + s) % 3
        lines.append(f"{i + 1},W{w},A{a},S{s},{capacity},{int(rng.integers(1, 50))}")
    path.write_text("\n".join(lines) + "\n")
    result = normalize([path], Options())
    tables = {t.name: t for t in result.proposal.tables}
    wide = tables["warehouse_aisle_shelfs"]
    assert wide.columns == ["warehouse", "aisle", "shelf", "capacity"]
    assert wide.key is None and wide.uniques[0] == ("warehouse", "aisle", "shelf")
    assert [(link.child, link.columns, link.parent) for link in result.proposal.links] == [
        ("picks", ("warehouse", "aisle", "shelf"), "warehouse_aisle_shelfs")]
    assert result.proposal.lossless["picks"].lossless
    write_outputs(result, tmp_path / "out")
    ddl = (tmp_path / "out" / "schema.sql").read_text()
    with scratch_database(pg_url) as url, Database(url) as db:
        db.execute(ddl)
        assert db.query("SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                        "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'warehouse_aisle_shelfs'::regclass "
                        "AND i.indisprimary") == [("id",)]
        db.execute("INSERT INTO warehouse_aisle_shelfs (warehouse, aisle, shelf, capacity) VALUES ('W0', 'A0', 'S0', 0)")
        db.execute("INSERT INTO picks VALUES (1, 'W0', 'A0', 'S0', 5)")  # the foreign key on the natural key


def _projection(path: Path, columns: list[str]) -> set[tuple]:
    with path.open(newline="") as f:
        return {tuple(row[c] for c in columns) for row in csv.DictReader(f)}


def test_output_is_byte_identical_across_runs(tmp_path):
    data = _orders(tmp_path / "orders.csv", rows=300)
    outputs = []
    for _ in range(2):  # the same output folder, since model.json names the spec's path
        write_outputs(normalize([data], Options()), tmp_path / "out")
        outputs.append({p.name: p.read_bytes() for p in sorted((tmp_path / "out").rglob("*")) if p.is_file()})
    assert outputs[0] == outputs[1]


def test_planted_shop_of_eight_tables_is_recovered_exactly(tmp_path):
    truth = write_planted(tmp_path / "order_lines.csv", Shape(rows=4000, noise_columns=1))
    result = normalize([tmp_path / "order_lines.csv"], Options())
    scores = recovery(result.proposal, truth)
    assert scores.jaccard == {t.name: 1.0 for t in truth}
    assert (scores.key_precision, scores.key_recall, scores.fk_precision, scores.fk_recall) == (1.0, 1.0, 1.0, 1.0)
    assert result.proposal.lossless["order_lines"].lossless


def test_typos_break_exact_fds_and_approximate_fds_recover_them(tmp_path):
    truth = write_planted(tmp_path / "order_lines.csv", Shape(rows=4000, typos=0.002))
    exact = recovery(normalize([tmp_path / "order_lines.csv"], Options()).proposal, truth)
    assert exact.jaccard["zips"] < 1.0  # zip -> city no longer holds exactly
    result = normalize([tmp_path / "order_lines.csv"], Options(approximate=0.01))
    approximate = recovery(result.proposal, truth)
    assert approximate.jaccard["zips"] == 1.0
    check = result.proposal.lossless["order_lines"]
    with (tmp_path / "order_lines.csv").open(newline="") as f:
        misspelt = sum(1 for row in csv.DictReader(f) if row["city"].endswith("x"))
    assert misspelt > 0 and not check.lossless
    assert check.differing == misspelt  # exactly the misspelt rows: zips keeps each zip's majority city


def test_lossless_check_catches_a_lossy_split(tmp_path):
    table = read_csv(_orders(tmp_path / "orders.csv", rows=200))
    names = table.names
    rest = tuple(n for n in names if n not in ("city", "state"))
    good = [TableShape(rest, ("order_id",)), TableShape(("zip", "city", "state"), ("zip",))]
    assert check_lossless(table, good, 0, [Join(0, ("zip",), 1)]).lossless
    # quantity does not determine the product: one product per quantity loses rows' values
    moved = ("product_id", "product_name", "unit_price", "category")
    lossy = [TableShape(tuple(n for n in names if n not in moved), ("order_id",)),
             TableShape(("quantity", *moved), ("quantity",))]
    check = check_lossless(table, lossy, 0, [Join(0, ("quantity",), 1)])
    assert not check.lossless and check.differing > 100


def test_guards_reject_accidental_dependencies(tmp_path):
    """`price -> band` holds but price is a measurement; `size -> colour` holds on the sample the
    dependencies are discovered on, but not on the held-out rows; maker_id -> maker_name is real."""
    from schemawright.profiling.file_profile import _sample_rows

    rows, sample = 200, 60
    in_sample = set(_sample_rows(rows, sample).tolist())
    broken = [i for i in range(rows) if i not in in_sample][:3]
    rng = np.random.default_rng(3)
    path = tmp_path / "items.csv"
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["item_id", "price", "band", "size", "colour", "maker_id", "maker_name"])
        for i in range(rows):
            price, size, maker = int(rng.integers(0, 8)), int(rng.integers(0, 4)), int(rng.integers(1, 6))
            colour = "pink" if i in broken else ["red", "blue", "green", "black"][size]
            writer.writerow([i + 1, f"{1 + 2.5 * price:.2f}", price // 2, size, colour, maker, f"Maker {maker}"])
    result = normalize([path], Options(sample=sample))
    tables = {t.name: t.columns for t in result.proposal.tables}
    assert tables == {"items": ["item_id", "price", "band", "size", "colour", "maker_id"],
                      "makers": ["maker_id", "maker_name"]}
    decisions = "\n".join(result.proposal.decisions)
    assert "price (decimal) is a measurement, not an identifier" in decisions
    assert "not moved with size: colour: held on the sample but not on the held-out rows" in decisions
    assert result.proposal.lossless["items"].lossless
    # without the guards' held-out check the same sample would have split size -> colour off
    assert any(f.lhs == {"size"} and f.rhs == {"colour"} for f in result.profiles[0].fds)


def test_a_column_called_id_and_duplicate_rows_give_a_table_without_key(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("id,level\n1,info\n1,info\n2,warn\n")
    result = normalize([path], Options())
    (table,) = result.proposal.tables
    assert table.keyless and table.key is None
    assert "primary_key: []" in result.spec_yaml
    write_outputs(result, tmp_path / "out")  # the pipeline accepts it (no clash with a surrogate id)
    assert "PRIMARY KEY" not in (tmp_path / "out" / "schema.sql").read_text()


def test_a_price_unique_by_chance_is_no_primary_key(tmp_path):
    path = tmp_path / "readings.csv"
    path.write_text("price,colour\n" + "".join(f"{1 + i * 1.37:.2f},{['red', 'blue'][i % 2]}\n" for i in range(30)))
    result = normalize([path], Options())
    (table,) = result.proposal.tables
    assert table.key is None and table.uniques == []
    assert "readings: surrogate key id (no column combination is unique on all rows without NULLs)" in \
        result.proposal.decisions


def test_null_policy(tmp_path):
    """Empty fields are NULL: such a column is optional, its type comes from the other values,
    and it never becomes the key of a split-off table, although `dept -> floor` holds with NULL
    as one more value; `floor -> dept` (floor 9 has no department) is split off instead."""
    path = tmp_path / "staff.csv"
    rows = ["staff_id,dept,floor,badge"]
    for i in range(60):
        dept = "" if i % 10 == 0 else f"D{i % 4}"
        rows.append(f"{i + 1},{dept},{(i % 4) if dept else 9},{i * 7 if i % 3 else ''}")
    path.write_text("\n".join(rows) + "\n")
    result = normalize([path], Options())
    tables = {t.name: t for t in result.proposal.tables}
    assert {n: (t.columns, t.key) for n, t in tables.items()} == {
        "staff": (["staff_id", "floor", "badge"], ("staff_id",)), "floors": (["dept", "floor"], ("floor",))}
    assert tables["staff"].nullable == {"badge"} and tables["floors"].nullable == {"dept"}
    assert tables["staff"].types["badge"].kind == "integer"
    assert "dept hold(s) NULLs, and a primary key cannot" in "\n".join(result.proposal.decisions)
    assert any(f.lhs == {"dept"} and f.rhs == {"floor"} for f in result.profiles[0].fds)
    spec = result.spec_yaml
    assert "badge:\n        type: integer\n        description" in spec  # not required


def test_foreign_keys_across_files_from_inclusion_dependencies(tmp_path):
    (tmp_path / "makers.csv").write_text("maker_id,maker_name\n" + "".join(f"{i},Maker {i}\n" for i in range(1, 8)))
    (tmp_path / "items.csv").write_text("item_id,maker_id,weight\n"
                                        + "".join(f"{i},{i % 5 + 1},{i * 3}\n" for i in range(1, 50)))
    result = normalize([tmp_path / "items.csv", tmp_path / "makers.csv"], Options())
    assert [(link.child, link.columns, link.parent, link.references) for link in result.proposal.links] == [
        ("items", ("maker_id",), "makers", ("maker_id",))]
    assert "inclusion dependency" in result.proposal.links[0].reason
    # makers.maker_id (1..7) is included in items.item_id (1..49) too, by chance: no foreign key
    assert "no foreign key makers.maker_id -> items.item_id" in "\n".join(result.proposal.decisions)


def test_type_inference():
    from schemawright.profiling.table import Column

    def kind(values, rows=1000):
        column = Column("c", np.zeros(rows, np.int32), values, None)
        return infer_type(column, rows)

    assert kind(["1", "-20", "300"]).kind == "integer"
    assert kind(["1", "9999999999"]).kind == "bigint"
    assert (kind(["1.5", "12.25", "3"]).precision, kind(["1.5", "12.25", "3"]).scale) == (4, 2)
    assert kind(["2024-01-31", "2023-12-01"]).kind == "date"
    assert kind(["2024-02-30"]).kind != "date"
    assert kind(["2024-01-31T10:00:00", "2024-01-31 11:30"]).kind == "timestamp"
    assert kind(["true", "false"]).kind == "boolean"
    assert kind(["a@b.io", "x.y@z.org"]).kind == "email"
    assert kind(["open", "closed"]).values == ("closed", "open")
    assert kind(["open", "closed"], rows=5).kind == "text"  # too few rows to call it an enum
    assert kind(["007", "12"]).kind == "enum"  # a leading zero is not a number
    assert kind([f"word {i}" for i in range(50)]).kind == "text"


def test_desbordante_options_are_checked_by_name():
    import desbordante

    with pytest.raises(discovery.OptionError, match="max_lhz"):
        discovery._execute(desbordante.fd.algorithms.HyFD(), {"table": ("x.csv", ",", True)}, {"max_lhz": 2})


runner = CliRunner()


def test_cli_normalize(tmp_path):
    data = _orders(tmp_path / "orders.csv", rows=300)
    result = runner.invoke(app, ["normalize", str(data), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "proposed 4 tables, 3 foreign keys" in result.stdout
    assert "lossless: the join of the proposed tables gives back exactly the 300 input rows" in result.stdout
    assert (tmp_path / "out" / "schema.sql").exists()


def test_cli_interactive_skip_then_accept(tmp_path):
    data = _orders(tmp_path / "orders.csv", rows=300)
    # skip the first proposal (zip -> city, state: in these 300 rows zip, city and state are
    # one-to-one), accept every other one: no table is keyed on zip any more
    answers = "s\n" + "a\n" * 10
    result = runner.invoke(app, ["normalize", str(data), "-o", str(tmp_path / "out"), "--interactive"], input=answers)
    assert result.exit_code == 0, result.output
    assert "BCNF violations" in result.output
    skipped = result.output.split("split on 1: ", 1)[1].split(" -> ", 1)[0]
    assert skipped == "zip"
    import yaml

    spec = yaml.safe_load((tmp_path / "out" / "spec.yaml").read_text())
    assert all(entity.get("primary_key") != [skipped] for entity in spec["entities"].values())
    assert "zips" not in spec["entities"] and "customers" in spec["entities"]
    auto = normalize([data], Options()).proposal
    assert "zips" in {t.name for t in auto.tables}


def test_cli_interactive_done_keeps_the_file_as_one_table(tmp_path):
    data = _orders(tmp_path / "orders.csv", rows=300)
    result = runner.invoke(app, ["normalize", str(data), "-o", str(tmp_path / "out"), "--interactive"], input="d\n")
    assert result.exit_code == 0, result.output
    assert "proposed 1 tables, 0 foreign keys" in result.stdout
    import yaml

    spec = yaml.safe_load((tmp_path / "out" / "spec.yaml").read_text())
    kept = {tuple(r["depends"]["determinant"]) for r in spec["rules"] if "depends" in r}
    assert {("customer_id",), ("product_id",), ("zip",)} <= kept  # the redundancy kept is documented


def test_cli_interactive_choose_another(tmp_path):
    data = _orders(tmp_path / "orders.csv", rows=300)
    # at the first step choose the second-ranked dependency instead, then stop everywhere
    result = runner.invoke(app, ["normalize", str(data), "-o", str(tmp_path / "out"), "--interactive"],
                           input="c\n2\n" + "d\n" * 10)
    assert result.exit_code == 0, result.output
    listed = result.output.split("│ 2 │ ", 1)[1].split(" -> ", 1)[0].strip()
    assert "proposed 2 tables, 1 foreign keys" in result.stdout
    assert f"key {listed}," in result.stdout  # the table split off is keyed on the chosen determinant


def test_cli_no_header_and_delimiter(tmp_path):
    data = tmp_path / "pairs.txt"
    data.write_text("".join(f"{i};{i % 3};group {i % 3}\n" for i in range(30)))
    result = runner.invoke(app, ["normalize", str(data), "--no-header", "--delimiter", ";", "-o", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "pairs (column1, column2) key column1, 30 rows" in result.stdout
    assert "column2s (column2, column3) key column2, 3 rows" in result.stdout


def test_cli_bad_csv_gives_located_errors(tmp_path):
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b\n1,2\n3,4,5\n")
    result = runner.invoke(app, ["normalize", str(ragged), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert f"{ragged}:3:1: error: this row has 3 fields, the first row has 2" in result.output
    assert "Traceback" not in result.output
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"name,city\nx,M\xfcnchen\n")
    result = runner.invoke(app, ["normalize", str(latin), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and f"{latin}:2:4: error: byte 0xfc is not valid UTF-8" in result.output
    dup = tmp_path / "dup.csv"
    dup.write_text("a,a\nx,1\n")
    result = runner.invoke(app, ["normalize", str(dup), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and f"{dup}:1:2: error: column name 'a' appears twice" in result.output
    result = runner.invoke(app, ["normalize", str(dup), "--approximate", "1.5", "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and "--approximate must be in [0, 1)" in result.output
    assert not (tmp_path / "out").exists()


def test_cli_without_desbordante_says_how_to_install_it(tmp_path, monkeypatch):
    data = _orders(tmp_path / "orders.csv", rows=50)
    monkeypatch.setitem(sys.modules, "desbordante", None)  # `import desbordante` now raises ImportError
    result = runner.invoke(app, ["normalize", str(data), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "pip install 'schemawright[profile]'" in result.output and "desbordante" in result.output
    assert "Traceback" not in result.output


CITIES = ["Oslo", "Rome", "Lima", "Kyiv", "Pune"]


def _orders_and_customers(folder: Path, renamed: dict[int, str] | None = None, key: str = "customer_id") -> list[Path]:
    """orders.csv carries customer_id, name and city for 30 of the 40 customers of customers.csv;
    `renamed` gives some customers another name in customers.csv only."""
    folder.mkdir(exist_ok=True)
    rng = np.random.default_rng(11)
    customers = [(i, f"Customer {i}", CITIES[i % 5], f"c{i}@example.com") for i in range(1, 41)]
    with (folder / "orders.csv").open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["order_id", "customer_id", "customer_name", "customer_city", "total"])
        for order in range(1, 301):
            c = customers[int(rng.integers(0, 30))]
            writer.writerow([order, *c[:3], f"{int(rng.integers(100, 99999)) / 100:.2f}"])
    with (folder / "customers.csv").open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([key, "customer_name", "customer_city", "email"])
        for i, name, city, email in customers:
            writer.writerow([i, (renamed or {}).get(i, name), city, email])
    return [folder / "orders.csv", folder / "customers.csv"]


def test_tables_of_the_same_entity_in_two_files_are_merged(tmp_path, pg_url):
    paths = _orders_and_customers(tmp_path / "data")
    result = normalize(paths, Options())
    proposal = result.proposal
    assert {t.name: (t.columns, t.key, t.rows) for t in proposal.tables} == {
        "orders": (["order_id", "customer_id", "total"], ("order_id",), 300),
        "customers": (["customer_id", "customer_name", "customer_city", "email"], ("customer_id",), 40)}
    assert [(link.child, link.columns, link.parent, link.references) for link in proposal.links] == [
        ("orders", ("customer_id",), "customers", ("customer_id",))]
    assert proposal.lossless["orders"].lossless and proposal.lossless["orders"].joined == 300
    # the merged table holds 40 customers, customers.csv's own fact table: exactly its 40 rows
    assert proposal.lossless["customers"].lossless and proposal.lossless["customers"].joined == 40
    merged = [d for d in proposal.decisions if d.startswith("merged customers_2")]
    assert len(merged) == 1 and "agree on customer_name, customer_city" in merged[0]
    assert "10 key(s) are in one of them only" in merged[0]
    write_outputs(result, tmp_path / "out")
    report = (tmp_path / "out" / "normalize.md").read_text()
    assert "| `customers` | customer_id, customer_name, customer_city, email | customer_id | 40 |" in report
    assert "- merged customers_2" in report and "customers_2" not in (tmp_path / "out" / "schema.sql").read_text()
    with scratch_database(pg_url) as url, Database(url) as db:
        db.execute((tmp_path / "out" / "schema.sql").read_text())
        for row in sorted(_projection(paths[1], ["customer_id", "customer_name", "customer_city", "email"])):
            db.execute("INSERT INTO customers VALUES (%s, %s, %s, %s)", list(row))
        for row in sorted(_projection(paths[0], ["order_id", "customer_id", "total"])):
            db.execute("INSERT INTO orders VALUES (%s, %s, %s)", list(row))
        assert db.query_value("SELECT count(*) FROM orders JOIN customers USING (customer_id)") == 300


def test_merge_keeps_a_customer_only_one_file_has_with_nulls(tmp_path):
    """A customer that only orders.csv has: the merged table keeps it, with a NULL e-mail."""
    paths = _orders_and_customers(tmp_path / "data")
    lines = paths[1].read_text().splitlines()
    kept = [line for line in lines if not line.startswith(("3,", "4,"))]  # customers 3 and 4 only in orders
    paths[1].write_text("\n".join(kept) + "\n")
    with paths[0].open(newline="") as f:
        assert {"3", "4"} <= {row["customer_id"] for row in csv.DictReader(f)}
    result = normalize(paths, Options())
    customers = next(t for t in result.proposal.tables if t.name == "customers")
    assert customers.rows == 40 and customers.nullable == {"email"}
    assert "so email became nullable" in "\n".join(result.proposal.decisions)
    assert "email:\n        type: email\n        description" in result.spec_yaml  # not required
    assert all(check.lossless for check in result.proposal.lossless.values())


def test_differently_named_keys_merge_through_an_inclusion_and_their_names(tmp_path):
    """customers.csv calls its key id: its values include orders.customer_id and the names
    agree (customers.id), so the tables merge under the name customer_id."""
    paths = _orders_and_customers(tmp_path / "data", key="id")
    result = normalize(paths, Options())
    tables = {t.name: (t.columns, t.key) for t in result.proposal.tables}
    assert tables["customers"] == (["customer_id", "customer_name", "customer_city", "email"], ("customer_id",))
    assert len(tables) == 2
    assert all(check.lossless for check in result.proposal.lossless.values())
    assert result.proposal.lossless["customers"].joined == 40


def test_tables_whose_data_disagree_are_not_merged_and_the_reason_is_reported(tmp_path):
    paths = _orders_and_customers(tmp_path / "data", renamed={7: "Customer Seven"})
    with paths[0].open(newline="") as f:
        assert any(row["customer_id"] == "7" for row in csv.DictReader(f))  # a key both files have
    result = normalize(paths, Options())
    names = {t.name for t in result.proposal.tables}
    assert names == {"orders", "customers", "customers_2"}
    (reason,) = [d for d in result.proposal.decisions if d.startswith("not merged: customers and customers_2")]
    assert "1 of the 30 keys they share have different values of customer_name (for example" in reason
    assert "7: customer_name 'Customer 7' vs 'Customer Seven'" in reason
    assert all(check.lossless for check in result.proposal.lossless.values())


def _lines_and_shipments(folder: Path, stray: bool = False) -> list[Path]:
    """order_lines keyed (order_id, line_no); shipments name a line by both columns. With
    `stray`, one shipment names order 1 line 9: both values exist, the combination does not."""
    folder.mkdir(exist_ok=True)
    rng = np.random.default_rng(2)
    lines = []
    with (folder / "order_lines.csv").open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["order_id", "line_no", "sku", "quantity"])
        for order in range(1, 151):
            for line in range(1, int(rng.integers(1, 5)) + 1 + (8 if order == 2 else 0)):
                lines.append((order, line))
                writer.writerow([order, line, f"SKU-{int(rng.integers(1, 40)):03d}", int(rng.integers(1, 10))])
    with (folder / "shipments.csv").open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["shipment_id", "order_id", "line_no", "carrier", "shipped_on"])
        for shipment in range(1, 241):
            order, line = (1, 9) if stray and shipment == 1 else lines[int(rng.integers(0, len(lines)))]
            writer.writerow([shipment, order, line, ["DHL", "UPS", "FedEx"][int(rng.integers(0, 3))],
                             f"2024-03-{int(rng.integers(1, 29)):02d}"])
    return [folder / "order_lines.csv", folder / "shipments.csv"]


def test_composite_foreign_key_across_files(tmp_path, pg_url):
    paths = _lines_and_shipments(tmp_path / "data")
    result = normalize(paths, Options())
    proposal = result.proposal
    assert {t.name: t.key for t in proposal.tables} == {"order_lines": ("order_id", "line_no"),
                                                        "shipments": ("shipment_id",)}
    assert [(link.child, link.columns, link.parent, link.references) for link in proposal.links] == [
        ("shipments", ("order_id", "line_no"), "order_lines", ("order_id", "line_no"))]
    assert "verified on the data" in proposal.links[0].reason
    write_outputs(result, tmp_path / "out")
    with scratch_database(pg_url) as url, Database(url) as db:
        db.execute((tmp_path / "out" / "schema.sql").read_text())
        fks = db.query("SELECT conrelid::regclass::text, confrelid::regclass::text, array_length(conkey, 1) "
                       "FROM pg_constraint WHERE contype = 'f'")
        assert fks == [("shipments", "order_lines", 2)]


def test_composite_foreign_key_is_refused_when_a_combination_is_missing(tmp_path):
    paths = _lines_and_shipments(tmp_path / "data", stray=True)
    result = normalize(paths, Options())
    assert result.proposal.links == []
    assert ("no foreign key shipments(order_id, line_no) -> order_lines(order_id, line_no): each column's values "
            "occur in the parent, but 1 combination(s) of them are no key of it") in result.proposal.decisions


def test_multi_file_output_is_byte_identical_across_runs(tmp_path):
    paths = _orders_and_customers(tmp_path / "data")
    outputs = []
    for _ in range(2):
        write_outputs(normalize(paths, Options()), tmp_path / "out")
        outputs.append({p.name: p.read_bytes() for p in sorted((tmp_path / "out").rglob("*")) if p.is_file()})
    assert outputs[0] == outputs[1]


def test_planted_shop_in_three_overlapping_files_is_recovered_exactly(tmp_path, pg_url):
    from schemawright.profiling.planted import write_planted_files

    paths, truth = write_planted_files(tmp_path / "shop", Shape(rows=4000, noise_columns=1))
    assert [p.name for p in paths] == ["order_lines.csv", "customers.csv", "products.csv"]
    result = normalize(paths, Options())
    scores = recovery(result.proposal, truth)
    assert scores.jaccard == {t.name: 1.0 for t in truth}
    assert (scores.key_precision, scores.key_recall, scores.fk_precision, scores.fk_recall) == (1.0, 1.0, 1.0, 1.0)
    assert sorted(d.split(" (")[0] for d in result.proposal.decisions if d.startswith("merged ")) == [
        "merged customers_2", "merged products_2"]
    products = next(t for t in result.proposal.tables if t.name == "products")
    assert products.nullable == {"unit_price", "category_code"}  # products.csv lacks every seventh product
    required = {(link.child, link.parent): link.required for link in result.proposal.links}
    assert required[("products", "categories")] is False and required[("order_lines", "products")] is True
    assert {name: check.lossless for name, check in result.proposal.lossless.items()} == {
        "order_lines": True, "customers": True, "products": True}
    write_outputs(result, tmp_path / "out")
    with scratch_database(pg_url) as url, Database(url) as db:
        db.execute((tmp_path / "out" / "schema.sql").read_text())
        assert db.query("SELECT attnotnull FROM pg_attribute WHERE attrelid = 'products'::regclass "
                        "AND attname = 'category_code'") == [(False,)]
        assert db.query_value("SELECT count(*) FROM pg_constraint WHERE contype = 'f'") == 7


def test_cli_normalize_reports_merges_and_tables_kept_apart(tmp_path):
    paths = _orders_and_customers(tmp_path / "data")
    result = runner.invoke(app, ["normalize", *map(str, paths), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "proposed 2 tables, 1 foreign keys" in result.stdout
    assert f"merged customers_2 ({paths[1]}) into customers ({paths[0]})" in result.stdout
    report = (tmp_path / "out" / "normalize.md").read_text()
    assert "## The same entity in several files" in report and "its own fact table" in report
    bad = _orders_and_customers(tmp_path / "bad", renamed={7: "Customer Seven"})
    result = runner.invoke(app, ["normalize", *map(str, bad), "-o", str(tmp_path / "out_bad")])
    assert result.exit_code == 0, result.output
    assert "not merged: customers and customers_2: their data disagrees, see normalize.md" in result.stdout
    assert "Customer Seven" in (tmp_path / "out_bad" / "normalize.md").read_text()


def test_three_files_of_one_entity_merge_and_each_file_is_given_back_from_its_own_rows(tmp_path):
    """Two customer exports (25 and 22 rows, 7 in both) and orders: one `customers` table of 40
    rows (the name a table split off on customer_id gets). Its rows hold keys of all three
    files, yet each export's lossless check gives back exactly its own rows: the check starts
    from the rows whose key the file has."""
    orders, customers = _orders_and_customers(tmp_path / "data")
    lines = customers.read_text().splitlines()
    (tmp_path / "data" / "customers_a.csv").write_text("\n".join(lines[:26]) + "\n")
    (tmp_path / "data" / "customers_b.csv").write_text("\n".join([lines[0], *lines[19:]]) + "\n")
    paths = [tmp_path / "data" / "customers_a.csv", tmp_path / "data" / "customers_b.csv", orders]
    result = normalize(paths, Options())
    proposal = result.proposal
    assert {t.name: (t.columns, t.rows) for t in proposal.tables} == {
        "customers": (["customer_id", "customer_name", "customer_city", "email"], 40),
        "orders": (["order_id", "customer_id", "total"], 300)}
    assert [(link.child, link.parent) for link in proposal.links] == [("orders", "customers")]
    assert len([d for d in proposal.decisions if d.startswith("merged ")]) == 2
    assert {name: (check.lossless, check.joined) for name, check in proposal.lossless.items()} == {
        "customers_a": (True, 25), "customers_b": (True, 22), "orders": (True, 300)}


def test_same_key_name_without_common_values_and_types_is_not_merged(tmp_path):
    """customers.csv numbers its customers C001...: no value in common with orders.csv's
    integers, so the two are different numbering schemes, not one entity."""
    orders, customers = _orders_and_customers(tmp_path / "data")
    lines = customers.read_text().splitlines()
    customers.write_text("\n".join([lines[0], *(f"C{line}" for line in lines[1:])]) + "\n")
    result = normalize([orders, customers], Options())
    assert {t.name for t in result.proposal.tables} == {"orders", "customers", "customers_2"}
    assert any(d.startswith("not merged: customers and customers_2") and "no key value in common" in d
               and "two numbering schemes" in d for d in result.proposal.decisions)


def _wide(path: Path, warehouses: range) -> Path:
    """Rows whose (warehouse, aisle, shelf) determines the shelf's capacity: a 3-column key."""
    rng = np.random.default_rng(5)
    lines = [f"{path.stem[:-1]}_id,warehouse,aisle,shelf,capacity,qty"]
    for i in range(600):
        w, a, s = int(rng.choice(list(warehouses))), int(rng.integers(0, 5)), int(rng.integers(0, 2))
        capacity = 2 if (w, a, s) == (1, 0, 0) else 1 if a == 4 else (a + s) % 3
        lines.append(f"{i + 1},W{w},A{a},S{s},{capacity},{int(rng.integers(1, 50))}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_tables_with_a_wide_natural_key_merge_on_it(tmp_path):
    first = _wide(tmp_path / "picks.csv", range(0, 2))
    second = _wide(tmp_path / "restocks.csv", range(1, 3))
    result = normalize([first, second], Options())
    tables = {t.name: t for t in result.proposal.tables}
    shelves = tables["warehouse_aisle_shelfs"]
    assert shelves.key is None and shelves.uniques[0] == ("warehouse", "aisle", "shelf")
    assert shelves.rows == 30 and "warehouse_aisle_shelfs_2" not in tables  # warehouses 0, 1 and 2
    assert {(link.child, link.parent) for link in result.proposal.links} == {
        ("picks", "warehouse_aisle_shelfs"), ("restocks", "warehouse_aisle_shelfs")}
    assert all(check.lossless for check in result.proposal.lossless.values())


def test_a_foreign_key_the_merge_breaks_is_dropped_with_its_reason(tmp_path):
    """customers_a.csv splits zip -> city off; orders.csv adds customers 31-40, whose zip 99999
    customers_a.csv never saw: the merged customers table cannot reference zips."""
    rng = np.random.default_rng(4)
    zips = {f"{10000 + 7 * z}": CITIES[z] for z in range(5)}
    zip_of = {i: sorted(zips)[i % 5] if i <= 30 else "99999" for i in range(1, 41)}
    with (tmp_path / "customers_a.csv").open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["customer_id", "customer_name", "zip", "city"])
        writer.writerows([i, f"Customer {i}", zip_of[i], zips[zip_of[i]]] for i in range(1, 31))
    with (tmp_path / "orders.csv").open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["order_id", "customer_id", "customer_name", "zip", "total"])
        for order in range(1, 301):
            i = int(rng.integers(1, 41))
            writer.writerow([order, i, f"Customer {i}", zip_of[i], int(rng.integers(1, 999))])
    result = normalize([tmp_path / "customers_a.csv", tmp_path / "orders.csv"], Options())
    tables = {t.name: t.columns for t in result.proposal.tables}
    assert tables["customers"] == ["customer_id", "customer_name", "zip"] and "zips" in tables
    assert ("customers", "zips") not in {(link.child, link.parent) for link in result.proposal.links}
    assert ("no foreign key customers(zip) -> zips: after the merge 1 value(s) of it, from another file, are missing "
            "in zips") in result.proposal.decisions
    assert all(check.lossless for check in result.proposal.lossless.values())
