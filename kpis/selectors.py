"""Reads of KPIs shared by pages, the API, exports and tasks; query counts are decided here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Prefetch, QuerySet

from kpis import periods
from kpis.models import HISTORY_PERIODS, Kpi, Measurement, Perspective
from orgs.models import Membership, Organization, Team, User
from orgs.ownership import OwnerType, owner_is_member
from orgs.tenancy import visible
from orgs.visibility import visible_scope


def kpi_list(
    *,
    org: Organization,
    owner_type: str | None = None,
    owner_team: Team | int | None = None,
    owner_user: User | int | None = None,
    perspective: str | None = None,
    frequency: str | None = None,
    active: bool | None = None,
    history: int = HISTORY_PERIODS,
    seen_by: Membership | None = None,
) -> QuerySet[Kpi]:
    """KPIs with their owners and their last ``history`` measurements (newest first,
    on ``recent_measurements``), so ``latest_value`` and ``status`` cost nothing:
    two queries whatever the number of KPIs (the prefetch is one windowed query).
    ``seen_by``: only the KPIs that member may see (every list shown to a person passes it;
    ``None`` is for totals, which count every KPI)."""
    qs = (
        Kpi.objects.filter(organization=org)  # type: ignore[no-redef]  # fills the cache Kpi reads as recent_measurements
        .select_related("owner_team", "owner_user")
        .annotate(owner_is_member=owner_is_member())
        .prefetch_related(
            Prefetch(
                "measurements",
                queryset=Measurement.objects.filter(organization=org).order_by("-period")[:history],
                to_attr="recent_measurements",
            )
        )
        .order_by("name", "id")
    )
    if seen_by is not None:
        qs = qs.filter(visible_scope(seen_by, Kpi))
    if owner_type:
        qs = qs.filter(owner_type=owner_type)
    if owner_team is not None:
        qs = qs.filter(owner_team=owner_team)
    if owner_user is not None:
        qs = qs.filter(owner_user=owner_user)
    if perspective:
        qs = qs.filter(perspective=perspective)
    if frequency:
        qs = qs.filter(frequency=frequency)
    if active is not None:
        qs = qs.filter(active=active)
    return qs


@dataclass
class OwnerGroup:
    label: str
    owner_type: str
    kpis: list[Kpi] = field(default_factory=list)


@dataclass
class PerspectiveGroup:
    perspective: str
    label: str
    owners: list[OwnerGroup] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(o.kpis) for o in self.owners)


_OWNER_ORDER: dict[str, int] = {OwnerType.COMPANY: 0, OwnerType.TEAM: 1, OwnerType.PERSON: 2}


def _owner_key(kpi: Kpi) -> tuple[int, str, int]:
    order = _OWNER_ORDER[kpi.owner_type]
    return order, kpi.owner_label.casefold(), kpi.owner_team_id or kpi.owner_user_id or 0


def kpi_library(*, org: Organization, kpis: list[Kpi]) -> list[PerspectiveGroup]:
    """Group KPIs by balanced-scorecard perspective (in the scorecard's order), then by
    owner (company, teams, people). Pure regrouping: no queries."""
    groups: list[PerspectiveGroup] = []
    for value, label in Perspective.choices:
        in_perspective = sorted((k for k in kpis if k.perspective == value), key=lambda k: (*_owner_key(k), k.name))
        if not in_perspective:
            continue
        group = PerspectiveGroup(perspective=value, label=str(label))
        for kpi in in_perspective:
            key = _owner_key(kpi)
            if not group.owners or _owner_key(group.owners[-1].kpis[0]) != key:
                group.owners.append(OwnerGroup(label=kpi.owner_label, owner_type=kpi.owner_type))
            group.owners[-1].kpis.append(kpi)
        groups.append(group)
    return groups


def kpi_detail(*, seen_by: Membership, kpi_id: int) -> Kpi:
    """One KPI with its owner, as ``seen_by`` may see it; ``Kpi.DoesNotExist`` for another
    organisation's id and for a KPI hidden from them."""
    related = ("owner_team", "owner_user", "created_by", "source")
    return visible(Kpi, seen_by).select_related(*related).annotate(owner_is_member=owner_is_member()).get(pk=kpi_id)


def measurement_history(*, kpi: Kpi) -> list[Measurement]:
    """Every measurement of the KPI, oldest period first, with its author."""
    return list(
        Measurement.objects.filter(organization_id=kpi.organization_id, kpi=kpi)
        .select_related("author")
        .order_by("period")
    )


def measurement_export(*, org: Organization, kpi_ids: list[int] | None = None) -> QuerySet[Measurement]:
    """Measurements for the CSV export, KPI by KPI, oldest period first; one query."""
    qs = (
        Measurement.objects.filter(organization=org)
        .select_related("kpi", "author")
        .order_by("kpi__name", "kpi_id", "period")
    )
    if kpi_ids:
        qs = qs.filter(kpi_id__in=kpi_ids)
    return qs


def sparkline_window(kpi: Kpi, *, fiscal_year_start_month: int, today: date) -> list[date]:
    """The last 12 period starts up to the current one: the sparkline's x axis."""
    return periods.last_periods(
        HISTORY_PERIODS, until=today, frequency=kpi.frequency, fiscal_year_start_month=fiscal_year_start_month
    )
