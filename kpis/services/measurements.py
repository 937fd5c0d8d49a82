"""Measurements: one value per KPI and period, recorded, corrected or deleted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from activity.services import activity_record
from core.numbers import format_quantity
from core.provenance import Provenance
from core.provenance import manual as manual_provenance
from core.validation import clean_number, clean_text
from kpis import periods
from kpis import status as kpi_math
from kpis.models import Direction, Kpi, Measurement
from kpis.services._helpers import MAX_NOTE
from kpis.services.formulas import formulas_follow
from kpis.signals import send_measurements_changed
from orgs.models import User

# --- measurements -------------------------------------------------------------------------


def check_period(kpi: Kpi, value: Any, *, fiscal_year_start_month: int, today: date) -> date:
    """Normalise ``value`` (a date or ``YYYY-MM-DD`` / ``YYYY-MM`` / ``YYYY-Www`` text) to
    its period's first day, refusing periods in the future or before tracking started."""
    if isinstance(value, date):
        day = value
    else:
        try:
            day = periods.parse_period(str(value))
        except ValueError:
            raise ValidationError(
                {
                    "period": _("“%(value)s” is not a date; use YYYY-MM-DD (any day of the period) or YYYY-MM.")
                    % {"value": str(value)[:40]}
                }
            ) from None
    if day < periods.EARLIEST:
        raise ValidationError(
            {"period": _("Periods before %(year)d are not supported.") % {"year": periods.EARLIEST.year}}
        )
    start = kpi.period_of(day, fiscal_year_start_month=fiscal_year_start_month)
    if start > kpi.period_of(today, fiscal_year_start_month=fiscal_year_start_month):
        raise ValidationError(
            {"period": _("The period starting %(date)s is in the future.") % {"date": start.isoformat()}}
        )
    floor = kpi.period_of(kpi.tracking_since, fiscal_year_start_month=fiscal_year_start_month)
    if start < floor:
        raise ValidationError(
            {
                "period": _(
                    "The period starting %(date)s is before this KPI's tracking start (%(since)s). "
                    "Move “tracking since” back to record older history."
                )
                % {"date": start.isoformat(), "since": floor.isoformat()}
            }
        )
    return start


def measurement_state(m: Measurement) -> dict[str, Any]:
    return {"period": m.period.isoformat(), "value": m.value, "note": m.note, "author": m.author_id, "origin": m.origin}


def _last_value(kpi: Kpi, period: date) -> float | None:
    """The value a new one for ``period`` is judged against: the latest before it, else
    (a gap filled in the past) the earliest after it; the period's own value is not one."""
    earlier = Measurement.objects.filter(kpi=kpi, period__lt=period).order_by("-period").values_list("value", flat=True)
    for value in earlier[:1]:
        return value
    later = Measurement.objects.filter(kpi=kpi, period__gt=period).order_by("period").values_list("value", flat=True)
    for value in later[:1]:
        return value
    return None


def unusual_message(kpi: Kpi, *, last: float | None, value: float) -> str | None:
    """Why ``value`` after ``last`` needs a second look (the check-ins' rule, through
    ``kpis.status.unusual_measurement``), or None when it looks fine or nothing came before."""
    if last is None:
        return None
    unusual = kpi_math.unusual_measurement(
        direction=kpi.direction,
        last=last,
        value=value,
        target=kpi.target,
        amber_threshold=kpi.amber_threshold,
        target_low=kpi.target_low,
        target_high=kpi.target_high,
    )
    if unusual is None:
        return None
    if kpi.direction == Direction.WITHIN_RANGE:
        target = f"{format_quantity(kpi.target_low, kpi.unit)}–{format_quantity(kpi.target_high, kpi.unit)}"
    else:
        target = format_quantity(kpi.target, kpi.unit)
    params = {"value": format_quantity(value, kpi.unit), "last": format_quantity(last, kpi.unit), "target": target}
    if unusual == "jump":
        return _("%(value)s is a big jump from the last value, %(last)s (target %(target)s): please check it.") % params
    return (
        _(
            "%(value)s moves away from the target (%(target)s) by more than the whole range since the last "
            "value, %(last)s: please check it."
        )
        % params
    )


def measurement_unusual(kpi: Kpi, *, period: date, value: float) -> str | None:
    """``unusual_message`` for a value about to be recorded for ``period`` (its start)."""
    return unusual_message(kpi, last=_last_value(kpi, period), value=value)


class UnusualMeasurement(ValidationError):
    """A value that looks like a slip of the keyboard, recorded without confirmation: the
    page asks ("Yes, this value is right"), the API answers 400 on ``value``."""

    def __init__(self, message: str) -> None:
        super().__init__({"value": ValidationError(message, code="unusual")})


@dataclass(frozen=True)
class Recorded:
    """What ``measurement_record`` did: ``created`` a row, or corrected one from
    ``previous`` (``changed`` False when the same value and note came again)."""

    measurement: Measurement
    created: bool
    changed: bool
    previous: float | None = None


@transaction.atomic
def measurement_record(
    *,
    kpi: Kpi,
    actor: User | None,
    period: date | str,
    value: Any,
    note: str | None = None,
    today: date | None = None,
    confirmed: bool | None = None,
    provenance: Provenance | None = None,
) -> Recorded:
    """Record the KPI's value for a period (normalised to its first day): an upsert.

    ``confirmed`` False (a person typing it, who has not confirmed yet): a value that looks
    like a slip of the keyboard against the last one is refused (``UnusualMeasurement``,
    nothing written); True or None (jobs, sources, formulas) records it as it comes.

    A second value for the same period updates the row and logs
    ``measurement.corrected`` with the old value (never a second row); the same
    value again changes nothing. ``note`` None keeps the existing note. The KPI
    row is locked (``select_for_update``) so two people recording the same
    period at once update one row one after the other instead of racing to
    insert two.
    """
    kpi = (
        Kpi.objects.select_for_update(of=("self",))
        .select_related("organization")
        .get(pk=kpi.pk, organization_id=kpi.organization_id)
    )
    org = kpi.organization
    number = clean_number(value, "value")
    start = check_period(kpi, period, fiscal_year_start_month=org.fiscal_year_start_month, today=today or org.today())
    text = None if note is None else clean_text(note, "note", limit=MAX_NOTE)
    if confirmed is False:
        message = measurement_unusual(kpi, period=start, value=number)
        if message is not None:
            raise UnusualMeasurement(message)
    came = provenance or manual_provenance(actor)
    existing = Measurement.objects.filter(kpi=kpi, period=start).first()
    if existing is None:
        measurement = Measurement.objects.create(
            organization=org,
            kpi=kpi,
            period=start,
            value=number,
            note=text or "",
            author=actor,
            origin=came.origin,
            provenance=came.as_json(),
        )
        activity_record(
            org=org, actor=actor, verb="measurement.recorded", target=kpi, after=measurement_state(measurement)
        )
        send_measurements_changed(org_id=org.pk, kpi_ids=[kpi.pk])
        formulas_follow(org_id=org.pk, kpi_ids={kpi.pk}, period=start)
        return Recorded(measurement=measurement, created=True, changed=True)
    return _correct(kpi, existing, actor=actor, number=number, text=text, came=came)


def _correct(
    kpi: Kpi, existing: Measurement, *, actor: User | None, number: float, text: str | None, came: Provenance
) -> Recorded:
    """A second value for a period: the row updated and ``measurement.corrected`` logged with
    the old value, or nothing at all when value and note are what is stored."""
    new_note = existing.note if text is None else text
    previous = existing.value
    if existing.value == number and existing.note == new_note:
        return Recorded(measurement=existing, created=False, changed=False, previous=previous)
    org = kpi.organization
    before = measurement_state(existing)
    existing.value, existing.note, existing.author = number, new_note, actor
    existing.origin, existing.provenance = came.origin, came.as_json()
    existing.save(update_fields=["value", "note", "author", "origin", "provenance", "updated_at"])
    activity_record(
        org=org,
        actor=actor,
        verb="measurement.corrected",
        target=kpi,
        before=before,
        after=measurement_state(existing),
    )
    send_measurements_changed(org_id=org.pk, kpi_ids=[kpi.pk])
    formulas_follow(org_id=org.pk, kpi_ids={kpi.pk}, period=existing.period)
    return Recorded(measurement=existing, created=False, changed=True, previous=previous)


@transaction.atomic
def measurement_delete(*, measurement: Measurement, actor: User | None) -> None:
    kpi = Kpi.objects.select_for_update(of=("self",)).select_related("organization").get(pk=measurement.kpi_id)
    activity_record(
        org=kpi.organization,
        actor=actor,
        verb="measurement.deleted",
        target=kpi,
        before=measurement_state(measurement),
    )
    period = measurement.period
    measurement.delete()
    send_measurements_changed(org_id=kpi.organization_id, kpi_ids=[kpi.pk])
    # The formulas reading this KPI lose an input for the period: recomputed, or their value removed.
    formulas_follow(org_id=kpi.organization_id, kpi_ids={kpi.pk}, period=period)
