"""p50/p95/max of measured runs, by nearest rank (a measured run, never an interpolation)."""

from __future__ import annotations

import math

from schemawright.performance.results import Latency
from schemawright.validation.patterns import p95


def nearest_rank(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def latency(samples: list[float]) -> Latency:
    if not samples:
        raise ValueError("no timed runs")
    return Latency(p50=nearest_rank(samples, 0.5), p95=p95(samples), max=max(samples), runs=len(samples))
