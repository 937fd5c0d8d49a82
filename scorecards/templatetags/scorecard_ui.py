"""Scorecard display helpers: the server-side sparklines of scores and of item values."""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from kpis.status import ACHIEVEMENT_CAP
from scorecards.selectors import ItemView

register = template.Library()

W, H, PAD = 120, 32, 3


def _spark(
    series: list[float | None], *, low: float, high: float, refs: list[float], css: str, label: str
) -> SafeString:
    points = [(i, v) for i, v in enumerate(series) if v is not None]
    if not points:
        return format_html(
            '<svg class="spark spark-empty" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
            'aria-label="{label}"><line x1="0" y1="{y}" x2="{w}" y2="{y}"/></svg>',
            w=W,
            h=H,
            y=H / 2,
            label=_("No data in the last 12 periods"),
        )
    values = [v for _i, v in points] + refs
    low, high = min(low, *values), max(high, *values)
    if high == low:
        low, high = low - 1, high + 1
    step = (W - 2 * PAD) / max(1, len(series) - 1)

    def x(i: int) -> float:
        return round(PAD + i * step, 1)

    def y(v: float) -> float:
        return round(PAD + (high - v) / (high - low) * (H - 2 * PAD), 1)

    lines = format_html_join(
        "", '<line class="spark-target" x1="0" y1="{}" x2="{}" y2="{}"/>', ((y(r), W, y(r)) for r in refs)
    )
    last_i, last_v = points[-1]
    return format_html(
        '<svg class="spark spark-{css}" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{label}">'
        '{lines}<polyline points="{coords}"/><circle cx="{cx}" cy="{cy}" r="2.5"/></svg>',
        css=css,
        w=W,
        h=H,
        label=label,
        lines=lines,
        coords=" ".join(f"{x(i)},{y(v)}" for i, v in points),
        cx=x(last_i),
        cy=y(last_v),
    )


@register.simple_tag
def score_spark(trend: list[float | None], status: str | None, green_at: float) -> SafeString:
    """``{% score_spark p.trend p.status scorecard.green_at %}``: the score over the trend
    periods on a 0–150 % scale, with the green threshold dashed."""
    values = ", ".join("—" if v is None else f"{round(v * 100)}%" for v in trend)
    return _spark(
        trend,
        low=0.0,
        high=min(ACHIEVEMENT_CAP, 1.0),
        refs=[green_at],
        css=status or "none",
        label=_("Score over the last 12 periods: %(values)s") % {"values": values},
    )


@register.simple_tag
def item_spark(iv: ItemView) -> SafeString:
    """``{% item_spark iv %}``: the KPI's values over the trend periods, target dashed."""
    kpi = iv.kpi
    refs = [v for v in (kpi.target, kpi.target_low, kpi.target_high) if v is not None]
    present = [v for v in iv.values if v is not None]
    low = min(present + refs) if present or refs else 0.0
    high = max(present + refs) if present or refs else 1.0
    return _spark(
        iv.values,
        low=low,
        high=high,
        refs=refs,
        css=iv.status or "none",
        label=_("Trend over the last 12 periods"),
    )


@register.filter
def score_pct(value: float | None) -> str:
    """A score as a percentage; "no data yet" (never 0 %) when there is none."""
    if value is None:
        return _("no data yet")
    return f"{round(float(value) * 100):d}%"
