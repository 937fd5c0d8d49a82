"""KPI display helpers: period labels, target labels and the server-side sparkline."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from core.templatetags.okr import num
from kpis import selectors
from kpis.models import Direction, Kpi, period_label

register = template.Library()

SPARK_WIDTH = 120
SPARK_HEIGHT = 32
SPARK_PAD = 3


def _fsm(context: template.Context) -> int:
    org = context.get("current_org")
    return getattr(org, "fiscal_year_start_month", 1) or 1


@register.simple_tag(takes_context=True)
def period_name(context: template.Context, start: date, frequency: str) -> str:
    """``{% period_name m.period kpi.frequency %}`` → "November 2026", "Q3 2026", …"""
    return period_label(start, frequency=frequency, fiscal_year_start_month=_fsm(context))


@register.filter
def target_label(kpi: Kpi) -> str:
    """ "≥ 400", "≤ 2.5", "30 – 50", with the unit."""
    unit = f" {kpi.unit}" if kpi.unit else ""
    if kpi.direction == Direction.WITHIN_RANGE:
        return f"{num(kpi.target_low)} – {num(kpi.target_high)}{unit}"
    sign = "≥" if kpi.direction == Direction.HIGHER_IS_BETTER else "≤"
    return f"{sign} {num(kpi.target)}{unit}"


@register.filter
def amber_label(kpi: Kpi) -> str:
    """When a value turns amber rather than red, in words."""
    if kpi.amber_threshold is None:
        return ""
    if kpi.direction == Direction.WITHIN_RANGE:
        return _("amber up to %(t)s outside the range") % {"t": num(kpi.amber_threshold)}
    sign = "≥" if kpi.direction == Direction.HIGHER_IS_BETTER else "≤"
    return _("amber %(sign)s %(t)s") % {"sign": sign, "t": num(kpi.amber_threshold)}


def sparkline_svg(kpi: Kpi, window: list[date], *, label: str = "") -> SafeString:
    """An inline SVG polyline of the KPI's values over the ``window`` periods, with the
    target as a dashed line. Only numbers reach the markup."""
    values = {m.period: m.value for m in kpi.recent()}
    points = [(i, values[p]) for i, p in enumerate(window) if p in values]
    if not points:
        return format_html(
            '<svg class="spark spark-empty" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
            'aria-label="{label}"><line x1="0" y1="{y}" x2="{w}" y2="{y}"/></svg>',
            w=SPARK_WIDTH,
            h=SPARK_HEIGHT,
            y=SPARK_HEIGHT / 2,
            label=label or _("No data in the last 12 periods"),
        )
    refs = [v for v in (kpi.target, kpi.target_low, kpi.target_high) if v is not None]
    ys = [v for _i, v in points] + refs
    low, high = min(ys), max(ys)
    if high == low:
        low, high = low - 1, high + 1
    step = (SPARK_WIDTH - 2 * SPARK_PAD) / max(1, len(window) - 1)

    def y(v: float) -> float:
        return round(SPARK_PAD + (high - v) / (high - low) * (SPARK_HEIGHT - 2 * SPARK_PAD), 1)

    def x(i: int) -> float:
        return round(SPARK_PAD + i * step, 1)

    coords = " ".join(f"{x(i)},{y(v)}" for i, v in points)
    targets = format_html_join(
        "",
        '<line class="spark-target" x1="0" y1="{}" x2="{}" y2="{}"/>',
        ((y(t), SPARK_WIDTH, y(t)) for t in refs),
    )
    last_i, last_v = points[-1]
    return format_html(
        '<svg class="spark spark-{status}" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        'aria-label="{label}">{targets}<polyline points="{coords}"/><circle cx="{cx}" cy="{cy}" r="2.5"/></svg>',
        status=kpi.status_for(last_v) or "none",
        w=SPARK_WIDTH,
        h=SPARK_HEIGHT,
        label=label or _("Trend over the last 12 periods"),
        targets=targets,
        coords=coords,
        cx=x(last_i),
        cy=y(last_v),
    )


@register.simple_tag(takes_context=True)
def sparkline(context: template.Context, kpi: Kpi) -> SafeString:
    """``{% sparkline kpi %}``: the last 12 periods up to the current one."""
    org = context.get("current_org")
    today: Any = context.get("today") or (org.today() if org is not None else date.today())  # noqa: DTZ011
    window = selectors.sparkline_window(kpi, fiscal_year_start_month=_fsm(context), today=today)
    return sparkline_svg(kpi, window)
