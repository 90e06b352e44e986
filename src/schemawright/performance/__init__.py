"""Performance validation: `schemawright bench`.

Load the declared volumes times a scale, apply the design's indexes and the ones the
advisor chooses on that data, run every access pattern many times with parameters drawn
from the rows, and report p50/p95/max, plan facts and buffers against each latency target.
"""

from schemawright.performance.results import BenchResult, Latency, PatternBench, PlanFacts
from schemawright.performance.run import bench

__all__ = ["BenchResult", "Latency", "PatternBench", "PlanFacts", "bench"]
