"""The figures as people read them: seconds in a fitting unit, rates, ratios to the baseline worker, mebibytes."""

from __future__ import annotations

DASH = "–"


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return DASH
    if seconds >= 1.0:
        return f"{seconds:.2f} s"
    if seconds >= 0.001:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} µs"


def format_spread(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return DASH
    return f"{format_seconds(low)} {DASH} {format_seconds(high)}"


def format_rate(per_second: float | None) -> str:
    return DASH if per_second is None else f"{per_second:,.0f}/s"


def format_cpu(milliseconds: float | None) -> str:
    """CPU time per request, in milliseconds (a few µs show as 0.005 ms: one scale for every figure)."""
    return DASH if milliseconds is None else f"{milliseconds:.3f} ms"


def format_ratio(value: float | None) -> str:
    return DASH if value is None else f"{value:.2f}×"


def format_bytes(count: int | None) -> str:
    if not count:
        return DASH
    return f"{count / 2**20:,.0f} MiB"
