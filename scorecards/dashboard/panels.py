"""The dashboard's panels, one function each, from what the reads returned: the pace
series, the team matrix, the movers, what needs attention, the KPIs by perspective and a
closed cycle's results. Pure: no query."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import mean
from typing import Any

from cycles.models import Cycle
from kpis import periods
from kpis.models import Kpi, Perspective
from objectives import progress as progress_math
from objectives.models import ObjectiveStatus
from objectives.tree import (
    ObjectiveRow,
    mean_or_none,
)
from orgs.models import Organization
from orgs.ownership import OwnerType
from scorecards.owners import row_owner_name

STALE_CHECK_IN_DAYS = 14
MOVERS_LIMIT = 5
# The smallest change of progress a mover shows: half a percentage point, which reads as 1%.
SHOWN_MOVE = 0.005
LIST_LIMIT = 10
HEALTHS = ("on_track", "at_risk", "off_track")
KPI_STATUSES = ("green", "amber", "red", "none")


def owner(o: ObjectiveRow, team_names: dict[int, str]) -> dict[str, Any]:
    return {
        "owner_type": o.owner_type,
        "owner_team": o.owner_team,
        "owner_user": o.owner_user,
        "owner_name": row_owner_name(o, team_names),
    }


def overdue_period(kpi: Kpi, *, org: Organization, day: date) -> date | None:
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


def team_matrix(
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
        # A closed cycle's results: (grade, commitment) of the graded objectives.
        graded = [(o.grade, o.commitment) for o in subtree.values() if o.grade is not None]
        achieved = sum(1 for g, commitment in graded if progress_math.achieved(grade=g, commitment=commitment))
        row.update(
            {
                "progress": mean_or_none([o.progress for o in by_team.get(tid, [])]),
                "subtree_progress": mean_or_none([o.progress for o in subtree.values()]),
                "objectives": len(subtree),
                **{h: counts.get(h, 0) for h in HEALTHS},
                "achieved": achieved,
                "not_achieved": len(graded) - achieved,
                "mean_grade": round(mean(g for g, _c in graded), 2) if graded else None,
            }
        )
        return team_ids, user_ids

    for t in children.get(None, []):
        walk(t, 0, frozenset())
    return rows


def closed_results(*, org: Organization, cycle: Cycle, objectives: list[ObjectiveRow]) -> dict[str, Any]:
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


def pace_series(
    *,
    cycle: Cycle,
    series: list[tuple[date, float | None]],
    company: float | None,
    live: bool,
    today: date,
    expected: float,
) -> list[dict[str, Any]]:
    """The line chart: a point per snapshot day, and today's live figure after the last one."""
    points = [
        {
            "date": d.isoformat(),
            "progress": p,
            "expected": progress_math.expected_progress(start=cycle.start_date, end=cycle.end_date, on=d),
        }
        for d, p in series
    ]
    if live and company is not None and (not series or series[-1][0] < today):
        points.append({"date": today.isoformat(), "progress": company, "expected": expected})
    return points


def movers(*, objectives: list[ObjectiveRow], krs: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Objectives from their snapshot at ``since``; key results from their check-ins."""
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
    # A move the page would show as "+0%" (under half a percentage point) is no move.
    up = sorted((m for m in moves if m["change"] >= SHOWN_MOVE), key=lambda m: (-m["change"], m["type"], m["id"]))
    down = sorted((m for m in moves if m["change"] <= -SHOWN_MOVE), key=lambda m: (m["change"], m["type"], m["id"]))
    return {"up": up[:MOVERS_LIMIT], "down": down[:MOVERS_LIMIT]}


def attention_objectives(
    *, objectives: list[ObjectiveRow], health: dict[int, str | None], team_names: dict[int, str]
) -> tuple[list[dict[str, Any]], int]:
    """The objectives off track, then at risk, least progress first (the first ``LIST_LIMIT``),
    and how many there are."""
    severity = {"off_track": 0, "at_risk": 1}
    attention = sorted(
        (o for o in objectives if health[o.id] in severity),
        key=lambda o: (severity[health[o.id]], o.progress, o.id),  # type: ignore[index]
    )
    rows = [
        {"id": o.id, "title": o.title, "health": health[o.id], "progress": o.progress} | owner(o, team_names)
        for o in attention[:LIST_LIMIT]
    ]
    return rows, len(attention)


def stale_key_results(
    *, org: Organization, objectives: list[ObjectiveRow], krs: list[dict[str, Any]], day: date, day_end: datetime
) -> list[dict[str, Any]]:
    """The active objectives' key results (not following a KPI) without a check-in for
    ``STALE_CHECK_IN_DAYS``, the longest silent first."""
    titles = {o.id: o.title for o in objectives}
    stale_before = day_end - timedelta(days=STALE_CHECK_IN_DAYS)
    stale = []
    for k in krs:
        if k["objective_status"] != ObjectiveStatus.ACTIVE or k["kpi_id"] is not None:
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
    return stale


@dataclass
class KpiPanels:
    """The KPIs' status counts by perspective, the red ones and those overdue a measurement."""

    by_perspective: dict[str, Counter]
    red: list[dict[str, Any]]
    overdue: list[dict[str, Any]]


def kpi_panels(*, org: Organization, kpis: list[Kpi], day: date) -> KpiPanels:
    panels = KpiPanels(by_perspective={p: Counter() for p in Perspective.values}, red=[], overdue=[])
    for kpi in kpis:
        status = kpi.status_for(kpi.last_value)  # type: ignore[attr-defined]
        panels.by_perspective.setdefault(kpi.perspective, Counter())[status or "none"] += 1
        base = {"id": kpi.pk, "name": kpi.name, "perspective": kpi.perspective, "unit": kpi.unit}
        if status == "red":
            panels.red.append(
                base | {"value": kpi.last_value, "period": kpi.last_period.isoformat()}  # type: ignore[attr-defined]
            )
        late = overdue_period(kpi, org=org, day=day)
        if late is not None:
            panels.overdue.append(base | {"period": late.isoformat(), "frequency": kpi.frequency})
    return panels


def needs_attention(
    *,
    objectives: tuple[list[dict[str, Any]], int],
    stale: list[dict[str, Any]],
    kpi_panels: KpiPanels,
) -> dict[str, Any]:
    attention, attention_count = objectives
    red, overdue = kpi_panels.red, kpi_panels.overdue
    return {
        "objectives": attention,
        "objectives_count": attention_count,
        "stale_key_results": stale[:LIST_LIMIT],
        "stale_key_results_count": len(stale),
        "red_kpis": red[:LIST_LIMIT],
        "red_kpis_count": len(red),
        "overdue_measurements": overdue[:LIST_LIMIT],
        "overdue_measurements_count": len(overdue),
    }


def kpis_by_perspective(by_perspective: dict[str, Counter]) -> list[dict[str, Any]]:
    return [{"perspective": p, **{s: c.get(s, 0) for s in KPI_STATUSES}} for p, c in by_perspective.items()]


def kpi_totals(*, kpis: list[Kpi], by_perspective: dict[str, Counter]) -> dict[str, int]:
    return {"count": len(kpis), **{s: sum(c.get(s, 0) for c in by_perspective.values()) for s in KPI_STATUSES}}


def cycle_summary(cycle: Cycle) -> dict[str, Any]:
    return {
        "id": cycle.pk,
        "name": cycle.name,
        "start_date": cycle.start_date,
        "end_date": cycle.end_date,
        "status": cycle.status,
    }
