"""``{% for item in entries|feed %}{% activity_sentence item %}``: the activity log with
repeats folded, each line one sentence in the reader's language (``activity.sentences``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.safestring import SafeString

from activity.feed import FeedItem, group_entries
from activity.sentences import sentence

register = template.Library()


@register.filter
def feed(entries: Iterable[Any]) -> list[FeedItem]:
    return group_entries(entries)


@register.simple_tag
def activity_sentence(item: FeedItem) -> SafeString:
    """The line of ``item``: "Sam reacted 🎉 to Maria's check-in", "Sam recorded 12 values of …"."""
    return sentence(item.entry, item.count)
