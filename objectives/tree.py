"""Selectors for a cycle's objective tree and the teams' progress (DESIGN §4),
live or as of a day from the daily snapshots. The cascade document and the
dashboard (``scorecards/``) are assembled from these.

A handful of queries whatever the size: the cycle's objectives (with their
snapshot of the day for ``as_of``), their key results, the teams with their
people (or their snapshot of the day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from statistics import fmean
from typing import Any

from django.db.models import OuterRef, Subquery

from cycles.models import Cycle
from objectives import progress as progress_math
from objectives.models import (
    CheckIn,
    Contribution,
    KeyResult,
    Objective,
    ObjectiveSnapshot,
    ObjectiveStatus,
    TeamSnapshot,
)
from orgs.models import Organization, Team
from orgs.ownership import OwnerType, owner_is_member


@dataclass
class ObjectiveRow:
    id: int
    title: str
    owner_type: str
    owner_team: int | None
    owner_user: int | None
    parent: int | None
    status: str
    progress: float
    confidence: int | None
    owner_user_name: str = ""
    owner_user_email: str = ""
    progress_then: float | None = None  # progress on an earlier day, where a selector reads it
    grade: float | None = None  # the end-of-cycle grade, where a selector reads it
    commitment: str = "committed"
    activated_at: datetime | None = None
    owner_former: bool = False  # a person owns it who is a member no longer (orgs.ownership.owner_name)

    def health(self, *, org: Organization, cycle: Cycle, on: date, closed: bool = False) -> str | None:
        """``objectives.progress.objective_health`` of the row in ``cycle`` on ``on``, with the
        organisation's thresholds (from the organisation the caller holds: no query); ``closed``
        when a closed cycle is read as it is now (no health: it is graded)."""
        value = progress_math.objective_health(
            status=self.status,
            progress=self.progress,
            confidence=self.confidence,
            commitment=self.commitment,
            cycle_start=cycle.start_date,
            cycle_end=cycle.end_date,
            on=on,
            activated_on=self.activated_at.astimezone(org.tzinfo).date() if self.activated_at else None,
            thresholds=progress_math.HealthThresholds.of(org),
            closed=closed,
        )
        return value.value if value else None


def mean_or_none(values: list[float]) -> float | None:
    return fmean(values) if values else None


def end_of_day(org: Organization, day: date) -> datetime:
    """The first instant after ``day`` in the organisation's time zone: "as of a day" means
    at the end of it."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=org.tzinfo)


_ROW_FIELDS = ("id", "title", "owner_type", "owner_team_id", "owner_user_id", "parent_id", "status")
_OWNER_FIELDS = ("owner_user__name", "owner_user__email")


def objective_rows(*, org: Organization, cycle: Cycle, as_of: date | None = None) -> list[ObjectiveRow]:
    """The cycle's objectives that are not cancelled, live or as of a day: each with the
    progress of its latest snapshot on or before ``as_of`` (objectives without one, e.g.
    created later, are left out; before the first snapshot there are none). One query."""
    rows = (
        Objective.objects.filter(organization=org, cycle=cycle).exclude(status=ObjectiveStatus.CANCELLED).order_by("id")
    )
    rows = rows.annotate(owner_member=owner_is_member())
    fields = [*_ROW_FIELDS, "progress", "confidence", *_OWNER_FIELDS, "commitment", "activated_at", "owner_member"]
    if as_of is not None:
        snap = ObjectiveSnapshot.objects.filter(objective=OuterRef("pk"), date__lte=as_of).order_by("-date")
        rows = rows.annotate(
            snap_date=Subquery(snap.values("date")[:1]),
            snap_progress=Subquery(snap.values("progress")[:1]),
            snap_confidence=Subquery(snap.values("confidence")[:1]),
        ).filter(snap_date__isnull=False)
        fields[len(_ROW_FIELDS) : len(_ROW_FIELDS) + 2] = ["snap_progress", "snap_confidence"]
    return [
        ObjectiveRow(*r[:-3], commitment=r[-3], activated_at=r[-2], owner_former=bool(r[4]) and not r[-1])  # type: ignore[misc]  # r[:-3] ends at owner_user_email
        for r in rows.values_list(*fields)
    ]


def team_progress(
    *, objectives: list[ObjectiveRow], teams: list[tuple[int, int | None, str]], people: list[tuple[int, int]]
) -> dict[int, tuple[float | None, float | None]]:
    """{team id: (progress, subtree progress)} from the cycle's objectives."""
    children: dict[int | None, list[int]] = {}
    for tid, parent_id, _name in teams:
        children.setdefault(parent_id, []).append(tid)
    own: dict[int, list[float]] = {}
    personal: dict[int, list[float]] = {}
    for o in objectives:
        if o.owner_type == OwnerType.TEAM and o.owner_team is not None:
            own.setdefault(o.owner_team, []).append(o.progress)
        elif o.owner_type == OwnerType.PERSON and o.owner_user is not None:
            personal.setdefault(o.owner_user, []).append(o.progress)
    members: dict[int, set[int]] = {}
    for tid, uid in people:
        members.setdefault(tid, set()).add(uid)
    result: dict[int, tuple[float | None, float | None]] = {}

    def walk(tid: int, trail: frozenset[int]) -> tuple[list[float], set[int]]:
        if tid in trail:
            return [], set()
        values = list(own.get(tid, []))
        users = set(members.get(tid, set()))
        for child in children.get(tid, []):
            v, u = walk(child, trail | {tid})
            values += v
            users |= u
        return values, users

    for tid, _parent, _name in teams:
        values, users = walk(tid, frozenset())
        subtree = values + [p for uid in users for p in personal.get(uid, [])]
        result[tid] = (mean_or_none(own.get(tid, [])), mean_or_none(subtree))
    return result


def key_result_rows(
    *, org: Organization, objective_ids: list[int], as_of: date | None = None
) -> dict[int, list[dict[str, Any]]]:
    """{objective id: [{"id", "title", "progress"}]} in the objectives' display order, one query.

    Key results have no snapshots: ``as_of`` a day, a key result's value is that of its last
    check-in by the end of the day (its start value before any), and key results created
    after the day are left out. Key results that follow a KPI take no check-ins: they keep
    their start value as of a past day."""
    qs = KeyResult.objects.filter(organization=org, objective_id__in=objective_ids).order_by(
        "objective_id", "position", "id"
    )
    krs: dict[int, list[dict[str, Any]]] = {}
    if as_of is None:
        for kid, oid, title, prog in qs.values_list("id", "objective_id", "title", "progress"):
            krs.setdefault(oid, []).append({"id": kid, "title": title, "progress": prog})
        return krs
    end = end_of_day(org, as_of)
    qs = qs.filter(created_at__lt=end).annotate(value_then=value_at_subquery(org=org, before=end))
    rows = list(qs.values_list("id", "objective_id", "title", "kind", "start_value", "target_value", "value_then"))
    aligned = aligned_progress_at(org=org, key_result_ids=[r[0] for r in rows if r[3] == "aligned"], day=as_of)
    for kid, oid, title, kind, start, target, then in rows:
        prog = (
            aligned.get(kid, 0.0)
            if kind == "aligned"
            else progress_at(kind=kind, start=start, target=target, value=then)
        )
        krs.setdefault(oid, []).append({"id": kid, "title": title, "progress": prog})
    return krs


def aligned_progress_at(*, org: Organization, key_result_ids: list[int], day: date) -> dict[int, float]:
    """Aligned key results as of a day: they take no check-ins, their history is their
    contributors' — the weighted mean of each contributor's snapshot of the day (contributors
    without one, created later, left out; draft and cancelled ones too). One query, none
    without aligned key results."""
    if not key_result_ids:
        return {}
    snap = ObjectiveSnapshot.objects.filter(objective=OuterRef("child"), date__lte=day).order_by("-date")
    links = (
        Contribution.objects.filter(organization=org, key_result_id__in=key_result_ids)
        .exclude(child__status__in=progress_math.LEFT_OUT_OF_PARENT)
        .annotate(then=Subquery(snap.values("progress")[:1]))
        .values_list("key_result_id", "weight", "then")
    )
    sums: dict[int, tuple[float, float]] = {}
    for kid, weight, then in links:
        if then is not None and kid is not None:
            num, den = sums.get(kid, (0.0, 0.0))
            sums[kid] = (num + weight * then, den + weight)
    return {kid: progress_math.progress_from_sums(num, den) for kid, (num, den) in sums.items()}


def value_at_subquery(*, org: Organization, before: datetime) -> Subquery:
    """A key result's value at ``before``: its last check-in's (NULL before any)."""
    return Subquery(
        CheckIn.objects.filter(organization=org, key_result=OuterRef("pk"), created_at__lt=before)
        .order_by("-created_at", "-id")
        .values("value")[:1]
    )


def progress_at(*, kind: str, start: float, target: float, value: float | None) -> float:
    """Clamped progress of a key result whose value was ``value`` (its start value when None)."""
    return progress_math.clamp01(
        progress_math.key_result_progress_raw(
            kind=kind, start=start, target=target, current=start if value is None else value
        )
    )


def teams_with_people(
    *, org: Organization, cycle: Cycle | None = None, as_of: date | None = None
) -> tuple[list[tuple[int, int | None, str]], list[tuple[int, int]], dict[int, tuple[float | None, float | None]]]:
    """Every team as ``(id, parent id, name)`` by name, the ``(team id, user id)`` memberships
    and, with ``cycle`` and ``as_of``, each team's latest snapshot on or before the day
    (``{team id: (progress, subtree progress)}``). One query: teams left-joined to their
    members, snapshot values as subqueries."""
    qs = Team.objects.filter(organization=org).order_by("name", "id")
    fields = ["id", "parent_id", "name", "memberships__user_id"]
    if cycle is not None and as_of is not None:
        snap = TeamSnapshot.objects.filter(team=OuterRef("pk"), cycle=cycle, date__lte=as_of).order_by("-date")
        qs = qs.annotate(
            snap_date=Subquery(snap.values("date")[:1]),
            snap_progress=Subquery(snap.values("progress")[:1]),
            snap_subtree=Subquery(snap.values("subtree_progress")[:1]),
        )
        fields += ["snap_date", "snap_progress", "snap_subtree"]
    teams: list[tuple[int, int | None, str]] = []
    people: list[tuple[int, int]] = []
    snaps: dict[int, tuple[float | None, float | None]] = {}
    seen: set[int] = set()
    for row in qs.values_list(*fields):
        tid, parent_id, name, user_id = row[:4]
        if tid not in seen:
            seen.add(tid)
            teams.append((tid, parent_id, name))
            if len(row) > 4 and row[4] is not None:
                snaps[tid] = (row[5], row[6])
        if user_id is not None:
            people.append((tid, user_id))
    return teams, people, snaps
