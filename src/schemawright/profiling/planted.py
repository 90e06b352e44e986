"""Denormalised test data with a known answer: the join of eight normalised tables of a shop
(regions, zips, customers, stores, categories, products, orders, order lines), written as one
CSV, with optional noise: random extra columns and typos that break a planted dependency;
or split into overlapping files (order lines with customer and product names, customers,
products) that `normalize` must merge back into one table per entity.

`recovery` scores a proposal against the planted tables: per planted table the best
attribute-set Jaccard, and precision/recall of primary keys and foreign keys.  The tests and
benchmarks/normalize.py use both.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from schemawright.profiling.extra import pyarrow_csv
from schemawright.profiling.proposal import Proposal


@dataclass(frozen=True)
class PlantedTable:
    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    references: tuple[tuple[tuple[str, ...], str], ...] = ()  # (columns, parent table)


TRUTH = (
    PlantedTable("regions", ("region_code", "region_name"), ("region_code",)),
    PlantedTable("zips", ("zip", "city", "region_code"), ("zip",), ((("region_code",), "regions"),)),
    PlantedTable("customers", ("customer_id", "customer_email", "customer_name", "zip"), ("customer_id",),
                 ((("zip",), "zips"),)),
    PlantedTable("stores", ("store_id", "store_name"), ("store_id",)),
    PlantedTable("categories", ("category_code", "category_name"), ("category_code",)),
    PlantedTable("products", ("product_id", "product_name", "unit_price", "category_code"), ("product_id",),
                 ((("category_code",), "categories"),)),
    PlantedTable("orders", ("order_id", "order_date", "customer_id", "store_id"), ("order_id",),
                 ((("customer_id",), "customers"), (("store_id",), "stores"))),
    PlantedTable("order_lines", ("order_id", "line_no", "product_id", "quantity"), ("order_id", "line_no"),
                 ((("order_id",), "orders"), (("product_id",), "products"))),
)


@dataclass(frozen=True)
class Shape:
    rows: int = 5_000
    customers: int = 400
    products: int = 120
    zips: int = 60
    regions: int = 8
    stores: int = 12
    categories: int = 10
    lines_per_order: int = 4
    noise_columns: int = 0  # extra random integer columns (no dependency planted)
    typos: float = 0.0  # share of rows whose city is misspelt (breaks zip -> city)
    seed: int = 0


def write_planted(path: Path, shape: Shape = Shape()) -> list[PlantedTable]:
    """Write the denormalised CSV; returns the planted tables (noise columns join order_lines)."""
    pa, pa_csv, _ = pyarrow_csv()
    rng = np.random.default_rng(shape.seed)
    n = shape.rows
    orders = max(n // shape.lines_per_order, 1)
    order = np.minimum(np.arange(n) // shape.lines_per_order, orders - 1)
    line = np.arange(n) - order * shape.lines_per_order + 1
    order_customer = rng.integers(0, shape.customers, orders)
    order_store = rng.integers(0, shape.stores, orders)
    order_day = rng.integers(0, 365, orders)
    customer_zip = rng.integers(0, shape.zips, shape.customers)
    zip_region = rng.integers(0, shape.regions, shape.zips)
    product_category = rng.integers(0, shape.categories, shape.products)
    product_cents = rng.integers(100, 100_000, shape.products)
    customer = order_customer[order]
    zip_ = customer_zip[customer]
    product = rng.integers(0, shape.products, n)
    city = np.array([f"City {z:03d}" for z in range(shape.zips)], dtype=object)[zip_]
    typo_rows = np.flatnonzero(rng.random(n) < shape.typos)
    city[typo_rows] = [f"{c}x" for c in city[typo_rows]]
    days = np.datetime64("2024-01-01") + order_day[order]
    columns = {
        "order_id": order + 1, "line_no": line, "order_date": np.datetime_as_string(days),
        "customer_id": customer + 1, "customer_email": _labels("customer{}@example.com", customer),
        "customer_name": _labels("Customer {}", customer), "zip": _labels("{:05d}", zip_ * 37 + 10001),
        "city": city, "region_code": _labels("R{:02d}", zip_region[zip_]),
        "region_name": _labels("Region {}", zip_region[zip_]),
        "store_id": order_store[order] + 1, "store_name": _labels("Store {}", order_store[order]),
        "product_id": product + 1, "product_name": _labels("Product {}", product),
        "unit_price": _labels("{:.2f}", product_cents[product] / 100.0),
        "category_code": _labels("C{:02d}", product_category[product]),
        "category_name": _labels("Category {}", product_category[product]),
        "quantity": rng.integers(1, 10, n),
    }
    for i in range(shape.noise_columns):
        columns[f"noise_{i + 1}"] = rng.integers(0, 1000, n)
    table = pa.table({name: pa.array(values.astype(str) if values.dtype != object else values, pa.string())
                      for name, values in columns.items()})
    pa_csv.write_csv(table, str(path), pa_csv.WriteOptions(quoting_style="needed"))
    noise = tuple(f"noise_{i + 1}" for i in range(shape.noise_columns))
    return [t if t.name != "order_lines" else PlantedTable(t.name, t.columns + noise, t.key, t.references)
            for t in TRUTH]


# The shop split into three files that overlap: order_lines.csv carries each customer's and
# product's name (so its decomposition proposes customers and products too), customers.csv and
# products.csv describe those entities in full.  Every seventh product is missing from
# products.csv, so the merged products table holds keys that only order_lines.csv has.
SPLIT = {
    "order_lines": ("order_id", "line_no", "order_date", "customer_id", "customer_name", "store_id", "store_name",
                    "product_id", "product_name", "quantity"),
    "customers": ("customer_id", "customer_email", "customer_name", "zip", "city", "region_code", "region_name"),
    "products": ("product_id", "product_name", "unit_price", "category_code", "category_name"),
}
MISSING_PRODUCT_EVERY = 7


def write_planted_files(folder: Path, shape: Shape = Shape(), files: tuple[str, ...] = tuple(SPLIT),
                        misnamed: int = 0) -> tuple[list[Path], list[PlantedTable]]:
    """The planted shop as overlapping files of SPLIT (all three, or those named); the truth
    stays the 8 tables (noise columns go to order_lines.csv).  `misnamed` customers get another
    name in customers.csv than in order_lines.csv: the files disagree, so nothing may merge them."""
    pa, pa_csv, _ = pyarrow_csv()
    folder.mkdir(parents=True, exist_ok=True)
    joined = folder / "joined.csv"
    truth = write_planted(joined, shape)
    with joined.open(newline="") as header:
        names = next(csv.reader(header))  # pyarrow quotes the header
    data = pa_csv.read_csv(str(joined), convert_options=pa_csv.ConvertOptions(
        column_types={n: pa.string() for n in names}, strings_can_be_null=False))
    joined.unlink()
    paths = []
    noise = tuple(n for n in names if n.startswith("noise_"))
    for name in files:
        columns = SPLIT[name] + (noise if name == "order_lines" else ())
        part = data.select(list(columns))
        if name != "order_lines":  # one row per entity, in key order
            part = part.group_by(list(columns)).aggregate([])
            part = part.select(list(columns)).sort_by([(columns[0], "ascending")])
        if name == "customers" and misnamed:
            names_column = part["customer_name"].to_pylist()
            names_column[:misnamed] = [f"{n} Jr." for n in names_column[:misnamed]]
            part = part.set_column(columns.index("customer_name"), "customer_name", pa.array(names_column, pa.string()))
        if name == "products":
            ids = np.array(part[columns[0]].to_pylist(), dtype=np.int64)
            part = part.filter(pa.array(ids % MISSING_PRODUCT_EVERY != 0))
        path = folder / f"{name}.csv"
        pa_csv.write_csv(part, str(path), pa_csv.WriteOptions(quoting_style="needed"))
        paths.append(path)
    return paths, truth


def _labels(pattern: str, codes: np.ndarray) -> np.ndarray:
    """Format each distinct code once (fast for a million rows of a few hundred values)."""
    distinct, inverse = np.unique(codes, return_inverse=True)
    return np.array([pattern.format(v) for v in distinct.tolist()], dtype=object)[inverse.reshape(-1)]


@dataclass(frozen=True)
class Recovery:
    jaccard: dict[str, float]  # planted table -> best attribute-set Jaccard of a proposed table
    matched: dict[str, str]  # planted table -> that proposed table
    key_precision: float
    key_recall: float
    fk_precision: float
    fk_recall: float


def recovery(proposal: Proposal, truth: list[PlantedTable]) -> Recovery:
    jaccard, matched = {}, {}
    for planted in truth:
        want = set(planted.columns)
        scored = sorted(((len(want & set(t.columns)) / len(want | set(t.columns)), t.name) for t in proposal.tables),
                        key=lambda s: (-s[0], s[1]))
        jaccard[planted.name], matched[planted.name] = scored[0] if scored else (0.0, "")
    # a surrogate-keyed table's natural key is its first UNIQUE constraint
    proposed_keys = {(t.name, frozenset(t.key or (t.uniques[0] if t.uniques else ()))) for t in proposal.tables}
    true_keys = {(matched[p.name], frozenset(p.key)) for p in truth}
    proposed_fks = {(link.child, frozenset(link.columns), link.parent) for link in proposal.links}
    true_fks = {(matched[p.name], frozenset(cols), matched[parent])
                for p in truth for cols, parent in p.references}
    return Recovery(jaccard, matched, *_precision_recall(proposed_keys, true_keys),
                    *_precision_recall(proposed_fks, true_fks))


def _precision_recall(found: set, true: set) -> tuple[float, float]:
    hits = len(found & true)
    return (hits / len(found) if found else 1.0), (hits / len(true) if true else 1.0)
