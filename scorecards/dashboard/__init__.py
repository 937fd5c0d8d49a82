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
from typing import Any

from cycles.models import Cycle, CycleStatus
from objectives import progress as progress_math
from objectives.models import ObjectiveStatus
from objectives.tree import end_of_day, mean_or_none, teams_with_people
from orgs.models import Organization
from orgs.ownership import OwnerType
from scorecards.dashboard import panels, reads
from scorecards.documents import cached_document, document_key

MOVERS_DAYS = 7


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


def build_dashboard(*, org: Organization, cycle: Cycle, as_of: date | None, since: date) -> dict[str, Any]:
    """The document: four reads (``objectives_and_key_results``, ``series``,
    ``teams_with_people``, ``kpis``), then one function per panel."""
    today = org.today()
    day = as_of or today
    day_end, since_end = end_of_day(org, day), end_of_day(org, since)
    expected = progress_math.expected_progress(start=cycle.start_date, end=cycle.end_date, on=day)
    objectives, krs = reads.objectives_and_key_results(
        org=org, cycle=cycle, as_of=as_of, since=since, since_end=since_end, day_end=day_end
    )
    series = reads.series(org=org, cycle=cycle, day=day)
    teams, people, _snaps = teams_with_people(org=org)
    kpis = reads.kpis(org=org, day=day, live=as_of is None)

    # A closed cycle, shown live, has grades rather than health, and no check-ins to chase.
    closed = as_of is None and cycle.status == CycleStatus.CLOSED
    health: dict[int, str | None] = {o.id: o.health(org=org, cycle=cycle, on=day, closed=closed) for o in objectives}
    company = mean_or_none([o.progress for o in objectives if o.owner_type == OwnerType.COMPANY])
    team_names = {tid: name for tid, _p, name in teams}
    stale = (
        [] if closed else panels.stale_key_results(org=org, objectives=objectives, krs=krs, day=day, day_end=day_end)
    )
    kpi_panels = panels.kpi_panels(org=org, kpis=kpis, day=day)
    owners = Counter(k["owner_id"] for k in krs if k["objective_status"] == ObjectiveStatus.ACTIVE)
    return {
        "cycle": panels.cycle_summary(cycle),
        "closed": panels.closed_results(org=org, cycle=cycle, objectives=objectives) if closed else None,
        "as_of": as_of,
        "since": since,
        "day": day,
        "before_first_snapshot": as_of is not None and not series,
        "company_progress": company,
        "expected": expected,
        "objective_count": len(objectives),
        "health": {h: sum(1 for v in health.values() if v == h) for h in panels.HEALTHS},
        "series": panels.pace_series(
            cycle=cycle, series=series, company=company, live=as_of is None, today=today, expected=expected
        ),
        "teams": panels.team_matrix(objectives=objectives, health=health, teams=teams, people=people),
        "movers": panels.movers(objectives=objectives, krs=krs),
        "needs_attention": panels.needs_attention(
            objectives=panels.attention_objectives(objectives=objectives, health=health, team_names=team_names),
            stale=stale,
            kpi_panels=kpi_panels,
        ),
        "kpis": panels.kpis_by_perspective(kpi_panels.by_perspective),
        "kpi_totals": panels.kpi_totals(kpis=kpis, by_perspective=kpi_panels.by_perspective),
        # Per-user figure for the page ("your key results"), not part of the API document.
        "key_results_by_owner": dict(owners),
    }
