"""The dashboard's four reads: the objectives with their key results, the snapshot series,
the KPIs with their latest measurements (and, from ``objectives.tree``, the teams with
their people)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db.models import Avg, Case, Count, F, OuterRef, QuerySet, Subquery, When

from cycles.models import Cycle
from kpis.models import Kpi, Measurement
from objectives.models import CheckIn, Objective, ObjectiveSnapshot, ObjectiveStatus
from objectives.tree import (
    ObjectiveRow,
    progress_at,
)
from orgs.models import Organization
from orgs.ownership import OwnerType, owner_former_member


def series(*, org: Organization, cycle: Cycle, day: date) -> list[tuple[date, float | None]]:
    """(date, company progress) of every snapshot day of the cycle up to ``day``; None on days
    without company objectives. One query."""
    rows = (
        ObjectiveSnapshot.objects.filter(organization=org, cycle=cycle, date__lte=day)
        .exclude(objective__status=ObjectiveStatus.CANCELLED)
        .values("date")
        .annotate(
            company=Avg(Case(When(objective__owner_type=OwnerType.COMPANY, then=F("progress")))),
            n=Count("id"),
        )
        .order_by("date")
    )
    return [(r["date"], r["company"]) for r in rows]


_KR_KEYS = ("id", "title", "owner_id", "kind", "start", "target", "progress", "kpi_id", "last", "created")
_OBJECTIVE_FIELDS = (
    "id",
    "title",
    "owner_type",
    "owner_team_id",
    "owner_user_id",
    "parent_id",
    "status",
    # progress and confidence: live, or from the snapshot (``_objective_fields``)
    "owner_user__name",
    "owner_user__email",
    "progress_then",
    "grade",
    "commitment",
    "activated_at",
    "owner_former",
)
_KR_FIELDS = (
    "key_results__id",
    "key_results__title",
    "key_results__owner_id",
    "key_results__kind",
    "key_results__start_value",
    "key_results__target_value",
    "key_results__progress",
    "key_results__kpi_id",
    "key_results__last_check_in_at",
    "key_results__created_at",
    "kr_value_since",
)


def _objectives_query(
    *, org: Organization, cycle: Cycle, as_of: date | None, since: date, since_end: datetime, day_end: datetime
) -> QuerySet[Objective]:
    """The cycle's objectives that are not cancelled (as of a day: those with a snapshot by
    then), left-joined to their key results, with the snapshot and check-in values as
    correlated subqueries (on the unique snapshot index and the check-in index)."""
    snapshot = ObjectiveSnapshot.objects.filter(objective=OuterRef("pk"), date__lte=since).order_by("-date")
    annotations: dict[str, Any] = {
        "progress_then": Subquery(snapshot.values("progress")[:1]),
        "owner_former": owner_former_member(),
    }
    if as_of is not None:
        snap = ObjectiveSnapshot.objects.filter(objective=OuterRef("pk"), date__lte=as_of).order_by("-date")
        annotations |= {
            "snap_date": Subquery(snap.values("date")[:1]),
            "snap_progress": Subquery(snap.values("progress")[:1]),
            "snap_confidence": Subquery(snap.values("confidence")[:1]),
        }

    def check_ins(before: datetime) -> Any:
        return CheckIn.objects.filter(
            organization=org, key_result=OuterRef("key_results__id"), created_at__lt=before
        ).order_by("-created_at", "-id")

    annotations["kr_value_since"] = Subquery(check_ins(since_end).values("value")[:1])
    if as_of is not None:
        annotations["kr_value_then"] = Subquery(check_ins(day_end).values("value")[:1])
        annotations["kr_last_then"] = Subquery(check_ins(day_end).values("created_at")[:1])
    qs = (
        Objective.objects.filter(organization=org, cycle=cycle)
        .exclude(status=ObjectiveStatus.CANCELLED)
        .annotate(**annotations)
        .order_by("id", "key_results__position", "key_results__id")
    )
    if as_of is None:
        return qs
    return qs.filter(snap_date__isnull=False)  # type: ignore[misc]  # an annotation, which the stubs cannot see


def _key_result(
    row: tuple[Any, ...], n: int, *, as_of: date | None, since_end: datetime, day_end: datetime
) -> dict[str, Any] | None:
    """The key result in a row of the joined query (``n``: the objective's columns before it),
    or None when there is none, or (as of a day) it did not exist yet."""
    k = dict(zip(_KR_KEYS, row[n : n + len(_KR_KEYS)], strict=True))
    if k["id"] is None:
        return None
    value_since = row[n + 10]
    if as_of is not None:
        # It existed that day if it was created by then, or checked in by then (imported history).
        if k["created"] >= day_end and row[n + 12] is None:
            return None
        k["progress"] = progress_at(kind=k["kind"], start=k["start"], target=k["target"], value=row[n + 11])
        k["last"] = row[n + 12]
    k["progress_since"] = (
        progress_at(kind=k["kind"], start=k["start"], target=k["target"], value=value_since)
        if k["created"] < since_end or value_since is not None
        else None
    )
    k["objective_id"] = row[0]
    k["objective_status"] = row[6]
    return k


def objectives_and_key_results(
    *, org: Organization, cycle: Cycle, as_of: date | None, since: date, since_end: datetime, day_end: datetime
) -> tuple[list[ObjectiveRow], list[dict[str, Any]]]:
    """The cycle's objectives that are not cancelled, on the day shown (as of a day: from their
    latest snapshot on or before it, objectives without one left out) with their progress at
    ``since`` (``progress_then``, from a snapshot), and their key results with their progress
    on the day and at ``since`` (from check-ins) and their last check-in by the day.

    One query (``_objectives_query``)."""
    progress = ["snap_progress", "snap_confidence"] if as_of is not None else ["progress", "confidence"]
    objective_fields = [*_OBJECTIVE_FIELDS[:7], *progress, *_OBJECTIVE_FIELDS[7:]]
    kr_fields = [*_KR_FIELDS, *(["kr_value_then", "kr_last_then"] if as_of is not None else [])]
    qs = _objectives_query(org=org, cycle=cycle, as_of=as_of, since=since, since_end=since_end, day_end=day_end)
    objectives: dict[int, ObjectiveRow] = {}
    krs: list[dict[str, Any]] = []
    n = len(objective_fields)
    for row in qs.values_list(*objective_fields, *kr_fields):
        if row[0] not in objectives:
            objectives[row[0]] = ObjectiveRow(*row[:n])
        k = _key_result(row, n, as_of=as_of, since_end=since_end, day_end=day_end)
        if k is not None:
            krs.append(k)
    return list(objectives.values()), krs


def kpis(*, org: Organization, day: date, live: bool) -> list[Kpi]:
    """Active KPIs with their latest measurement of a period starting on or before ``day``
    (``last_value``, ``last_period``) and the period before it (``prev_period``). One query."""
    m = Measurement.objects.filter(organization=org, kpi=OuterRef("pk"))
    if not live:
        m = m.filter(period__lte=day)
    m = m.order_by("-period")
    return list(
        Kpi.objects.filter(organization=org, active=True)
        .annotate(
            last_value=Subquery(m.values("value")[:1]),
            last_period=Subquery(m.values("period")[:1]),
            prev_period=Subquery(m.values("period")[1:2]),
        )
        .order_by("name", "id")
    )
