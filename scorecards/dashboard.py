"""The executive dashboard document (DESIGN §6 ``dashboard/``), live or as of a day.

One document feeds the page and the API: company progress against the expected
pace over the cycle (from the daily snapshots), health per team, the movers
since a date, what needs attention and the KPIs' status by perspective. It
holds ids, numbers, ISO dates and the users' own titles, never translated text,
so one cached copy serves every language.

Four queries whatever the size of the organisation (objectives and their key
results with their snapshots and check-ins, the snapshot series, teams with
their people, KPIs with their latest measurements), and none when the document
is in the cache under the organisation's current data version
(``scorecards.documents``).

"As of" a day: objectives take their latest snapshot on or before it; key
results, which have no snapshots, take the value of their last check-in by the
end of that day (key results that follow a KPI take no check-ins and are left
out of the movers and of the check-in list); KPIs take their latest
measurement of a period starting on or before it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from statistics import mean
from typing import Any

from django.db.models import Avg, Case, Count, F, OuterRef, Subquery, When

from cycles.models import Cycle, CycleStatus
from kpis import periods
from kpis.models import Kpi, Measurement, Perspective
from objectives import progress as progress_math
from objectives.models import CheckIn, Objective, ObjectiveSnapshot, ObjectiveStatus
from objectives.tree import (
    ObjectiveRow,
    end_of_day,
    mean_or_none,
    progress_at,
    teams_with_people,
)
from orgs.models import Organization
from orgs.ownership import OwnerType
from scorecards.documents import cached_document, document_key

STALE_CHECK_IN_DAYS = 14
MOVERS_DAYS = 7
MOVERS_LIMIT = 5
LIST_LIMIT = 10
HEALTHS = ("on_track", "at_risk", "off_track")
KPI_STATUSES = ("green", "amber", "red", "none")


@dataclass(frozen=True)
class DashboardRequest:
    """What a dashboard is asked for; ``since`` defaults to a week before the day shown."""

    cycle: Cycle
    as_of: date | None = None
    since: date | None = None


def pick_cycle(cycles: list[Cycle], wanted: int | None = None) -> Cycle | None:
    """``cycles`` ordered as ``cycles.selectors.cycle_list``; the wanted one, or the default
    of ``cycles.selectors.default_cycle`` without another query: the active one that started
    last, else the one closed last (its results stay on show until the next cycle becomes
    active), else the earliest planning one."""
    if wanted is not None:
        return next((c for c in cycles if c.pk == wanted), None)
    active = [c for c in cycles if c.status == CycleStatus.ACTIVE]
    if active:
        return active[0]
    closed = [c for c in cycles if c.status == CycleStatus.CLOSED]
    if closed:
        return max(closed, key=lambda c: (c.end_date, c.closed_at or datetime.min.replace(tzinfo=UTC)))
    planning = sorted((c for c in cycles if c.status == CycleStatus.PLANNING), key=lambda c: c.start_date)
    return planning[0] if planning else None


def since_default(*, org: Organization, as_of: date | None) -> date:
    """Movers are measured over the week before the day shown unless a day is chosen."""
    return (as_of or org.today()) - timedelta(days=MOVERS_DAYS)


def dashboard(*, org: Organization, request: DashboardRequest) -> dict[str, Any]:
    """The dashboard document, from the documents cache when the organisation's data version,
    the day and the parameters are those it was built for."""
    since = request.since or since_default(org=org, as_of=request.as_of)
    return cached_document(
        document_key("dashboard-page", org, request.cycle.pk, request.as_of, since),
        lambda: build_dashboard(org=org, cycle=request.cycle, as_of=request.as_of, since=since),
    )


# --- the reads ------------------------------------------------------------------------------------


def _series(*, org: Organization, cycle: Cycle, day: date) -> list[tuple[date, float | None]]:
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


def _objectives_and_key_results(
    *, org: Organization, cycle: Cycle, as_of: date | None, since: date, since_end: datetime, day_end: datetime
) -> tuple[list[ObjectiveRow], list[dict[str, Any]]]:
    """The cycle's objectives that are not cancelled, on the day shown (as of a day: from their
    latest snapshot on or before it, objectives without one left out) with their progress at
    ``since`` (``progress_then``, from a snapshot), and their key results with their progress
    on the day and at ``since`` (from check-ins) and their last check-in by the day.

    One query: objectives left-joined to their key results, snapshot and check-in values as
    correlated subqueries (on the unique snapshot index and the check-in index)."""
    progress = ["progress", "confidence"]
    snapshot = ObjectiveSnapshot.objects.filter(objective=OuterRef("pk"), date__lte=since).order_by("-date")
    annotations: dict[str, Any] = {"progress_then": Subquery(snapshot.values("progress")[:1])}
    if as_of is not None:
        snap = ObjectiveSnapshot.objects.filter(objective=OuterRef("pk"), date__lte=as_of).order_by("-date")
        annotations |= {
            "snap_date": Subquery(snap.values("date")[:1]),
            "snap_progress": Subquery(snap.values("progress")[:1]),
            "snap_confidence": Subquery(snap.values("confidence")[:1]),
        }
        progress = ["snap_progress", "snap_confidence"]

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
    if as_of is not None:
        qs = qs.filter(snap_date__isnull=False)
    objective_fields = [
        "id",
        "title",
        "owner_type",
        "owner_team_id",
        "owner_user_id",
        "parent_id",
        "status",
        *progress,
        "owner_user__name",
        "owner_user__email",
        "progress_then",
        "grade",
        "commitment",
        "activated_at",
    ]
    kr_fields = [
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
        *(["kr_value_then", "kr_last_then"] if as_of is not None else []),
    ]
    objectives: dict[int, ObjectiveRow] = {}
    krs: list[dict[str, Any]] = []
    n = len(objective_fields)
    for row in qs.values_list(*objective_fields, *kr_fields):
        if row[0] not in objectives:
            objectives[row[0]] = ObjectiveRow(*row[:n])
        k = dict(zip(_KR_KEYS, row[n : n + len(_KR_KEYS)], strict=True))
        if k["id"] is None:
            continue
        value_since = row[n + 10]
        if as_of is not None:
            # It existed that day if it was created by then, or checked in by then (imported history).
            if k["created"] >= day_end and row[n + 12] is None:
                continue
            k["progress"] = progress_at(kind=k["kind"], start=k["start"], target=k["target"], value=row[n + 11])
            k["last"] = row[n + 12]
        k["progress_since"] = (
            progress_at(kind=k["kind"], start=k["start"], target=k["target"], value=value_since)
            if k["created"] < since_end or value_since is not None
            else None
        )
        k["objective_id"] = row[0]
        k["objective_status"] = row[6]
        krs.append(k)
    return list(objectives.values()), krs


def _kpis(*, org: Organization, day: date, live: bool) -> list[Kpi]:
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


# --- the document -----------------------------------------------------------------------------------


def _owner(o: ObjectiveRow, team_names: dict[int, str]) -> dict[str, Any]:
    name = None
    if o.owner_type == OwnerType.TEAM and o.owner_team is not None:
        name = team_names.get(o.owner_team)
    elif o.owner_type == OwnerType.PERSON:
        name = o.owner_user_label
    return {"owner_type": o.owner_type, "owner_team": o.owner_team, "owner_user": o.owner_user, "owner_name": name}


def _overdue_period(kpi: Kpi, *, org: Organization, day: date) -> date | None:
    """The last complete period when it has no measurement and its grace days are over."""
    fy = org.fiscal_year_start_month
    current = periods.period_start(day, frequency=kpi.frequency, fiscal_year_start_month=fy)
    previous = periods.shift(current, frequency=kpi.frequency, periods=-1)
    if (
        kpi.tracking_since
        and periods.period_start(kpi.tracking_since, frequency=kpi.frequency, fiscal_year_start_month=fy) > previous
    ):
        return None
    if previous in (kpi.last_period, kpi.prev_period):  # type: ignore[attr-defined]
        return None
    due = periods.period_end(previous, frequency=kpi.frequency) + timedelta(days=1 + org.reminder_grace_days)
    return previous if day >= due else None


def _team_matrix(
    *,
    objectives: list[ObjectiveRow],
    health: dict[int, str | None],
    teams: list[tuple[int, int | None, str]],
    people: list[tuple[int, int]],
) -> list[dict[str, Any]]:
    """Every team in tree order with its depth, its own and subtree progress and the health
    counts of the objectives in its subtree (the team's, its sub-teams' and their people's)."""
    children: dict[int | None, list[tuple[int, int | None, str]]] = {}
    known = {t[0] for t in teams}
    for t in teams:
        children.setdefault(t[1] if t[1] in known else None, []).append(t)
    members: dict[int, set[int]] = {}
    for tid, uid in people:
        members.setdefault(tid, set()).add(uid)
    by_team: dict[int, list[ObjectiveRow]] = {}
    by_person: dict[int, list[ObjectiveRow]] = {}
    for o in objectives:
        if o.owner_type == OwnerType.TEAM and o.owner_team is not None:
            by_team.setdefault(o.owner_team, []).append(o)
        elif o.owner_type == OwnerType.PERSON and o.owner_user is not None:
            by_person.setdefault(o.owner_user, []).append(o)
    rows: list[dict[str, Any]] = []

    def walk(t: tuple[int, int | None, str], depth: int, trail: frozenset[int]) -> tuple[set[int], set[int]]:
        """Appends the team's row (then its sub-teams'); returns (team ids, user ids) of its subtree."""
        tid = t[0]
        row: dict[str, Any] = {"id": tid, "name": t[2], "parent": t[1], "depth": depth}
        rows.append(row)
        team_ids, user_ids = {tid}, set(members.get(tid, set()))
        for child in children.get(tid, []):
            if child[0] not in trail:
                more_teams, more_users = walk(child, depth + 1, trail | {tid})
                team_ids |= more_teams
                user_ids |= more_users
        subtree = {o.id: o for x in team_ids for o in by_team.get(x, [])}
        subtree.update({o.id: o for u in user_ids for o in by_person.get(u, [])})
        counts = Counter(health[o.id] for o in subtree.values() if health[o.id])
        graded = [o for o in subtree.values() if o.grade is not None]  # a closed cycle's results
        achieved = sum(1 for o in graded if progress_math.achieved(grade=o.grade, commitment=o.commitment))
        row.update(
            progress=mean_or_none([o.progress for o in by_team.get(tid, [])]),
            subtree_progress=mean_or_none([o.progress for o in subtree.values()]),
            objectives=len(subtree),
            **{h: counts.get(h, 0) for h in HEALTHS},
            achieved=achieved,
            not_achieved=len(graded) - achieved,
            mean_grade=round(mean(o.grade for o in graded), 2) if graded else None,
        )
        return team_ids, user_ids

    for t in children.get(None, []):
        walk(t, 0, frozenset())
    return rows


def _closed_results(*, org: Organization, cycle: Cycle, objectives: list[ObjectiveRow]) -> dict[str, Any]:
    """A closed cycle's results, as its report counts them (``objectives.review.cycle_statistics``):
    the graded objectives, those that met their type's bar, and their mean grade."""
    grades = [(o.grade, o.commitment) for o in objectives if o.grade is not None]
    closed_on = cycle.closed_at.astimezone(org.tzinfo).date() if cycle.closed_at else cycle.end_date
    achieved = sum(1 for g, commitment in grades if progress_math.achieved(grade=g, commitment=commitment))
    return {
        "closed_on": closed_on,
        "objectives": len(grades),
        "achieved": achieved,
        "not_achieved": len(grades) - achieved,
        "mean_grade": round(mean(g for g, _c in grades), 2) if grades else None,
    }


def build_dashboard(*, org: Organization, cycle: Cycle, as_of: date | None, since: date) -> dict[str, Any]:
    today = org.today()
    day = as_of or today
    day_end, since_end = end_of_day(org, day), end_of_day(org, since)
    expected = progress_math.expected_progress(start=cycle.start_date, end=cycle.end_date, on=day)

    objectives, krs = _objectives_and_key_results(
        org=org, cycle=cycle, as_of=as_of, since=since, since_end=since_end, day_end=day_end
    )
    series = _series(org=org, cycle=cycle, day=day)
    teams, people, _snaps = teams_with_people(org=org)
    team_names = {tid: name for tid, _p, name in teams}
    kpis = _kpis(org=org, day=day, live=as_of is None)

    # A closed cycle, shown live, has grades rather than health, and no check-ins to chase.
    closed = as_of is None and cycle.status == CycleStatus.CLOSED
    health: dict[int, str | None] = {o.id: o.health(org=org, cycle=cycle, on=day, closed=closed) for o in objectives}
    company = mean_or_none([o.progress for o in objectives if o.owner_type == OwnerType.COMPANY])

    # The line chart: a point per snapshot day, and today's live figure after the last one.
    points = [
        {
            "date": d.isoformat(),
            "progress": p,
            "expected": progress_math.expected_progress(start=cycle.start_date, end=cycle.end_date, on=d),
        }
        for d, p in series
    ]
    if as_of is None and company is not None and (not series or series[-1][0] < today):
        points.append({"date": today.isoformat(), "progress": company, "expected": expected})

    # Movers: objectives from their snapshot at ``since``; key results from their check-ins.
    moves: list[dict[str, Any]] = []
    titles = {o.id: o.title for o in objectives}
    for o in objectives:
        if o.progress_then is not None:
            moves.append(
                {"type": "objective", "id": o.id, "title": o.title, "objective": o.id}
                | {"before": o.progress_then, "after": o.progress, "change": o.progress - o.progress_then}
            )
    for k in krs:
        if k["progress_since"] is None or k["kpi_id"] is not None or k["objective_id"] not in titles:
            continue
        moves.append(
            {"type": "key_result", "id": k["id"], "title": k["title"], "objective": k["objective_id"]}
            | {"before": k["progress_since"], "after": k["progress"], "change": k["progress"] - k["progress_since"]}
        )
    up = sorted((m for m in moves if m["change"] > 1e-9), key=lambda m: (-m["change"], m["type"], m["id"]))
    down = sorted((m for m in moves if m["change"] < -1e-9), key=lambda m: (m["change"], m["type"], m["id"]))

    # Needs attention.
    severity = {"off_track": 0, "at_risk": 1}
    attention = sorted(
        (o for o in objectives if health[o.id] in severity),
        key=lambda o: (severity[health[o.id]], o.progress, o.id),  # type: ignore[index]
    )
    stale_before = day_end - timedelta(days=STALE_CHECK_IN_DAYS)
    stale = []
    for k in krs:
        if closed or k["objective_status"] != ObjectiveStatus.ACTIVE or k["kpi_id"] is not None:
            continue
        last = k["last"]
        if (last is None and k["created"] < stale_before) or (last is not None and last < stale_before):
            stale.append(
                {
                    "id": k["id"],
                    "title": k["title"],
                    "objective": k["objective_id"],
                    "objective_title": titles.get(k["objective_id"], ""),
                    "owner": k["owner_id"],
                    "last_check_in": last.astimezone(org.tzinfo).date().isoformat() if last else None,
                    "days": (day - last.astimezone(org.tzinfo).date()).days if last else None,
                }
            )
    stale.sort(key=lambda s: (s["days"] is not None, -(s["days"] or 0), s["id"]))

    by_perspective: dict[str, Counter] = {p: Counter() for p in Perspective.values}
    red, overdue = [], []
    for kpi in kpis:
        status = kpi.status_for(kpi.last_value)  # type: ignore[attr-defined]
        by_perspective.setdefault(kpi.perspective, Counter())[status or "none"] += 1
        base = {"id": kpi.pk, "name": kpi.name, "perspective": kpi.perspective, "unit": kpi.unit}
        if status == "red":
            red.append(
                base | {"value": kpi.last_value, "period": kpi.last_period.isoformat()}  # type: ignore[attr-defined]
            )
        late = _overdue_period(kpi, org=org, day=day)
        if late is not None:
            overdue.append(base | {"period": late.isoformat(), "frequency": kpi.frequency})

    owners = Counter(k["owner_id"] for k in krs if k["objective_status"] == ObjectiveStatus.ACTIVE)
    return {
        "cycle": {
            "id": cycle.pk,
            "name": cycle.name,
            "start_date": cycle.start_date,
            "end_date": cycle.end_date,
            "status": cycle.status,
        },
        "closed": _closed_results(org=org, cycle=cycle, objectives=objectives) if closed else None,
        "as_of": as_of,
        "since": since,
        "day": day,
        "before_first_snapshot": as_of is not None and not series,
        "company_progress": company,
        "expected": expected,
        "objective_count": len(objectives),
        "health": {h: sum(1 for v in health.values() if v == h) for h in HEALTHS},
        "series": points,
        "teams": _team_matrix(objectives=objectives, health=health, teams=teams, people=people),
        "movers": {"up": up[:MOVERS_LIMIT], "down": down[:MOVERS_LIMIT]},
        "needs_attention": {
            "objectives": [
                {"id": o.id, "title": o.title, "health": health[o.id], "progress": o.progress} | _owner(o, team_names)
                for o in attention[:LIST_LIMIT]
            ],
            "objectives_count": len(attention),
            "stale_key_results": stale[:LIST_LIMIT],
            "stale_key_results_count": len(stale),
            "red_kpis": red[:LIST_LIMIT],
            "red_kpis_count": len(red),
            "overdue_measurements": overdue[:LIST_LIMIT],
            "overdue_measurements_count": len(overdue),
        },
        "kpis": [{"perspective": p, **{s: c.get(s, 0) for s in KPI_STATUSES}} for p, c in by_perspective.items()],
        "kpi_totals": {
            "count": len(kpis),
            **{s: sum(c.get(s, 0) for c in by_perspective.values()) for s in KPI_STATUSES},
        },
        # Per-user figure for the page ("your key results"), not part of the API document.
        "key_results_by_owner": dict(owners),
    }
