"""A small log-log line chart as SVG, written by the benchmark itself (no plotting library).

Used by ``scripts/bench_report.py`` for how the costs grow with an organisation's
size; nothing here imports Django.
"""

from __future__ import annotations

import math
from html import escape

COLOURS = ("#2563eb", "#16a34a", "#dc2626", "#9333ea", "#ea580c")


def _ticks(low: float, high: float) -> list[float]:
    """Powers of ten covering [low, high]."""
    return [10.0**e for e in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)]


def _label(value: float, unit: str) -> str:
    if unit == "s" and value < 1:
        ms = value * 1000
        return f"{ms:g} ms" if ms >= 1 else f"{ms * 1000:g} µs"
    return f"{value:,.0f}{' ' + unit if unit else ''}" if value >= 1 else f"{value:g} {unit}".strip()


def loglog_svg(
    *,
    title: str,
    xs: list[float],
    series: dict[str, list[float]],
    x_label: str,
    y_unit: str = "s",
    width: int = 720,
    height: int = 420,
) -> str:
    """Lines through (xs, ys) for each named series, both axes logarithmic."""
    left, right, top, bottom = 80, 190, 40, 50
    values = [y for ys in series.values() for y in ys if y > 0]
    x_ticks, y_ticks = _ticks(min(xs), max(xs)), _ticks(min(values), max(values))
    lx0, lx1 = math.log10(x_ticks[0]), math.log10(x_ticks[-1])
    ly0, ly1 = math.log10(y_ticks[0]), math.log10(y_ticks[-1])
    plot_w, plot_h = width - left - right, height - top - bottom

    def px(x: float) -> float:
        return left + (math.log10(x) - lx0) / ((lx1 - lx0) or 1) * plot_w

    def py(y: float) -> float:
        return top + plot_h - (math.log10(y) - ly0) / ((ly1 - ly0) or 1) * plot_h

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
        f'<text x="{left}" y="22" font-size="15" font-weight="bold">{escape(title)}</text>',
    ]
    for t in x_ticks:
        x = px(t)
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}" stroke="#e5e7eb"/>')
        out.append(f'<text x="{x:.1f}" y="{top + plot_h + 18}" text-anchor="middle">{_label(t, "")}</text>')
    for t in y_ticks:
        y = py(t)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        out.append(f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{escape(_label(t, y_unit))}</text>')
    out.append(f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#9ca3af"/>')
    out.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 12}" text-anchor="middle">{escape(x_label)}</text>')
    for i, (name, ys) in enumerate(series.items()):
        colour = COLOURS[i % len(COLOURS)]
        points = [(px(x), py(y)) for x, y in zip(xs, ys, strict=True) if y > 0]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        out.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>' for x, y in points)
        ly = top + 12 + i * 20
        out.append(
            f'<line x1="{left + plot_w + 14}" y1="{ly}" x2="{left + plot_w + 34}" y2="{ly}" '
            f'stroke="{colour}" stroke-width="2"/>'
        )
        out.append(f'<text x="{left + plot_w + 40}" y="{ly + 4}">{escape(name)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
