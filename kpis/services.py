"""Every write to KPIs and measurements.

Each service validates, writes inside ``transaction.atomic`` and records the
activity. Permission checks happen in the views/API with ``orgs.permissions``
(the CSV import takes an ``allowed`` callable so it can report them per row);
services enforce the rules whoever calls them: finite numbers, a target that
fits the direction, one measurement per KPI and period, no period in the future
or before the KPI's tracking start.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from activity.models import ActivityEntry
from activity.services import activity_record
from kpis import csvfile, periods
from kpis.models import Direction, Frequency, Kpi, Measurement, Perspective
from kpis.signals import send_measurements_changed
from okrkpi.core.ids import parse_id
from okrkpi.core.validation import UNSET, clean_number, clean_optional_number, clean_text, clean_title
from orgs.models import Organization, Team, User
from orgs.ownership import OwnerType, check_owner, owner_after_change

MAX_NOTE = 2000


# --- helpers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Targets:
    target: float | None
    target_low: float | None
    target_high: float | None
    amber_threshold: float | None


def _targets(direction: str, target: Any, target_low: Any, target_high: Any, amber_threshold: Any) -> Targets:
    """Check the target (or range) and amber threshold fit the direction; keep only what it uses."""
    if direction not in Direction.values:
        raise ValidationError({"direction": _("Choose higher is better, lower is better or within a range.")})
    amber = clean_optional_number(amber_threshold, "amber_threshold")
    if direction == Direction.WITHIN_RANGE:
        low = clean_optional_number(target_low, "target_low")
        high = clean_optional_number(target_high, "target_high")
        if low is None:
            raise ValidationError({"target_low": _("A range needs its lowest good value.")})
        if high is None:
            raise ValidationError({"target_high": _("A range needs its highest good value.")})
        if low > high:
            raise ValidationError({"target_high": _("The highest good value must not be below the lowest.")})
        if amber is not None and amber < 0:
            raise ValidationError(
                {"amber_threshold": _("For a range, the amber threshold is a tolerance outside it: 0 or more.")}
            )
        return Targets(None, low, high, amber)
    goal = clean_optional_number(target, "target")
    if goal is None:
        raise ValidationError({"target": _("A target is required.")})
    if amber is not None and direction == Direction.HIGHER_IS_BETTER and amber > goal:
        raise ValidationError(
            {
                "amber_threshold": _(
                    "When higher is better, amber starts below the target: the threshold must not exceed %(t)s."
                )
                % {"t": f"{goal:g}"}
            }
        )
    if amber is not None and direction == Direction.LOWER_IS_BETTER and amber < goal:
        raise ValidationError(
            {
                "amber_threshold": _(
                    "When lower is better, amber starts above the target: the threshold must be at least %(t)s."
                )
                % {"t": f"{goal:g}"}
            }
        )
    return Targets(goal, None, None, amber)


def _choice(value: str, choices: type, field: str, message: str) -> str:
    if value not in choices.values:  # type: ignore[attr-defined]
        raise ValidationError({field: message})
    return value


def _snapshot(kpi: Kpi) -> dict[str, Any]:
    return {
        "name": kpi.name,
        "description": kpi.description,
        "how_measured": kpi.how_measured,
        "owner_type": kpi.owner_type,
        "owner_team": kpi.owner_team_id,
        "owner_user": kpi.owner_user_id,
        "unit": kpi.unit,
        "direction": kpi.direction,
        "target": kpi.target,
        "target_low": kpi.target_low,
        "target_high": kpi.target_high,
        "amber_threshold": kpi.amber_threshold,
        "frequency": kpi.frequency,
        "perspective": kpi.perspective,
        "active": kpi.active,
        "tracking_since": kpi.tracking_since.isoformat() if kpi.tracking_since else None,
    }


def _as_date(value: Any, field: str) -> date:
    if isinstance(value, date):
        day = value
    else:
        try:
            day = periods.parse_period(str(value))
        except ValueError:
            raise ValidationError({field: _("Enter a date as YYYY-MM-DD.")}) from None
    if day < EARLIEST:
        raise ValidationError({field: _("Periods before %(year)d are not supported.") % {"year": EARLIEST.year}})
    return day


# --- KPIs -------------------------------------------------------------------------------------


@transaction.atomic
def kpi_create(
    *,
    org: Organization,
    actor: User | None,
    name: str,
    owner_type: str,
    direction: str,
    frequency: str,
    perspective: str,
    owner_team: Team | None = None,
    owner_user: User | None = None,
    description: str = "",
    how_measured: str = "",
    unit: str = "",
    target: Any = None,
    target_low: Any = None,
    target_high: Any = None,
    amber_threshold: Any = None,
    active: bool = True,
    tracking_since: date | str | None = None,
) -> Kpi:
    """Define a KPI. ``tracking_since`` defaults to the start of the current fiscal
    year, so past periods of this year can be backfilled."""
    check_owner(org=org, owner_type=owner_type, owner_team=owner_team, owner_user=owner_user)
    targets = _targets(direction, target, target_low, target_high, amber_threshold)
    since = (
        _as_date(tracking_since, "tracking_since")
        if tracking_since not in (None, "")
        else periods.fiscal_year_start(org.today(), fiscal_year_start_month=org.fiscal_year_start_month)
    )
    kpi = Kpi.objects.create(
        organization=org,
        name=clean_title(name, "name", required=_("A name is required.")),
        description=clean_text(description, "description"),
        how_measured=clean_text(how_measured, "how_measured"),
        owner_type=owner_type,
        owner_team=owner_team if owner_type == OwnerType.TEAM else None,
        owner_user=owner_user if owner_type == OwnerType.PERSON else None,
        unit=clean_text(unit, "unit", limit=24),
        direction=direction,
        target=targets.target,
        target_low=targets.target_low,
        target_high=targets.target_high,
        amber_threshold=targets.amber_threshold,
        frequency=_choice(frequency, Frequency, "frequency", _("Choose weekly, monthly, quarterly or yearly.")),
        perspective=_choice(perspective, Perspective, "perspective", _("Choose a balanced-scorecard perspective.")),
        active=bool(active),
        tracking_since=since,
        created_by=actor,
    )
    activity_record(org=org, actor=actor, verb="kpi.created", target=kpi, after=_snapshot(kpi))
    return kpi


@transaction.atomic
def kpi_update(
    *,
    kpi: Kpi,
    actor: User | None,
    name: str | None = None,
    description: str | None = None,
    how_measured: str | None = None,
    owner_type: str | None = None,
    owner_team: Team | None = UNSET,
    owner_user: User | None = UNSET,
    unit: str | None = None,
    direction: str | None = None,
    target: Any = UNSET,
    target_low: Any = UNSET,
    target_high: Any = UNSET,
    amber_threshold: Any = UNSET,
    frequency: str | None = None,
    perspective: str | None = None,
    active: bool | None = None,
    tracking_since: date | str | None = None,
) -> Kpi:
    """Change a KPI's definition. The KPI row is locked so its measurement rules
    (frequency, tracking start) are checked against the measurements that exist.
    The frequency cannot change once there are measurements (their periods would
    no longer be periods)."""
    kpi = Kpi.objects.select_for_update().select_related("organization").get(pk=kpi.pk)
    org = kpi.organization
    before = _snapshot(kpi)
    if name is not None:
        kpi.name = clean_title(name, "name", required=_("A name is required."))
    if description is not None:
        kpi.description = clean_text(description, "description")
    if how_measured is not None:
        kpi.how_measured = clean_text(how_measured, "how_measured")
    if unit is not None:
        kpi.unit = clean_text(unit, "unit", limit=24)
    if owner_type is not None or owner_team is not UNSET or owner_user is not UNSET:
        owner = owner_after_change(kpi, owner_type=owner_type, owner_team=owner_team, owner_user=owner_user)
        check_owner(org=org, owner_type=owner[0], owner_team=owner[1], owner_user=owner[2])
        kpi.owner_type, kpi.owner_team, kpi.owner_user = owner
    new_direction = direction or kpi.direction
    targets = _targets(
        new_direction,
        kpi.target if target is UNSET else target,
        kpi.target_low if target_low is UNSET else target_low,
        kpi.target_high if target_high is UNSET else target_high,
        kpi.amber_threshold if amber_threshold is UNSET else amber_threshold,
    )
    kpi.direction = new_direction
    kpi.target, kpi.target_low, kpi.target_high = targets.target, targets.target_low, targets.target_high
    kpi.amber_threshold = targets.amber_threshold
    if perspective is not None:
        kpi.perspective = _choice(
            perspective, Perspective, "perspective", _("Choose a balanced-scorecard perspective.")
        )
    if active is not None:
        kpi.active = bool(active)
    measured = Measurement.objects.filter(kpi=kpi)
    if frequency is not None and frequency != kpi.frequency:
        _choice(frequency, Frequency, "frequency", _("Choose weekly, monthly, quarterly or yearly."))
        if measured.exists():
            raise ValidationError(
                {
                    "frequency": _(
                        "The frequency cannot change once measurements are recorded; create a new KPI instead."
                    )
                }
            )
        kpi.frequency = frequency
    if tracking_since not in (None, ""):
        since = _as_date(tracking_since, "tracking_since")
        floor = kpi.period_of(since, fiscal_year_start_month=org.fiscal_year_start_month)
        first = measured.order_by("period").values_list("period", flat=True).first()
        if first is not None and first < floor:
            raise ValidationError(
                {
                    "tracking_since": _(
                        "There are measurements from %(date)s; tracking must start on or before that period."
                    )
                    % {"date": first.isoformat()}
                }
            )
        kpi.tracking_since = since
    kpi.save()
    after = _snapshot(kpi)
    if after != before:
        changed = [k for k in after if after[k] != before[k]]
        activity_record(
            org=org,
            actor=actor,
            verb="kpi.updated",
            target=kpi,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
    return kpi


@transaction.atomic
def kpi_delete(*, kpi: Kpi, actor: User | None) -> None:
    """Delete a KPI with its measurements (the activity log keeps the definition)."""
    org = kpi.organization
    count = Measurement.objects.filter(kpi=kpi).count()
    activity_record(
        org=org, actor=actor, verb="kpi.deleted", target=kpi, before={**_snapshot(kpi), "measurements": count}
    )
    kpi.delete()


# --- measurements -------------------------------------------------------------------------


EARLIEST = date(1900, 1, 1)  # older "periods" are typos, and year-0 arithmetic would fail


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
    if day < EARLIEST:
        raise ValidationError({"period": _("Periods before %(year)d are not supported.") % {"year": EARLIEST.year}})
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


def _measurement_state(m: Measurement) -> dict[str, Any]:
    return {"period": m.period.isoformat(), "value": m.value, "note": m.note, "author": m.author_id}


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
) -> Recorded:
    """Record the KPI's value for a period (normalised to its first day): an upsert.

    A second value for the same period updates the row and logs
    ``measurement.corrected`` with the old value (never a second row); the same
    value again changes nothing. ``note`` None keeps the existing note. The KPI
    row is locked (``select_for_update``) so two people recording the same
    period at once update one row one after the other instead of racing to
    insert two.
    """
    kpi = (
        Kpi.objects.select_for_update()
        .select_related("organization")
        .get(pk=kpi.pk, organization_id=kpi.organization_id)
    )
    org = kpi.organization
    number = clean_number(value, "value")
    start = check_period(kpi, period, fiscal_year_start_month=org.fiscal_year_start_month, today=today or org.today())
    text = None if note is None else clean_text(note, "note", limit=MAX_NOTE)
    existing = Measurement.objects.filter(kpi=kpi, period=start).first()
    if existing is None:
        measurement = Measurement.objects.create(
            organization=org, kpi=kpi, period=start, value=number, note=text or "", author=actor
        )
        activity_record(
            org=org, actor=actor, verb="measurement.recorded", target=kpi, after=_measurement_state(measurement)
        )
        send_measurements_changed(org_id=org.pk, kpi_ids=[kpi.pk])
        return Recorded(measurement=measurement, created=True, changed=True)
    new_note = existing.note if text is None else text
    previous = existing.value
    if existing.value == number and existing.note == new_note:
        return Recorded(measurement=existing, created=False, changed=False, previous=previous)
    before = _measurement_state(existing)
    existing.value, existing.note, existing.author = number, new_note, actor
    existing.save(update_fields=["value", "note", "author", "updated_at"])
    activity_record(
        org=org,
        actor=actor,
        verb="measurement.corrected",
        target=kpi,
        before=before,
        after=_measurement_state(existing),
    )
    send_measurements_changed(org_id=org.pk, kpi_ids=[kpi.pk])
    return Recorded(measurement=existing, created=False, changed=True, previous=previous)


@transaction.atomic
def measurement_delete(*, measurement: Measurement, actor: User | None) -> None:
    kpi = Kpi.objects.select_for_update().select_related("organization").get(pk=measurement.kpi_id)
    activity_record(
        org=kpi.organization,
        actor=actor,
        verb="measurement.deleted",
        target=kpi,
        before=_measurement_state(measurement),
    )
    measurement.delete()
    send_measurements_changed(org_id=kpi.organization_id, kpi_ids=[kpi.pk])


# --- CSV import ---------------------------------------------------------------------------------


@dataclass
class ImportRow:
    line: int
    kpi_text: str
    period_text: str
    value_text: str
    note: str
    kpi: Kpi | None = None
    period: date | None = None
    value: float | None = None
    previous: Measurement | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def action(self) -> str:
        """``new``, ``correction``, ``unchanged`` or ``error``."""
        if self.errors:
            return "error"
        if self.previous is None:
            return "new"
        if self.previous.value == self.value and (not self.note or self.previous.note == self.note):
            return "unchanged"
        return "correction"


@dataclass
class ImportPreview:
    rows: list[ImportRow]
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def good(self) -> list[ImportRow]:
        return [r for r in self.rows if r.ok]

    @property
    def bad(self) -> list[ImportRow]:
        return [r for r in self.rows if not r.ok]

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)


@dataclass(frozen=True)
class ImportResult:
    created: int
    corrected: int
    unchanged: int
    skipped: int


def _resolve(
    org: Organization,
    raw_rows: list[dict[str, str]],
    *,
    allowed: Callable[[Kpi], bool] | None,
    today: date,
    lock: bool,
) -> list[ImportRow]:
    """Turn raw rows into checked rows: three queries (KPIs, existing measurements,
    and with ``lock`` the KPI rows locked) whatever the number of rows."""
    kpis = list(Kpi.objects.filter(organization=org).select_related("owner_team", "owner_user"))
    by_id = {k.pk: k for k in kpis}
    by_name: dict[str, list[Kpi]] = {}
    for k in kpis:
        by_name.setdefault(k.name.strip().casefold(), []).append(k)
    rows: list[ImportRow] = []
    for raw in raw_rows:
        row = ImportRow(
            line=int(raw["__line__"]),
            kpi_text=raw.get("kpi", ""),
            period_text=raw.get("period", ""),
            value_text=raw.get("value", ""),
            note=raw.get("note", ""),
        )
        kpi_id = raw.get("kpi_id", "")
        if kpi_id:
            kpi = by_id.get(parse_id(kpi_id))  # type: ignore[arg-type]
            if kpi is None:
                row.errors.append(_("Unknown KPI id %(id)s.") % {"id": kpi_id[:20]})
            row.kpi = kpi
        elif not row.kpi_text:
            row.errors.append(_("The KPI is missing."))
        else:
            matches = by_name.get(row.kpi_text.casefold(), [])
            if not matches:
                row.errors.append(_("Unknown KPI “%(name)s”.") % {"name": row.kpi_text[:80]})
            elif len(matches) > 1:
                row.errors.append(
                    _("Several KPIs are called “%(name)s”; add a kpi_id column to say which.")
                    % {"name": row.kpi_text[:80]}
                )
            else:
                row.kpi = matches[0]
        if row.kpi is not None and allowed is not None and not allowed(row.kpi):
            row.errors.append(_("You cannot record measurements for this KPI."))
        if not row.value_text:
            row.errors.append(_("The value is missing."))
        else:
            try:
                row.value = clean_number(row.value_text, "value")
            except ValidationError:
                row.errors.append(
                    _("“%(value)s” is not a number; use digits with a dot for decimals and no thousands separators.")
                    % {"value": row.value_text[:40]}
                )
        if len(row.note) > MAX_NOTE:
            row.errors.append(_("The note is longer than %(n)d characters.") % {"n": MAX_NOTE})
        if not row.period_text:
            row.errors.append(_("The period is missing."))
        elif row.kpi is not None:
            try:
                row.period = check_period(
                    row.kpi, row.period_text, fiscal_year_start_month=org.fiscal_year_start_month, today=today
                )
            except ValidationError as exc:
                row.errors.extend(exc.messages)
        rows.append(row)
    # Duplicates inside the file: the second row for a KPI and period is an error.
    seen: dict[tuple[int, date], int] = {}
    for row in rows:
        if row.kpi is None or row.period is None:
            continue
        key = (row.kpi.pk, row.period)
        if key in seen:
            row.errors.append(_("Same KPI and period as line %(line)d.") % {"line": seen[key]})
        else:
            seen[key] = row.line
    kpi_ids = {k for k, _p in seen}
    if lock and kpi_ids:
        list(Kpi.objects.select_for_update().filter(organization=org, pk__in=kpi_ids).values_list("pk", flat=True))
    if kpi_ids:
        existing = {
            (m.kpi_id, m.period): m
            for m in Measurement.objects.filter(organization=org, kpi_id__in=kpi_ids, period__in={p for _k, p in seen})
        }
        for row in rows:
            if row.kpi is not None and row.period is not None:
                row.previous = existing.get((row.kpi.pk, row.period))
    return rows


def measurement_import_preview(
    *,
    org: Organization,
    data: bytes | str,
    filename: str = "",
    allowed: Callable[[Kpi], bool] | None = None,
    today: date | None = None,
) -> ImportPreview:
    """Read and check a CSV of measurements (columns ``kpi``, ``period``, ``value``,
    optional ``note`` and ``kpi_id``) without writing anything. File-level problems
    (not CSV, wrong columns, empty, too big) raise ``ValidationError`` on ``file``;
    row problems are reported on each row."""
    raw_rows, ignored = csvfile.read_rows(data, filename)
    rows = _resolve(org, raw_rows, allowed=allowed, today=today or org.today(), lock=False)
    return ImportPreview(rows=rows, ignored_columns=ignored)


@transaction.atomic
def measurement_import(
    *,
    org: Organization,
    actor: User | None,
    data: bytes | str,
    filename: str = "",
    only_good_rows: bool = False,
    allowed: Callable[[Kpi], bool] | None = None,
    today: date | None = None,
) -> ImportResult:
    """Import a CSV of measurements, all or nothing: with any bad row nothing is
    written (``ValidationError`` on ``rows``) unless ``only_good_rows``. New periods
    are inserted, existing ones corrected (the old value goes to the activity log),
    identical ones left alone. The KPIs concerned are locked for the duration, as
    in ``measurement_record``; the writes are set-based (one insert for the new
    rows, one update per correction, one insert for the activity entries)."""
    raw_rows, _ignored = csvfile.read_rows(data, filename)
    rows = _resolve(org, raw_rows, allowed=allowed, today=today or org.today(), lock=True)
    bad = [r for r in rows if not r.ok]
    if bad and not only_good_rows:
        raise ValidationError(
            {
                "rows": ngettext(
                    "%(n)d row has errors, so nothing was imported. Fix it, or choose to import only the good rows.",
                    "%(n)d rows have errors, so nothing was imported. "
                    "Fix them, or choose to import only the good rows.",
                    len(bad),
                )
                % {"n": len(bad)}
            }
        )
    new: list[Measurement] = []
    entries: list[ActivityEntry] = []
    corrected = unchanged = 0
    for row in rows:
        if not row.ok or row.kpi is None or row.period is None or row.value is None:
            continue
        action = row.action
        if action == "unchanged":
            unchanged += 1
            continue
        if action == "new":
            new.append(
                Measurement(
                    organization=org, kpi=row.kpi, period=row.period, value=row.value, note=row.note, author=actor
                )
            )
            entries.append(_entry(org, actor, "measurement.recorded", row.kpi, None, _row_state(row)))
            continue
        m = row.previous
        if m is None:  # pragma: no cover — "correction" implies a previous row
            continue
        before = _measurement_state(m)
        m.value, m.author = row.value, actor
        if row.note:
            m.note = row.note
        m.save(update_fields=["value", "note", "author", "updated_at"])
        entries.append(_entry(org, actor, "measurement.corrected", row.kpi, before, _measurement_state(m)))
        corrected += 1
    Measurement.objects.bulk_create(new)
    ActivityEntry.objects.bulk_create(entries)
    send_measurements_changed(org_id=org.pk, kpi_ids={r.kpi.pk for r in rows if r.ok and r.kpi is not None})
    if new or corrected:
        activity_record(
            org=org,
            actor=actor,
            verb="measurements.imported",
            target_type="kpis.measurement",
            after={"created": len(new), "corrected": corrected, "unchanged": unchanged, "skipped": len(bad)},
        )
    return ImportResult(created=len(new), corrected=corrected, unchanged=unchanged, skipped=len(bad))


def _row_state(row: ImportRow) -> dict[str, Any]:
    return {
        "period": row.period.isoformat() if row.period else None,
        "value": row.value,
        "note": row.note,
        "author": None,
    }


def _entry(
    org: Organization,
    actor: User | None,
    verb: str,
    kpi: Kpi,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> ActivityEntry:
    """The same entry ``activity_record`` writes, built for one bulk insert."""
    if after is not None and actor is not None and "author" in after:
        after = {**after, "author": actor.pk}
    return ActivityEntry(
        organization=org,
        actor=actor,
        verb=verb,
        target_type=kpi._meta.label_lower,
        target_id=kpi.pk,
        target_repr=str(kpi)[:255],
        before=before,
        after=after,
    )
