"""KPIs: define, change, delete."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from activity.services import activity_record
from core.validation import UNSET, check_version, clean_text, clean_title
from kpis import periods
from kpis.models import Frequency, Kpi, Measurement, Perspective
from kpis.services._helpers import _as_date, _choice, _snapshot, _targets
from kpis.services.formulas import clean_formula, clean_source, formulas_follow_input
from orgs.models import Organization, Team, User
from orgs.ownership import OwnerType, check_owner, owner_after_change
from orgs.visibility import clean_viewers, clean_visibility

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
    formula: str = "",
    source: Any = None,
    source_query: str = "",
    source_period_column: str = "",
    visibility: str | None = None,
    viewers: list[User] | None = None,
) -> Kpi:
    """Define a KPI (seen by everyone unless ``visibility`` says otherwise). ``tracking_since``
    defaults to the current fiscal year's start; ``formula``: see ``clean_formula``."""
    check_owner(org=org, owner_type=owner_type, owner_team=owner_team, owner_user=owner_user)
    visibility, viewers = clean_visibility(visibility), clean_viewers(org.pk, viewers)
    targets = _targets(direction, target, target_low, target_high, amber_threshold)
    since = _tracking_start(org, tracking_since)
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
        formula=clean_formula(org=org, text=formula, kpi=None, frequency=frequency),
        visibility=visibility,
        created_by=actor,
    )
    _after_create(kpi, source=(source, source_query, source_period_column), viewers=viewers)
    activity_record(org=org, actor=actor, verb="kpi.created", target=kpi, after=_snapshot(kpi))
    return kpi


def _tracking_start(org: Organization, tracking_since: date | str | None) -> date:
    """The date given, else the start of the current fiscal year (so this year can be backfilled)."""
    if tracking_since not in (None, ""):
        return _as_date(tracking_since, "tracking_since")
    return periods.fiscal_year_start(org.today(), fiscal_year_start_month=org.fiscal_year_start_month)


def _after_create(kpi: Kpi, *, source: tuple[Any, str, str], viewers: list[User]) -> None:
    """What a new KPI's row needs before it exists: its named viewers and its data source."""
    if viewers:
        kpi.viewers.set(viewers)
    if source[0] is not None or source[1]:
        kpi.source, kpi.source_query, kpi.source_period_column = clean_source(
            org=kpi.organization, kpi=kpi, source=source[0], query=source[1], period_column=source[2]
        )
        kpi.save(update_fields=["source", "source_query", "source_period_column"])


def _apply_visibility(kpi: Kpi, *, visibility: str | None, viewers: list[User] | None) -> None:
    """Who can see it (None: unchanged); named viewers are people of the organisation."""
    kpi.visibility = clean_visibility(visibility, inherited=kpi.visibility)
    if viewers is not None:
        kpi.viewers.set(clean_viewers(kpi.organization_id, viewers))


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
    expected_version: int | None = None,
    formula: str | None = None,
    source: Any = UNSET,
    source_query: str | None = None,
    source_period_column: str | None = None,
    visibility: str | None = None,
    viewers: list[User] | None = None,
) -> Kpi:
    """Change a KPI's definition (None, ``UNSET``: unchanged), its row locked so the frequency
    and tracking start are checked against the measurements that exist (the frequency is fixed
    once there are some). ``expected_version``: a ``StaleVersionError`` if saved since."""
    kpi = Kpi.objects.select_for_update(of=("self",)).select_related("organization").get(pk=kpi.pk)
    check_version(kpi, expected_version)
    org = kpi.organization
    before = _snapshot(kpi)
    _apply_texts(kpi, name=name, description=description, how_measured=how_measured, unit=unit)
    if owner_type is not None or owner_team is not UNSET or owner_user is not UNSET:
        owner = owner_after_change(kpi, owner_type=owner_type, owner_team=owner_team, owner_user=owner_user)
        check_owner(org=org, owner_type=owner[0], owner_team=owner[1], owner_user=owner[2])
        kpi.owner_type, kpi.owner_team, kpi.owner_user = owner
    _apply_targets(
        kpi,
        direction=direction,
        target=target,
        target_low=target_low,
        target_high=target_high,
        amber_threshold=amber_threshold,
    )
    if perspective is not None:
        kpi.perspective = _choice(
            perspective, Perspective, "perspective", _("Choose a balanced-scorecard perspective.")
        )
    if active is not None:
        kpi.active = bool(active)
    _apply_periods(kpi, frequency=frequency, tracking_since=tracking_since, formula=formula)
    _apply_source(kpi, source=source, source_query=source_query, period_column=source_period_column)
    _apply_visibility(kpi, visibility=visibility, viewers=viewers)
    _save_change(kpi, actor=actor, before=before)
    return kpi


def _apply_periods(kpi: Kpi, *, frequency: str | None, tracking_since: date | str | None, formula: str | None) -> None:
    """The frequency, the tracking start and the formula (which reads KPIs of the KPI's frequency)."""
    org = kpi.organization
    if frequency is not None and frequency != kpi.frequency:
        _change_frequency(kpi, frequency)
    if tracking_since not in (None, ""):
        _change_tracking_start(kpi, tracking_since, fiscal_year_start_month=org.fiscal_year_start_month)
    if formula is not None:
        kpi.formula = clean_formula(org=org, text=formula, kpi=kpi, frequency=kpi.frequency)


def _apply_source(kpi: Kpi, *, source: Any, source_query: str | None, period_column: str | None) -> None:
    """Where the values come from: a data source, what to read from it and (CSV) the KPI's own
    period column (or none of them)."""
    if source is UNSET and source_query is None and period_column is None:
        return
    kpi.source, kpi.source_query, kpi.source_period_column = clean_source(
        org=kpi.organization,
        kpi=kpi,
        source=kpi.source if source is UNSET else source,
        query=kpi.source_query if source_query is None else source_query,
        period_column=kpi.source_period_column if period_column is None else period_column,
    )


def _apply_texts(
    kpi: Kpi, *, name: str | None, description: str | None, how_measured: str | None, unit: str | None
) -> None:
    if name is not None:
        kpi.name = clean_title(name, "name", required=_("A name is required."))
    if description is not None:
        kpi.description = clean_text(description, "description")
    if how_measured is not None:
        kpi.how_measured = clean_text(how_measured, "how_measured")
    if unit is not None:
        kpi.unit = clean_text(unit, "unit", limit=24)


def _apply_targets(
    kpi: Kpi, *, direction: str | None, target: Any, target_low: Any, target_high: Any, amber_threshold: Any
) -> None:
    """The direction and its targets change together: the targets must fit the (new) direction."""
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


def _change_frequency(kpi: Kpi, frequency: str) -> None:
    """Measurements are stored by period, so the frequency is fixed once there are any."""
    _choice(frequency, Frequency, "frequency", _("Choose weekly, monthly, quarterly or yearly."))
    if Measurement.objects.filter(kpi=kpi).exists():
        raise ValidationError(
            {"frequency": _("The frequency cannot change once measurements are recorded; create a new KPI instead.")}
        )
    kpi.frequency = frequency


def _change_tracking_start(kpi: Kpi, value: date | str, *, fiscal_year_start_month: int) -> None:
    """Tracking may not start after a period that already has a measurement."""
    since = _as_date(value, "tracking_since")
    floor = kpi.period_of(since, fiscal_year_start_month=fiscal_year_start_month)
    first = Measurement.objects.filter(kpi=kpi).order_by("period").values_list("period", flat=True).first()
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


def _save_change(kpi: Kpi, *, actor: User | None, before: dict[str, Any]) -> None:
    """The change saved (its version one more) and logged; a KPI switched off or on is an input
    gone or back for the formulas reading it, which recompute every period it has a value for."""
    kpi.version += 1
    kpi.save(update_fields=[*_snapshot(kpi), "visibility", "version", "updated_at"])
    _log_update(kpi, actor=actor, before=before)
    if before["active"] != kpi.active:
        formulas_follow_input(kpi)


def _log_update(kpi: Kpi, *, actor: User | None, before: dict[str, Any]) -> None:
    """One activity entry with only the fields that changed (none if nothing did)."""
    after = _snapshot(kpi)
    changed = [k for k in after if after[k] != before[k]]
    if changed:
        activity_record(
            org=kpi.organization,
            actor=actor,
            verb="kpi.updated",
            target=kpi,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )


@transaction.atomic
def kpi_delete(*, kpi: Kpi, actor: User | None) -> None:
    """Delete a KPI with its measurements (the activity log keeps the definition)."""
    org = kpi.organization
    count = Measurement.objects.filter(kpi=kpi).count()
    activity_record(
        org=org, actor=actor, verb="kpi.deleted", target=kpi, before={**_snapshot(kpi), "measurements": count}
    )
    periods = list(Measurement.objects.filter(kpi=kpi).values_list("period", flat=True))
    kpi_id = kpi.pk
    kpi.delete()
    # The formulas reading it lose an input for every period it had a value for.
    formulas_follow_input(Kpi(pk=kpi_id, organization_id=org.pk), periods=periods)
