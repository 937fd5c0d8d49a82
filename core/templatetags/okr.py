"""Small display helpers for progress, numbers and health."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.numbers import (
    format_grade,
    format_input,
    format_number,
    format_percent,
    format_quantity,
    precision_of,
)

register = template.Library()

HEALTH_LABELS = {"on_track": _("On track"), "at_risk": _("At risk"), "off_track": _("Off track")}
KPI_LABELS = {"green": _("Green"), "amber": _("Amber"), "red": _("Red")}


@register.filter
def pct(value: float | None) -> str:
    """0.456 → '46%', 1.2 → '120%', in the reader's number convention."""
    return format_percent(value)


@register.filter
def grade(value: float | None) -> str:
    """A grade or a grade threshold, one decimal in the reader's mark: '0.7' / '0,7'."""
    return format_grade(value)


@register.filter
def pct_width(value: float | None) -> int:
    """Bar width in percent, clamped to 0–100: the bar's class ``w-<n>`` (static/css/app.css),
    as the CSP allows no inline ``style``."""
    if value is None:
        return 0
    return max(0, min(100, round(float(value) * 100)))


@register.filter
def num(value: float | None) -> str:
    """1500.0 → '1,500' (English) or '1.500' (Vietnamese); 2.5 → '2.5' / '2,5'; up to 2 decimals."""
    return format_number(value)


@register.filter
def qty(value: float | None, owner: Any) -> str:
    """A value with the unit of ``owner`` (a key result or a KPI): '45%', '3.000.000.000 VND'."""
    return format_quantity(value, getattr(owner, "unit", "") or "", kind=getattr(owner, "kind", "") or "")


@register.filter
def qty_unit(value: float | None, unit: str | None) -> str:
    """A value with a unit given as text (a cached document's row): '4.1%', '672,760 USD'."""
    return format_quantity(value, unit or "")


@register.filter
def qty_like(value: float | None, owner: Any) -> str:
    """A figure derived from a key result's start and target (the value expected by today),
    with its unit and at their precision: "77 leads" between 0 and 100, not "76.81 leads"."""
    decimals = precision_of(getattr(owner, "start_value", None), getattr(owner, "target_value", None))
    return format_quantity(
        value, getattr(owner, "unit", "") or "", kind=getattr(owner, "kind", "") or "", decimals=decimals
    )


@register.filter
def signed(value: float | None) -> str:
    """A change: '+3', '−1.5', '±0'."""
    if value is None:
        return ""
    if abs(float(value)) < 1e-12:
        return "±0"
    text = format_number(abs(float(value)))
    return f"+{text}" if value > 0 else f"\u2212{text}"


@register.filter
def input_number(value: float | None) -> str:
    """A number to prefill a text input with, as the parser reads it back."""
    return format_input(value)


AGO_UNITS = (
    (365 * 24 * 3600, "year"),
    (30 * 24 * 3600, "month"),
    (7 * 24 * 3600, "week"),
    (24 * 3600, "day"),
    (3600, "hour"),
    (60, "minute"),
)


@register.filter
def ago(value: datetime | None, now: datetime | None = None) -> str:
    """'just now', '5 minutes ago', '1 week ago' — whole phrases, so every language
    can order the words its own way ("1 tuần trước")."""
    if value is None:
        return ""
    seconds = max(0, int(((now or timezone.now()) - value).total_seconds()))
    if seconds < 60:
        return str(_("just now"))
    for size, unit in AGO_UNITS:
        if seconds >= size:
            n = seconds // size
            return _AGO[unit](n) % {"n": n}
    return str(_("just now"))  # pragma: no cover


_AGO = {
    "year": lambda n: ngettext("%(n)d year ago", "%(n)d years ago", n),
    "month": lambda n: ngettext("%(n)d month ago", "%(n)d months ago", n),
    "week": lambda n: ngettext("%(n)d week ago", "%(n)d weeks ago", n),
    "day": lambda n: ngettext("%(n)d day ago", "%(n)d days ago", n),
    "hour": lambda n: ngettext("%(n)d hour ago", "%(n)d hours ago", n),
    "minute": lambda n: ngettext("%(n)d minute ago", "%(n)d minutes ago", n),
}


@register.filter
def health_label(value: str) -> str:
    return str(HEALTH_LABELS.get(value, ""))


@register.filter
def kpi_label(value: str | None) -> str:
    return str(KPI_LABELS.get(value or "", _("No data")))


@register.filter
def get_item(mapping: dict[Any, object], key: object) -> object:
    return mapping.get(key) if mapping else None


@register.simple_tag
def form_once() -> str:
    """The hidden one-time token of a form that must save once whatever the double-clicks
    (``core.idempotency.form_save_once``); a new one at every rendering."""
    from core.idempotency import FORM_TOKEN_FIELD, form_token_new

    return format_html('<input type="hidden" name="{}" value="{}">', FORM_TOKEN_FIELD, form_token_new())


@register.filter
def origin_label(origin: str | None) -> str:
    """Where a value came from, in words (``core.provenance.Origin``); "" for a typed one,
    which needs no saying, or for anything unknown."""
    from core.provenance import Origin

    if not origin or origin == Origin.MANUAL or origin not in Origin.values:
        return ""
    return str(Origin(origin).label)
