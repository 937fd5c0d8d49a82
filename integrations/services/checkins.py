"""The one check-in of every channel outside the page: Slack, Teams and e-mail replies
read their message into ``Entry`` rows and hand them here. Each entry goes through the
page's rules: the number names one of the person's own key results (the list they were
shown), the value is read by the page's number reader in the person's language, an
unusual value is asked back instead of saved (``core.plausibility``, as the page asks),
and the save is the API's check-in service (owner and role, closed cycle, the rollup),
with ``origin`` ``chat`` or ``email``.

A delivery is saved once: ``deliver_once`` writes the delivery's id (the platform's
interaction id, the e-mail's Message-ID) in the transaction of its check-ins, so a
retried delivery finds it, saves nothing and gets the first answer again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.numbers import format_quantity, parse_number, unit_aliases
from core.plausibility import unusual_value
from core.provenance import Origin, Provenance
from integrations.entries import Entry
from integrations.models import InboundDelivery
from objectives.checkin_context import pace
from objectives.models import KeyResult, KeyResultKind
from objectives.services.check_ins import CheckInRefused, key_result_check_in_by_id
from orgs.models import Membership, Organization, User


@dataclass
class Row:
    """One entry's fate: its number, its key result's title (empty when the number
    named none) and what to say about it."""

    number: int
    title: str
    message: str


@dataclass
class Outcome:
    saved: list[Row] = field(default_factory=list)
    refused: list[Row] = field(default_factory=list)
    unsure: list[Row] = field(default_factory=list)  # unusual values, asked back, not saved
    behind: int = 0  # saved key results now behind pace
    note: str = ""  # a message about the whole delivery (a linking prompt, an expired address)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Outcome:
        rows = {name: [Row(**r) for r in data.get(name, [])] for name in ("saved", "refused", "unsure")}
        return cls(**rows, behind=int(data.get("behind", 0)), note=str(data.get("note", "")))


def language_of(membership: Membership) -> str:
    return membership.user.language or membership.organization.language or "en"


def check_in_entries(
    *, membership: Membership, key_results: list[KeyResult], entries: list[Entry], origin: str
) -> Outcome:
    """Check in every entry whose number is one of ``key_results`` (1 = the first), in
    the person's language. An entry that fails is refused with the reason and the others
    are saved; nothing that fails is written (each check-in is its own savepoint)."""
    outcome = Outcome()
    with translation.override(language_of(membership)):
        seen: set[int] = set()
        for entry in entries:
            if entry.number in seen:
                outcome.refused.append(
                    Row(entry.number, "", _("Key result %(n)d was given twice.") % {"n": entry.number})
                )
                continue
            seen.add(entry.number)
            if not 1 <= entry.number <= len(key_results):
                message = _("There is no key result %(n)d in your list.") % {"n": entry.number}
                outcome.refused.append(Row(entry.number, "", message))
                continue
            _one(membership, key_results[entry.number - 1], entry, origin, outcome)
    return outcome


def _one(membership: Membership, kr: KeyResult, entry: Entry, origin: str, outcome: Outcome) -> None:
    row = Row(entry.number, kr.title, "")
    try:
        value = _value(kr, entry)
        confidence = entry.confidence if entry.confidence is not None else (kr.confidence or 5)
        if not 1 <= confidence <= 10:
            raise ValidationError(_("Confidence is a whole number from 1 to 10."))
    except ValidationError as exc:
        row.message = " ".join(exc.messages)
        outcome.refused.append(row)
        return
    shown = format_quantity(value, kr.unit, kind=kr.kind)
    unusual = unusual_value(
        kind=kr.kind, start=kr.start_value, target=kr.target_value, current=kr.current_value, value=value
    )
    if unusual and not entry.confirmed:
        row.message = _ask_back(kr, value, unusual, entry.number, by_mail=origin == Origin.EMAIL)
        outcome.unsure.append(row)
        return
    came = Provenance(origin=origin, who=membership.user.pk, who_name=membership.user.display_name, raw=entry.raw)
    try:
        with transaction.atomic():
            check_in = key_result_check_in_by_id(
                membership=membership,
                key_result_id=kr.pk,
                value=value,
                confidence=confidence,
                note=entry.note,
                provenance=came,
            )
    except CheckInRefused:
        check_in = None
    except ValidationError as exc:
        row.message = " ".join(exc.messages)
        outcome.refused.append(row)
        return
    if check_in is None:
        row.message = _("You may not check in on this key result.")
        outcome.refused.append(row)
        return
    row.message = _("%(value)s, confidence %(confidence)d/10") % {"value": shown, "confidence": confidence}
    outcome.saved.append(row)
    if _behind(membership.organization, kr, value):
        outcome.behind += 1


def _value(kr: KeyResult, entry: Entry) -> float:
    """The entry's value read as the page reads it; "done" is 1 for a milestone and the
    target otherwise, "not done" 0 for a milestone."""
    if entry.done is not None:
        if kr.kind == KeyResultKind.MILESTONE:
            return 1.0 if entry.done else 0.0
        if entry.done:
            return float(kr.target_value)
        raise ValidationError(_("“Not done” is only for a milestone: give the new value."))
    if not entry.value:
        raise ValidationError(_("Give the new value after the number, as in “1: 45”."))
    units = unit_aliases(kr.unit, percent=kr.kind == KeyResultKind.PERCENT, currency=kr.kind == KeyResultKind.CURRENCY)
    return parse_number(entry.value, units=units)


def _ask_back(kr: KeyResult, value: float, unusual: str, number: int, *, by_mail: bool) -> str:
    params = {
        "value": format_quantity(value, kr.unit, kind=kr.kind),
        "current": format_quantity(kr.current_value, kr.unit, kind=kr.kind),
        "target": format_quantity(kr.target_value, kr.unit, kind=kr.kind),
        "n": number,
    }
    if unusual == "jump":
        text = _("%(value)s is a big jump from %(current)s (target %(target)s).") % params
    else:
        text = _("%(value)s moves away from the target (%(target)s) by more than the whole range.") % params
    if not by_mail:  # a form: chat or the page
        return text + " " + _("If it is right, tick “Yes, this value is right” and submit again.")
    return text + " " + _("If it is right, send it again with “!” after it, as in “%(n)d: %(value)s !”.") % params


def _behind(org: Organization, kr: KeyResult, value: float) -> bool:
    cycle = kr.objective.cycle
    if cycle is None:
        return False
    now = pace(
        kind=kr.kind,
        start=kr.start_value,
        target=kr.target_value,
        current=value,
        cycle_start=cycle.start_date,
        cycle_end=cycle.end_date,
        on=org.today(),
        activated_on=kr.objective.activated_on(org),
    )
    return now is not None and now.status == "behind"


def deliver_once(
    *, org: Organization, platform: str, key: str, user: User | None, work: Callable[[], Outcome]
) -> tuple[Outcome, bool]:
    """Run ``work`` once for the delivery ``key``: its row and the check-ins commit
    together. A delivery seen before runs nothing and returns the first answer
    (``True``: a replay). Two copies racing: the second's insert waits for the first's
    commit, then fails and rolls its own check-ins back."""
    key = key[:255]
    previous = InboundDelivery.objects.filter(organization=org, platform=platform, key=key).first()
    if previous is not None:
        return Outcome.from_json(previous.answer), True
    try:
        with transaction.atomic():
            delivery = InboundDelivery.objects.create(
                organization=org, platform=platform, key=key, user=user, created_at=timezone.now()
            )
            outcome = work()
            delivery.answer = outcome.as_json()
            delivery.save(update_fields=["answer"])
    except IntegrityError:
        previous = InboundDelivery.objects.filter(organization=org, platform=platform, key=key).first()
        if previous is None:
            raise
        return Outcome.from_json(previous.answer), True
    return outcome, False


def outcome_summary(outcome: Outcome) -> str:
    """One line: "Saved: 3 key results, 1 behind pace." (in the active language)."""
    parts = [
        ngettext("Saved: %(n)d key result", "Saved: %(n)d key results", len(outcome.saved)) % {"n": len(outcome.saved)}
    ]
    if outcome.behind:
        parts.append(ngettext("%(n)d behind pace", "%(n)d behind pace", outcome.behind) % {"n": outcome.behind})
    if outcome.unsure:
        parts.append(ngettext("%(n)d to confirm", "%(n)d to confirm", len(outcome.unsure)) % {"n": len(outcome.unsure)})
    if outcome.refused:
        parts.append(ngettext("%(n)d not saved", "%(n)d not saved", len(outcome.refused)) % {"n": len(outcome.refused)})
    return ", ".join(parts) + "."


def outcome_lines(outcome: Outcome) -> list[str]:
    """A line per entry: what was saved, what waits for a confirmation, what was not
    saved and why (in the active language)."""
    lines: list[str] = []
    for row in outcome.saved:
        lines.append(
            _("✓ %(n)d. %(title)s: %(message)s") % {"n": row.number, "title": row.title, "message": row.message}
        )
    for row in outcome.unsure:
        lines.append(
            _("? %(n)d. %(title)s: %(message)s") % {"n": row.number, "title": row.title, "message": row.message}
        )
    for row in outcome.refused:
        label = f"{row.number}. {row.title}" if row.title else f"{row.number}"
        lines.append(_("✗ %(label)s: not saved. %(message)s") % {"label": label, "message": row.message})
    return lines
