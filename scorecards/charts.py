"""Server-drawn SVG for the executive pages: crisp on screen and on paper, no script
needed, and a text alternative next to each (the figures as a table)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

WIDTH, HEIGHT = 900, 240
MAX_DOTS = 20  # beyond that a dot per day is noise: only the last one is marked
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 28


@dataclass
class PaceChart:
    """Company progress against the expected pace over a cycle, in SVG coordinates."""

    width: int = WIDTH
    height: int = HEIGHT
    actual: str = ""  # polyline points
    dots: list[tuple[float, float]] = field(default_factory=list)
    expected: tuple[float, float, float, float] = (0, 0, 0, 0)  # x1, y1, x2, y2
    day_x: float | None = None
    grid: list[tuple[float, str]] = field(default_factory=list)  # (y, label)
    x_labels: list[tuple[float, str, str]] = field(default_factory=list)  # (x, anchor, label)
    plot: tuple[int, int, int, int] = (LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM)


def pace_chart(*, start: date, end: date, day: date, series: list[dict[str, Any]]) -> PaceChart:
    """``series``: ``[{"date": ISO, "progress": 0–1 or None}]`` from the dashboard document."""
    x0, y0, x1, y1 = LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM
    span = max((end - start).days, 1)

    def x(d: date) -> float:
        return round(x0 + (x1 - x0) * min(max((d - start).days / span, 0.0), 1.0), 1)

    def y(p: float) -> float:
        return round(y1 - (y1 - y0) * min(max(p, 0.0), 1.0), 1)

    chart = PaceChart()
    pts = [(x(date.fromisoformat(p["date"])), y(p["progress"])) for p in series if p["progress"] is not None]
    chart.actual = " ".join(f"{a},{b}" for a, b in pts)
    chart.dots = pts if len(pts) <= MAX_DOTS else pts[-1:]
    chart.expected = (x(start), y(0.0), x(end), y(1.0))
    chart.day_x = x(day) if start <= day <= end else None
    chart.grid = [(y(v / 100), f"{v}%") for v in (0, 25, 50, 75, 100)]
    chart.x_labels = [(x(start), "start", start.isoformat()), (x(end), "end", end.isoformat())]
    return chart
