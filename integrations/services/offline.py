"""Check-ins typed on My check-ins while offline: the installed app keeps them in the
browser and sends them when the connection is back, each with the version of the key
result it was typed against (its last check-in's time). One that changed meanwhile is
not saved over: it is named on a conflict screen with the value now stored. The rest go
through the one check-in service, once per queued batch (its id is the delivery key)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from core.numbers import format_quantity
from core.provenance import Origin
from integrations.entries import Entry
from integrations.models import Platform
from integrations.selectors import numbered_key_results
from integrations.services.checkins import Outcome, Row, check_in_entries, deliver_once, language_of
from objectives.models import KeyResult
from orgs.models import Membership


@dataclass(frozen=True)
class QueuedItem:
    key_result: int
    value: str
    confidence: str
    note: str
    confirmed: bool
    seen: str  # the key result's version when the value was typed ("" when never checked in)


def version_of(kr: KeyResult) -> str:
    return kr.last_check_in_at.isoformat() if kr.last_check_in_at else ""


def versions(*, membership: Membership) -> dict[str, str]:
    """The version of each of the person's key results, for the page to keep."""
    return {
        str(kr.pk): version_of(kr) for kr in numbered_key_results(org=membership.organization, user=membership.user)
    }


def read_items(data: Any) -> list[QueuedItem]:
    items: list[QueuedItem] = []
    for raw in data if isinstance(data, list) else []:
        if not isinstance(raw, dict) or not str(raw.get("key_result", "")).isdigit():
            continue
        items.append(
            QueuedItem(
                key_result=int(raw["key_result"]),
                value=str(raw.get("value") or "")[:100],
                confidence=str(raw.get("confidence") or "")[:3],
                note=str(raw.get("note") or "")[:2000],
                confirmed=bool(raw.get("confirm")),
                seen=str(raw.get("seen") or ""),
            )
        )
    return items[:50]


def offline_check_ins_send(*, membership: Membership, key: str, items: list[QueuedItem]) -> tuple[Outcome, bool]:
    """Save a queued batch once (``key``: the batch's id). Returns the outcome and whether
    it was a replay."""

    def work() -> Outcome:
        key_results = numbered_key_results(org=membership.organization, user=membership.user)
        numbers = {kr.pk: n for n, kr in enumerate(key_results, start=1)}
        entries: list[Entry] = []
        conflicts: list[Row] = []
        with translation.override(language_of(membership)):
            for item in items:
                number = numbers.get(item.key_result)
                if number is None:
                    conflicts.append(Row(0, "", _("This key result is no longer in your list.")))
                    continue
                kr = key_results[number - 1]
                if version_of(kr) != item.seen:
                    conflicts.append(Row(number, kr.title, _conflict_message(kr, item)))
                    continue
                conf = int(item.confidence) if item.confidence.isdigit() else None
                raw = f"{number}: {item.value}"
                entries.append(Entry(number, item.value, conf, item.confirmed, item.note, raw))
        outcome = check_in_entries(
            membership=membership, key_results=key_results, entries=entries, origin=Origin.MANUAL
        )
        outcome.refused.extend(conflicts)
        return outcome

    return deliver_once(org=membership.organization, platform=Platform.WEB, key=key, user=membership.user, work=work)


def _conflict_message(kr: KeyResult, item: QueuedItem) -> str:
    return _(
        "It was checked in while you were offline: it is now %(now)s. Your value (%(yours)s) was not saved over "
        "it; check in again if it is still right."
    ) % {"now": format_quantity(kr.current_value, kr.unit, kind=kr.kind), "yours": item.value}
