"""Template filters of the executive pages."""

from __future__ import annotations

from datetime import date

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def pts(change: float | None) -> str:
    """A change of progress in percentage points, signed: 0.12 → '+12 pts'."""
    if change is None:
        return "—"
    n = round(float(change) * 100)
    sign = "+" if n > 0 else "−" if n < 0 else "±"
    return _("%(sign)s%(n)s pts") % {"sign": sign, "n": abs(n)}


@register.filter
def as_date(value: str | date | None) -> date | None:
    """An ISO date from a cached document, for the ``date`` filter."""
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None
