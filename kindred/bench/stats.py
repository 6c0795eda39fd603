"""Small statistics helpers (no Django here: the orchestrator imports this too)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def percentiles(samples_ms: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99, mean and max of latencies in milliseconds (rounded to 0.01 ms).

    Percentiles interpolate between the ordered samples ("inclusive" method), so with
    200 samples p99 sits between the two slowest requests."""
    if not samples_ms:
        return {}
    if len(samples_ms) == 1:
        only = round(samples_ms[0], 2)
        return {"p50": only, "p95": only, "p99": only, "mean": only, "max": only, "n": 1}
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return {
        "p50": round(cuts[49], 2),
        "p95": round(cuts[94], 2),
        "p99": round(cuts[98], 2),
        "mean": round(statistics.fmean(samples_ms), 2),
        "max": round(max(samples_ms), 2),
        "n": len(samples_ms),
    }
