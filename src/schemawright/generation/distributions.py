"""Seeded random draws: uniform or Zipf codes over a number of distinct values, null masks.

Every draw takes its own generator, seeded from (seed, table, column, purpose), so one
column's values never depend on another's and the data is the same for the same seed.
"""

from __future__ import annotations

import zlib

import numpy as np

from schemawright import model as m


def rng_for(seed: int, *parts: str | int) -> np.random.Generator:
    """A generator that depends only on the seed and the names given."""
    words = [seed & 0xFFFFFFFF] + [zlib.crc32(str(p).encode()) for p in parts]
    return np.random.default_rng(words)


def zipf_codes(rng: np.random.Generator, n: int, distinct: int, exponent: float) -> np.ndarray:
    """`n` codes in [0, distinct), code k drawn with weight 1/(k+1)^exponent (bounded Zipf)."""
    weights = np.arange(1, distinct + 1, dtype=np.float64) ** -exponent
    cdf = np.cumsum(weights)
    cdf /= cdf[-1]
    codes = np.searchsorted(cdf, rng.random(n), side="right")
    return np.minimum(codes, distinct - 1).astype(np.int64)


def draw_codes(rng: np.random.Generator, n: int, distinct: int, zipf: float | None = None) -> np.ndarray:
    """`n` codes over `distinct` values: Zipf-skewed, or uniform with every value used
    (as evenly as possible) when there are at least as many rows as values."""
    distinct = max(1, int(distinct))
    if zipf:
        return zipf_codes(rng, n, distinct, zipf)
    if n >= distinct:
        codes = np.arange(n, dtype=np.int64) % distinct
        rng.shuffle(codes)
        return codes
    return rng.integers(0, distinct, n, dtype=np.int64)


def distinct_count(profile: m.DataProfile | None, rows: int) -> int | None:
    """The number of distinct values a `data.distinct` asks for, or None."""
    if profile is None or profile.distinct is None:
        return None
    value = profile.distinct
    if value < 1:
        return max(1, round(value * rows))
    return max(1, int(value))


def null_mask(rng: np.random.Generator, n: int, fraction: float) -> np.ndarray | None:
    if fraction <= 0:
        return None
    return rng.random(n) < fraction
