"""Every write to cycles, and the quarter presets of an organisation's fiscal year."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from activity.services import activity_record
from cycles.models import Cycle, CycleKind, CycleStatus
from cycles.signals import cycle_closing
from orgs.models import Organization, User

# Allowed status moves. Re-opening a closed cycle is allowed to admins only (checked in views).
TRANSITIONS: dict[str, set[str]] = {
    CycleStatus.PLANNING: {CycleStatus.ACTIVE},
    CycleStatus.ACTIVE: {CycleStatus.CLOSED, CycleStatus.PLANNING},
    CycleStatus.CLOSED: {CycleStatus.ACTIVE},
}


@dataclass(frozen=True)
class CyclePreset:
    name: str
    kind: str
    start_date: date
    end_date: date


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


def cycle_presets(*, org: Organization, fiscal_year: int) -> list[CyclePreset]:
    """The four quarters and the whole year of a fiscal year. A fiscal year is
    named after the calendar year in which it starts (FY2027 starting in April
    2027 runs to March 2028)."""
    start = date(fiscal_year, org.fiscal_year_start_month, 1)
    label = f"FY{fiscal_year}" if org.fiscal_year_start_month != 1 else str(fiscal_year)
    presets = []
    for q in range(4):
        q_start = _add_months(start, 3 * q)
        q_end = _add_months(start, 3 * (q + 1)) - timedelta(days=1)
        presets.append(CyclePreset(f"Q{q + 1} {label}", CycleKind.QUARTER, q_start, q_end))
    presets.append(
        CyclePreset(
            label if label.startswith("FY") else _("Year %(year)s") % {"year": label},
            CycleKind.YEAR,
            start,
            _add_months(start, 12) - timedelta(days=1),
        )
    )
    return presets


def _validate(org: Organization, name: str, start_date: date, end_date: date, exclude: int | None = None) -> str:
    name = (name or "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("A name is required.")
    elif len(name) > 80:
        errors["name"] = _("Use at most 80 characters.")
    else:
        clash = Cycle.objects.filter(organization=org, name__iexact=name)
        if exclude:
            clash = clash.exclude(pk=exclude)
        if clash.exists():
            errors["name"] = _("A cycle with this name already exists.")
    if start_date and end_date and end_date < start_date:
        errors["end_date"] = _("The end date must be on or after the start date.")
    if start_date and end_date and (end_date - start_date).days > 3 * 366:
        errors["end_date"] = _("A cycle can last at most three years.")
    if errors:
        raise ValidationError(errors)
    return name


@transaction.atomic
def cycle_create(
    *,
    org: Organization,
    actor: User | None,
    name: str,
    start_date: date,
    end_date: date,
    kind: str = CycleKind.QUARTER,
    status: str = CycleStatus.PLANNING,
    approvals_required: bool = False,
) -> Cycle:
    """A new cycle; with ``approvals_required`` its objectives are reviewed before activation."""
    if kind not in CycleKind.values:
        raise ValidationError({"kind": _("Unknown kind.")})
    if status not in CycleStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    name = _validate(org, name, start_date, end_date)
    cycle = Cycle.objects.create(
        organization=org,
        name=name,
        kind=kind,
        start_date=start_date,
        end_date=end_date,
        status=status,
        approvals_required=bool(approvals_required),
    )
    activity_record(
        org=org,
        actor=actor,
        verb="cycle.created",
        target=cycle,
        after=_cycle_state(cycle),
    )
    return cycle


@transaction.atomic
def cycle_update(
    *,
    cycle: Cycle,
    actor: User,
    name: str | None = None,
    start_date: date | None = None,
    end_date: date | None = None,
    status: str | None = None,
    closing_message: str | None = None,
    check_reviews: bool = False,
    approvals_required: bool | None = None,
) -> Cycle:
    """Rename, re-date or move a cycle along planning → active → closed.

    Closing a cycle freezes its OKRs: the apps above grade them and record a final
    snapshot (``cycles.signals.cycle_closing``, in this transaction), and from then on
    nothing in it changes — not even its name or dates — until an admin re-opens it.
    With ``check_reviews`` the close is refused while retrospectives are unacknowledged.
    ``approvals_required`` (None: unchanged) turns the review of its objectives on or off."""
    # Lock the row so two closes (or a close and a re-open) cannot interleave, and so that
    # the check-ins and measurements holding it in share mode (objectives) have committed
    # before a close freezes the cycle, and later ones wait and find it closed. The caller's
    # instance is refreshed so it reflects what is stored.
    list(Cycle.objects.select_for_update().filter(pk=cycle.pk).values_list("pk", flat=True))
    cycle.refresh_from_db()
    if status in (None, CycleStatus.CLOSED):  # a re-open may change them in the same edit
        _refuse_closed_edit(cycle, name=name, start_date=start_date, end_date=end_date, closing_message=closing_message)
    before = _cycle_state(cycle)
    fields = _redefine(cycle, name=name, start_date=start_date, end_date=end_date)
    if approvals_required is not None and bool(approvals_required) != cycle.approvals_required:
        cycle.approvals_required = bool(approvals_required)
        fields.append("approvals_required")
    if status is not None and status != cycle.status:
        fields += _move(cycle, status, actor=actor, closing_message=closing_message, check_reviews=check_reviews)
    if fields:
        cycle.save(update_fields=fields)
        verb = "cycle.updated"
        if "status" in fields:
            if cycle.status == CycleStatus.CLOSED:
                verb = "cycle.closed"
            elif before["status"] == CycleStatus.CLOSED:
                verb = "cycle.reopened"
        after = _cycle_state(cycle)
        if cycle.status == CycleStatus.CLOSED:
            after["closing_message"] = cycle.closing_message
        activity_record(org=cycle.organization, actor=actor, verb=verb, target=cycle, before=before, after=after)
    return cycle


def _cycle_state(cycle: Cycle) -> dict[str, Any]:
    """What the activity log shows of a cycle before and after a change."""
    state: dict[str, Any] = {
        "name": cycle.name,
        "start_date": str(cycle.start_date),
        "end_date": str(cycle.end_date),
        "status": cycle.status,
    }
    if cycle.approvals_required:  # named only when on: entries written before it stay alike
        state["approvals_required"] = True
    return state


def _refuse_closed_edit(
    cycle: Cycle,
    *,
    name: str | None,
    start_date: date | None,
    end_date: date | None,
    closing_message: str | None,
) -> None:
    """A closed cycle that stays closed is read-only (name, dates, closing message)."""
    if cycle.status != CycleStatus.CLOSED:
        return
    redefined = (name is not None and name.strip() != cycle.name) or any(
        value is not None and value != getattr(cycle, field)
        for field, value in (("start_date", start_date), ("end_date", end_date))
    )
    if redefined or closing_message is not None:
        message = _("The cycle %(cycle)s is closed and read-only; an admin can re-open it.")
        raise ValidationError({"cycle": message % {"cycle": cycle.name}})


def _redefine(cycle: Cycle, *, name: str | None, start_date: date | None, end_date: date | None) -> list[str]:
    """Apply a new name and dates (validated together); the fields that changed."""
    new_name = _validate(
        cycle.organization,
        cycle.name if name is None else name,
        start_date or cycle.start_date,
        end_date or cycle.end_date,
        exclude=cycle.pk,
    )
    fields = []
    if new_name != cycle.name:
        cycle.name = new_name
        fields.append("name")
    for field, value in (("start_date", start_date), ("end_date", end_date)):
        if value is not None and value != getattr(cycle, field):
            setattr(cycle, field, value)
            fields.append(field)
    return fields


def _move(cycle: Cycle, status: str, *, actor: User, closing_message: str | None, check_reviews: bool) -> list[str]:
    """Move the cycle to ``status`` along ``TRANSITIONS``; a close tells the apps above
    (``cycle_closing``, which may refuse it). The fields that changed."""
    if status not in CycleStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    if status not in TRANSITIONS[cycle.status]:
        raise ValidationError(
            {
                "status": _("A cycle cannot go from %(a)s to %(b)s.")
                % {"a": cycle.get_status_display(), "b": CycleStatus(status).label}
            }
        )
    fields = []
    if status == CycleStatus.CLOSED:
        cycle_closing.send(sender=Cycle, cycle=cycle, actor=actor, check_reviews=check_reviews)
        cycle.closed_at = timezone.now()
        cycle.closed_by = actor
        cycle.closing_message = (closing_message or "").strip()
        fields += ["closed_at", "closed_by", "closing_message"]
    cycle.status = status
    fields.append("status")
    return fields


@transaction.atomic
def cycle_delete(*, cycle: Cycle, actor: User) -> None:
    """Delete a cycle that holds no objectives (a cycle with OKRs is closed, not deleted).

    The objectives' foreign key protects the cycle, so the database says whether it
    holds any; the activity entry is rolled back with the refused delete."""
    activity_record(
        org=cycle.organization, actor=actor, verb="cycle.deleted", target=cycle, before={"name": cycle.name}
    )
    try:
        cycle.delete()
    except ProtectedError:
        raise ValidationError({"cycle": _("This cycle holds objectives; close it instead of deleting it.")}) from None
