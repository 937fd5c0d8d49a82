"""Template filters of the executive pages."""

from __future__ import annotations

from datetime import date

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import ngettext

register = template.Library()


@register.filter
def pts(change: float | None) -> str:
    """A change of progress in percentage points, signed: 0.12 → '+12 pts'."""
    if change is None:
        return "—"
    n = round(float(change) * 100)
    sign = "+" if n > 0 else "−" if n < 0 else "±"
    return ngettext("%(sign)s%(n)s pt", "%(sign)s%(n)s pts", abs(n)) % {"sign": sign, "n": abs(n)}


@register.filter
def as_date(value: str | date | None) -> date | None:
    """An ISO date from a cached document, for the ``date`` filter."""
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


# How many items each list keeps on the printed board report (static/css/print.css cuts the
# rest): the dashboard must print on one A4 page on any day of the quarter.
PRINT_SHOWN = 3


def _more(n: int) -> str:
    return ngettext("+%(n)d more", "+%(n)d more", n) % {"n": n}


@register.simple_tag
def more_items(total: int, shown: int, screen: bool = True) -> str:
    """The last line of a list cut short, so no item is dropped silently: "+N more" on the
    page when it shows ``shown`` of ``total`` (unless ``screen`` is False: the list links to
    the rest itself), and on the printed board report, which keeps the first PRINT_SHOWN."""
    total, shown = int(total or 0), int(shown or 0)
    lines = []
    if screen and total > shown:
        lines.append(format_html('<li class="more-items screen-only">{}</li>', _more(total - shown)))
    if total > PRINT_SHOWN:
        lines.append(format_html('<li class="more-items print-only">{}</li>', _more(total - PRINT_SHOWN)))
    return mark_safe("".join(lines))  # noqa: S308  # each line is built by format_html
