"""Statistics of the measured figures (statistics.quantiles, inclusive method: numpy's default interpolation)."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from fractions import Fraction

from workers_parity.bench.results import Summary


def percentile(values: Iterable[float], fraction: float) -> float | None:
    """The value below which `fraction` of the values lie, interpolated between closest ranks; None for no values."""
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be within 0..1, got {fraction}")
    values = list(values)
    if len(values) < 2 or fraction in (0.0, 1.0):
        return (max(values) if fraction else min(values)) if values else None
    share = Fraction(fraction).limit_denominator(1000)  # 0.99 -> 99/100: the 99th of 100 quantiles
    return statistics.quantiles(values, n=share.denominator, method="inclusive")[share.numerator - 1]


def summarize(values: Sequence[float]) -> Summary:
    if not values:
        return Summary(None, None, None, None, None)
    if len(values) == 1:
        return Summary(*values * 5)
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return Summary(median, min(values), max(values), q1, q3)


def ratio(value: float | None, baseline: float | None) -> float | None:
    if value is None or not baseline:
        return None
    return value / baseline


def throughput(requests: int, seconds: float) -> float | None:
    return requests / seconds if seconds > 0 and requests else None


def ended_by(completed: int, max_requests: int) -> str:
    return "request count" if completed >= max_requests else "time bound"
