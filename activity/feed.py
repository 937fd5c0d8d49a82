"""The activity log as people read it: repeats folded into one line, and targets
named the way the pages name them (pure: no database)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

# Labels written by older versions from the model's str(): "Dana White @ 3 (member)",
# "Invitation of dana@example.com". Shown as the person's name and the e-mail.
_LEGACY = {
    "orgs.membership": re.compile(r"^(?P<label>.*) @ \d+ \(\w+\)$"),
    "orgs.invitation": re.compile(r"^Invitation of (?P<label>.+)$"),
}


def target_label(target_type: str, target_repr: str) -> str:
    """A target's name without internal representations."""
    pattern = _LEGACY.get(target_type)
    if pattern is not None:
        match = pattern.match(target_repr or "")
        if match:
            return match.group("label")
    return target_repr or ""


@dataclass
class FeedItem:
    """One line of the feed: ``count`` entries by the same person, with the same verb,
    on the same target and day; ``entry`` is the newest of them."""

    entry: Any
    count: int = 1
    entries: list[Any] = field(default_factory=list)

    @property
    def created_at(self) -> datetime:
        return self.entry.created_at

    @property
    def label(self) -> str:
        return target_label(self.entry.target_type, self.entry.target_repr)


def _key(entry: Any) -> tuple[Any, ...]:
    day = timezone.localtime(entry.created_at).date() if timezone.is_aware(entry.created_at) else entry.created_at
    return (entry.actor_id, entry.verb, entry.target_type, entry.target_id, day)


def group_entries(entries: Iterable[Any]) -> list[FeedItem]:
    """Fold runs of entries (newest first) by the same person, verb, target and day."""
    items: list[FeedItem] = []
    last_key: tuple[Any, ...] | None = None
    for entry in entries:
        key = _key(entry)
        if items and key == last_key:
            items[-1].count += 1
            items[-1].entries.append(entry)
        else:
            items.append(FeedItem(entry=entry, entries=[entry]))
        last_key = key
    return items
