"""``{% for item in entries|feed %}``: the activity log with repeats folded."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django import template
from django.utils.translation import ngettext

from activity.feed import FeedItem, group_entries

register = template.Library()


@register.filter
def feed(entries: Iterable[Any]) -> list[FeedItem]:
    return group_entries(entries)


# What a folded line says, per verb: "recorded 12 values of Absenteeism rate".
_FOLDED: dict[str, Callable[[int], str]] = {
    "measurement.recorded": lambda n: ngettext(
        "recorded %(n)d value of %(target)s", "recorded %(n)d values of %(target)s", n
    ),
    "measurement.corrected": lambda n: ngettext(
        "corrected %(n)d value of %(target)s", "corrected %(n)d values of %(target)s", n
    ),
    "measurement.deleted": lambda n: ngettext(
        "deleted %(n)d value of %(target)s", "deleted %(n)d values of %(target)s", n
    ),
    "key_result.checked_in": lambda n: ngettext(
        "checked in %(n)d time on %(target)s", "checked in %(n)d times on %(target)s", n
    ),
}


@register.simple_tag
def folded_line(item: FeedItem, verb_label: str) -> str:
    """The words after the person's name for a line of ``item.count`` > 1 entries."""
    phrase = _FOLDED.get(item.entry.verb)
    if phrase is not None:
        return phrase(item.count) % {"n": item.count, "target": item.label}
    return ngettext("%(verb)s: %(target)s (%(n)d time)", "%(verb)s: %(target)s (%(n)d times)", item.count) % {
        "verb": verb_label,
        "target": item.label,
        "n": item.count,
    }
