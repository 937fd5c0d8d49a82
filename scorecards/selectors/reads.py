"""Scorecards as the pages, the API and the dashboard read them: one with its items and
scores, the list with scores, the strategy links and the company scorecard's summary."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Case, F, QuerySet, Subquery, Value, When

from cycles.models import Cycle, CycleStatus
from kpis import periods
from objectives.models import Objective, ObjectiveStatus
from orgs.models import Organization
from orgs.ownership import OwnerType
from scorecards.models import Scorecard, ScorecardItem, StrategyLink
from scorecards.selectors.scores import (
    TREND_PERIODS,
    ScorecardView,
    _current_period,
    _default_view,
    _measurements,
    _view_of,
    _window,
    as_of_period,
)


def _items(scorecard: Scorecard) -> list[ScorecardItem]:
    return list(
        ScorecardItem.objects.filter(organization_id=scorecard.organization_id, scorecard=scorecard)
        .select_related("kpi", "kpi__owner_team", "kpi__owner_user")
        .order_by("position", "id")
    )


def _cycle_preference(org: Organization) -> QuerySet[Cycle]:
    """The organisation's cycles, the one a page shows by default first, as
    ``cycles.selectors.default_cycle`` picks it: the active one that started last, else the one
    closed last (until the next cycle becomes active), else the planning one that starts first."""
    rank = Case(
        When(status=CycleStatus.ACTIVE, then=Value(0)),
        When(status=CycleStatus.CLOSED, then=Value(1)),
        default=Value(2),
    )
    closed_end = Case(When(status=CycleStatus.CLOSED, then=F("end_date")), default=None)
    closed_at = Case(When(status=CycleStatus.CLOSED, then=F("closed_at")), default=None)
    planning_start = Case(When(status=CycleStatus.PLANNING, then=F("start_date")), default=None)
    return Cycle.objects.filter(organization=org).order_by(
        rank, closed_end.desc(), closed_at.desc(nulls_last=True), planning_start, "-start_date", "name", "id"
    )


def scorecard_with_items(*, org: Organization, scorecard_id: int) -> tuple[Scorecard, list[ScorecardItem]]:
    """A scorecard of the organisation with its items and their KPIs, in one query when it has
    items (two when it has none). ``Scorecard.DoesNotExist`` for another organisation's id."""
    items = list(
        ScorecardItem.objects.filter(organization=org, scorecard_id=scorecard_id)
        .select_related("scorecard", "scorecard__owner_team", "kpi", "kpi__owner_team", "kpi__owner_user")
        .order_by("position", "id")
    )
    if items:
        return items[0].scorecard, items
    return Scorecard.objects.select_related("owner_team").get(organization=org, pk=scorecard_id), []


def scorecard_view(
    *,
    scorecard: Scorecard,
    org: Organization,
    as_of: date | None = None,
    items: list[ScorecardItem] | None = None,
    with_objectives: bool = False,
    cycle_id: int | None = None,
    cycle_list: bool = True,
) -> ScorecardView:
    """Scores per perspective and overall for the ``as_of`` period (any day in it; default:
    the newest of the last 12 periods whose values cover the settled share of the scorecard's
    weight, a newer thinner one kept aside as ``view.newer`` — see ``_default_view``), each
    with a trend over the 12 periods ending there; items with value, status, achievement and
    trend. A period below the settled share is ``provisional``: no colour for its score.

    Queries: items (unless given) and measurements — two; with objectives, one more (the
    chosen or default cycle's objectives of the scorecard's owner), or two with ``cycle_list``."""
    items = _items(scorecard) if items is None else items
    kpis = [i.kpi for i in items]
    current = _current_period(scorecard, org)
    if as_of is not None:
        target = as_of_period(scorecard=scorecard, org=org, day=as_of)
        window = _window(target, scorecard.frequency)
        rows = _measurements(
            org, kpis, since=window[0], until=periods.period_end(target, frequency=scorecard.frequency)
        )
        view = _view_of(scorecard, items, rows, window)
    else:
        recent = _window(current, scorecard.frequency)
        since = periods.shift(recent[0], frequency=scorecard.frequency, periods=-(TREND_PERIODS - 1))
        rows = _measurements(org, kpis, since=since, until=periods.period_end(current, frequency=scorecard.frequency))
        view = _default_view(scorecard, items, rows, org, current)
    if with_objectives:
        _attach_objectives(view, org, cycle_id, cycle_list)
    return view


def _attach_objectives(view: ScorecardView, org: Organization, cycle_id: int | None, cycle_list: bool) -> None:
    """The cycle's objectives of the scorecard's owner, in their perspectives. With
    ``cycle_list``, the cycles too (for a cycle picker): two queries; without, one."""
    qs = Objective.objects.filter(organization=org).exclude(status=ObjectiveStatus.CANCELLED)
    if cycle_list:
        view.cycles = list(_cycle_preference(org))
        wanted = next((c for c in view.cycles if c.pk == cycle_id), None) if cycle_id is not None else None
        view.cycle = wanted or (view.cycles[0] if view.cycles and cycle_id is None else None)
        if view.cycle is None:
            return
        qs = qs.filter(cycle=view.cycle)
    elif cycle_id is not None:
        qs = qs.filter(cycle_id=cycle_id).select_related("cycle")
    else:
        qs = qs.filter(cycle_id=Subquery(_cycle_preference(org).values("id")[:1])).select_related("cycle")
    if view.scorecard.owner_team_id is None:
        qs = qs.filter(owner_type=OwnerType.COMPANY)
    else:
        qs = qs.filter(owner_type=OwnerType.TEAM, owner_team_id=view.scorecard.owner_team_id)
    by_perspective = {p.perspective: p for p in view.perspectives}
    today = org.today()
    for objective in qs.order_by("title", "id"):
        if view.cycle is None:
            view.cycle = objective.cycle
        objective.cycle = view.cycle  # health reads the cycle's dates; no query per objective
        objective.health_value = objective.health(today, org=org)  # type: ignore[attr-defined]  # read by the page and the map
        if objective.perspective in by_perspective:
            by_perspective[objective.perspective].objectives.append(objective)
        else:
            view.unplaced_objectives += 1


# --- lists, links and the dashboard's summary ---------------------------------------------------


@dataclass
class ScorecardRow:
    scorecard: Scorecard
    view: ScorecardView


def scorecard_list(*, org: Organization) -> list[ScorecardRow]:
    """Every scorecard with its owner and current scores: three queries whatever their number
    (scorecards, all their items, all those KPIs' recent measurements)."""
    cards = list(Scorecard.objects.filter(organization=org).select_related("owner_team").order_by("name", "id"))
    return scorecard_rows(org=org, cards=cards)


def scorecard_rows(*, org: Organization, cards: list[Scorecard], as_of: date | None = None) -> list[ScorecardRow]:
    """Scores of the given scorecards as of the period containing ``as_of`` (default: each one's
    newest settled period, as ``scorecard_view`` picks it): two queries whatever their number."""
    if not cards:
        return []
    items_by_card: dict[int, list[ScorecardItem]] = defaultdict(list)
    for item in (
        ScorecardItem.objects.filter(organization=org, scorecard__in=cards)
        .select_related("kpi")
        .order_by("position", "id")
    ):
        items_by_card[item.scorecard_id].append(item)
    kpis = list({i.kpi_id: i.kpi for items in items_by_card.values() for i in items}.values())
    anchor = {c.pk: as_of_period(scorecard=c, org=org, day=as_of) if as_of else _current_period(c, org) for c in cards}
    earliest = min(
        periods.shift(_window(anchor[c.pk], c.frequency)[0], frequency=c.frequency, periods=-TREND_PERIODS)
        for c in cards
    )
    latest = max(periods.period_end(anchor[c.pk], frequency=c.frequency) for c in cards)
    rows = _measurements(org, kpis, since=earliest, until=latest)
    out = []
    for card in cards:
        items = items_by_card.get(card.pk, [])
        if as_of is None:
            view = _default_view(card, items, rows, org, anchor[card.pk])
        else:
            view = _view_of(card, items, rows, _window(anchor[card.pk], card.frequency))
        out.append(ScorecardRow(card, view))
    return out


def scorecard_links(*, scorecard: Scorecard) -> list[StrategyLink]:
    return list(
        StrategyLink.objects.filter(organization_id=scorecard.organization_id, scorecard=scorecard).order_by("id")
    )


def _company_scorecards(org: Organization) -> QuerySet[Scorecard]:
    return Scorecard.objects.filter(organization=org, owner_team__isnull=True).order_by("created_at", "id")


def company_scorecard(*, org: Organization) -> Scorecard | None:
    """The company's scorecard: the first one made at company level."""
    return _company_scorecards(org).first()


def company_scorecard_summary(*, org: Organization, as_of: date | None = None) -> ScorecardView | None:
    """For the executive dashboard: the company scorecard's scores per perspective (``view.perspectives``
    or ``view.perspective_rows()``) and overall, as of the period containing ``as_of`` (default: the
    newest settled period, with a newer provisional one in ``view.newer``). None when the
    organisation has no company scorecard. Two queries:
    its items with the scorecard and their KPIs, then their measurements (or, without items,
    the scorecard)."""
    items = list(
        ScorecardItem.objects.filter(organization=org, scorecard_id=Subquery(_company_scorecards(org).values("id")[:1]))
        .select_related("scorecard", "kpi", "kpi__owner_team", "kpi__owner_user")
        .order_by("position", "id")
    )
    scorecard = items[0].scorecard if items else company_scorecard(org=org)
    if scorecard is None:
        return None
    return scorecard_view(scorecard=scorecard, org=org, as_of=as_of, items=items)
