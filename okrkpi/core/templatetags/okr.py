"""Small display helpers for progress, numbers and health."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

HEALTH_LABELS = {"on_track": _("On track"), "at_risk": _("At risk"), "off_track": _("Off track")}
KPI_LABELS = {"green": _("Green"), "amber": _("Amber"), "red": _("Red")}


@register.filter
def pct(value: float | None) -> str:
    """0.456 → '46%'."""
    if value is None:
        return "—"
    return f"{round(float(value) * 100):d}%"


@register.filter
def pct_width(value: float | None) -> int:
    """Bar width in percent, clamped to 0–100."""
    if value is None:
        return 0
    return max(0, min(100, round(float(value) * 100)))


@register.filter
def num(value: float | None) -> str:
    """1500.0 → '1,500'; 2.5 → '2.5'; keeps up to 2 decimals, drops trailing zeros."""
    if value is None:
        return "—"
    number = float(value)
    if number.is_integer():
        return f"{int(number):,}"
    return f"{number:,.2f}".rstrip("0").rstrip(".")


@register.filter
def health_label(value: str) -> str:
    return str(HEALTH_LABELS.get(value, ""))


@register.filter
def kpi_label(value: str | None) -> str:
    return str(KPI_LABELS.get(value or "", _("No data")))


@register.filter
def get_item(mapping: dict, key: object) -> object:
    return mapping.get(key) if mapping else None
