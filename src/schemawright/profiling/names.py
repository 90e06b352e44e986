"""Table names: the main table after its file, each split-off table after its determinant
(`zip` -> `zips`, `customer_id` -> `customers`, `store_id, product_id` -> `store_products`)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from schemawright.naming import fit, pluralise, snake

_ID_SUFFIX = re.compile(r"_?(id|code|key|no|num|number|nr|ref)$", re.IGNORECASE)


def file_table(stem: str, taken: set[str]) -> str:
    return _unique(_clean(snake(stem)) or "data", taken)


def determinant_table(columns: Iterable[str], taken: set[str]) -> str:
    parts = [_clean(_ID_SUFFIX.sub("", snake(c))) or _clean(snake(c)) for c in columns]
    parts = [p for p in parts if p] or ["lookup"]
    parts[-1] = pluralise(parts[-1])
    return _unique("_".join(parts), taken)


def _clean(name: str) -> str:
    return re.sub(r"_+", "_", re.sub(r"\W", "_", name)).strip("_")


def _unique(name: str, taken: set[str]) -> str:
    name = fit(name)
    candidate, n = name, 2
    while candidate in taken:
        candidate = fit(f"{name}_{n}")
        n += 1
    taken.add(candidate)
    return candidate


def generic_key(columns: Iterable[str]) -> bool:
    """A key such as `id` or `code` alone: its name does not say which entity it identifies."""
    return all(not _clean(_ID_SUFFIX.sub("", snake(c))) for c in columns)


def names_agree(dependent: str, referenced: str, referenced_table: str) -> bool:
    """customer_id -> customer_id, buyer_customer_id -> customer_id, customer_id -> customers.id."""
    dep, ref = snake(dependent), snake(referenced)
    owner = snake(referenced_table).rstrip("s")
    return dep == ref or dep.endswith("_" + ref) or dep in (f"{owner}_{ref}", f"{owner}{ref}")
