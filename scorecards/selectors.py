"""Reads of balanced scorecards shared by the pages, the API and the dashboard; query
counts are decided here.

Which measurement counts for a scorecard period: for each KPI, the latest measurement
whose own period overlaps the scorecard period (a monthly scorecard takes a monthly KPI's
value of that month, a quarterly KPI's value of the quarter containing the month, a weekly
KPI's last week starting in the month). A period without such a measurement has no value
for that KPI: it is left out of the scores, never counted as 0 %.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Case, F, QuerySet, Subquery, Value, When

from cycles.models import Cycle, CycleStatus
from kpis import periods
from kpis.models import Kpi, Measurement, Perspective, period_label
from objectives.models import Objective, ObjectiveStatus
from orgs.models import Organization, Team, TeamMember
from orgs.ownership import OwnerType
from scorecards import scoring
from scorecards.models import Scorecard, ScorecardItem, StrategyLink

TREND_PERIODS = 12  # the sparklines: the as-of period and the 11 before it
AS_OF_CHOICES = 24  # how far back the "as of" list reaches
LONGEST_KPI_PERIOD = timedelta(days=366)  # a yearly KPI's value can overlap a period that starts a year later

PERSPECTIVE_LABELS = dict(Perspective.choices)


# --- eligibility: what may go on a scorecard and its map ----------------------------------------


def _subtree(org: Organization, team_id: int) -> set[int]:
    """The team and every team below it (one query)."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent in Team.objects.filter(organization=org).values_list("id", "parent_id"):
        children[parent].append(pk)
    seen: set[int] = set()
    stack = [team_id]
    while stack:
        tid = stack.pop()
        if tid not in seen:
            seen.add(tid)
            stack.extend(children.get(tid, []))
    return seen


def eligible_kpis(
    *, scorecard: Scorecard | None = None, org: Organization | None = None, owner_team_id: int | None = None
) -> QuerySet[Kpi]:
    """KPIs that may be placed on a scorecard (given, or by its organisation and owner team):
    any of the organisation's for the company's scorecard; for a team's, those owned by the
    team, a team below it, or a person in one of those teams. Anything else — another
    organisation's KPI included — is not found."""
    if scorecard is not None:
        org, owner_team_id = scorecard.organization, scorecard.owner_team_id
    if org is None:
        raise TypeError("eligible_kpis needs a scorecard or an organisation")
    qs = Kpi.objects.filter(organization=org)
    if owner_team_id is None:
        return qs
    teams = _subtree(org, owner_team_id)
    people = TeamMember.objects.filter(organization=org, team_id__in=teams).values("user_id")
    return qs.filter(owner_team_id__in=teams) | qs.filter(owner_user_id__in=people)


def library_kpis(*, org: Organization, owner_team: Team | None) -> QuerySet[Kpi]:
    """The KPIs a scorecard created from the library starts with: every active KPI of
    its owner (company-level KPIs for the company, the team's own KPIs for a team)."""
    qs = Kpi.objects.filter(organization=org, active=True).order_by("name", "id")
    if owner_team is None:
        return qs.filter(owner_type=OwnerType.COMPANY)
    return qs.filter(owner_type=OwnerType.TEAM, owner_team=owner_team)


def map_objectives(*, scorecard: Scorecard) -> QuerySet[Objective]:
    """Objectives that may be nodes of the scorecard's map: its owner's, with a perspective."""
    qs = Objective.objects.filter(organization_id=scorecard.organization_id).exclude(perspective="")
    if scorecard.owner_team_id is None:
        return qs.filter(owner_type=OwnerType.COMPANY)
    return qs.filter(owner_type=OwnerType.TEAM, owner_team_id=scorecard.owner_team_id)


# --- the computed view --------------------------------------------------------------------------


@dataclass
class ItemView:
    item: ScorecardItem
    kpi: Kpi
    values: list[float | None]  # per trend period, oldest first; the last is the as-of period
    measured_periods: list[date | None]  # the KPI period each value comes from
    achievements: list[float | None]

    @property
    def value(self) -> float | None:
        return self.values[-1]

    @property
    def measured_period(self) -> date | None:
        return self.measured_periods[-1]

    @property
    def achievement(self) -> float | None:
        return self.achievements[-1]

    @property
    def status(self) -> str | None:
        return self.kpi.status_for(self.value)


@dataclass
class PerspectiveView:
    perspective: str
    label: str
    weight: float
    score: float | None
    status: str | None
    trend: list[float | None]
    items: list[ItemView] = field(default_factory=list)
    objectives: list[Objective] = field(default_factory=list)
    provisional: bool = False  # scored from KPIs carrying less than the settled share of its weight

    @property
    def measured_count(self) -> int:
        return sum(1 for i in self.items if i.value is not None)


@dataclass
class PeriodGlance:
    """A period newer than the one a scorecard shows, whose values cover too little of its
    weight to stand for it yet ("provisional, 1 of 9"): shown beside it, without a colour."""

    as_of: date  # first day of the period
    label: str  # as people say it ("December 2026")
    score: float | None
    measured_count: int
    item_count: int
    measured_share: float  # of the scorecard's weight, 0–1


@dataclass
class ScorecardView:
    scorecard: Scorecard
    as_of: date  # first day of the as-of period
    window: list[date]  # the trend periods, oldest first, ending with as_of
    perspectives: list[PerspectiveView]
    score: float | None
    status: str | None  # None: no data, or a provisional period (no colour)
    trend: list[float | None]
    cycle: Cycle | None = None
    cycles: list[Cycle] = field(default_factory=list)
    unplaced_objectives: int = 0
    measured_share: float = 0.0  # the share of the scorecard's weight measured in the as-of period
    provisional: bool = False  # some values, below the settled share: the score is shown without a colour
    newer: PeriodGlance | None = None  # a newer period too thin to be shown as the scorecard's own

    @property
    def items(self) -> list[ItemView]:
        return [i for p in self.perspectives for i in p.items]

    @property
    def item_count(self) -> int:
        return len(self.items)

    @property
    def measured_count(self) -> int:
        return sum(p.measured_count for p in self.perspectives)

    def perspective_rows(self) -> list[dict[str, object]]:
        """The API's and the dashboard's ``perspectives``:
        ``[{"perspective", "weight", "score", "status", "provisional"}]``."""
        return [
            {
                "perspective": p.perspective,
                "weight": p.weight,
                "score": p.score,
                "status": p.status,
                "provisional": p.provisional,
            }
            for p in self.perspectives
        ]


def _window(as_of: date, frequency: str, count: int = TREND_PERIODS) -> list[date]:
    return [periods.shift(as_of, frequency=frequency, periods=-i) for i in range(count - 1, -1, -1)]


def _current_period(scorecard: Scorecard, org: Organization) -> date:
    return periods.period_start(
        org.today(), frequency=scorecard.frequency, fiscal_year_start_month=org.fiscal_year_start_month
    )


def as_of_period(*, scorecard: Scorecard, org: Organization, day: date) -> date:
    """The scorecard period containing ``day``, never later than the current one."""
    start = periods.period_start(
        day, frequency=scorecard.frequency, fiscal_year_start_month=org.fiscal_year_start_month
    )
    return min(start, _current_period(scorecard, org))


def as_of_choices(*, scorecard: Scorecard, org: Organization) -> list[tuple[date, str]]:
    """The periods the "as of" list offers, newest first, labelled as people say them."""
    current = _current_period(scorecard, org)
    fsm = org.fiscal_year_start_month
    return [
        (start, period_label(start, frequency=scorecard.frequency, fiscal_year_start_month=fsm))
        for start in reversed(_window(current, scorecard.frequency, AS_OF_CHOICES))
    ]


Rows = dict[int, list[tuple[date, date, float]]]  # kpi id → (period start, period end, value), oldest first


def _measurements(org: Organization, kpis: list[Kpi], *, since: date, until: date) -> Rows:
    """One query: the KPIs' measurements that can overlap [since, until]."""
    by_kpi: Rows = defaultdict(list)
    if not kpis:
        return by_kpi
    frequency = {k.pk: k.frequency for k in kpis}
    rows = (
        Measurement.objects.filter(
            organization=org, kpi_id__in=list(frequency), period__gt=since - LONGEST_KPI_PERIOD, period__lte=until
        )
        .order_by("kpi_id", "period")
        .values_list("kpi_id", "period", "value")
    )
    for kpi_id, start, value in rows:
        by_kpi[kpi_id].append((start, periods.period_end(start, frequency=frequency[kpi_id]), value))
    return by_kpi


def _series(
    rows: list[tuple[date, date, float]], window: list[date], frequency: str
) -> list[tuple[date, float] | None]:
    """Per scorecard period: the latest measurement overlapping it, as (its period, value)."""
    out: list[tuple[date, float] | None] = []
    for start in window:
        end = periods.period_end(start, frequency=frequency)
        best: tuple[date, float] | None = None
        for m_start, m_end, value in rows:
            if m_start > end:
                break
            if m_end >= start:
                best = (m_start, value)
        out.append(best)
    return out


def _measured(
    scorecard: Scorecard, items: list[ScorecardItem], rows: Rows, window: list[date]
) -> list[tuple[int, float]]:
    """Per period of ``window``: how many items have a value, and the share of the scorecard's
    weight they carry (``scoring.measured_share``)."""
    series = [_series(rows.get(item.kpi_id, []), window, scorecard.frequency) for item in items]
    weights = scorecard.perspective_weights
    out = []
    for i in range(len(window)):
        marks = [(item.perspective, s[i] is not None, item.weight) for item, s in zip(items, series, strict=True)]
        out.append(
            (sum(1 for _p, m, _w in marks if m), scoring.measured_share(items=marks, perspective_weights=weights))
        )
    return out


def _default_view(
    scorecard: Scorecard, items: list[ScorecardItem], rows: Rows, org: Organization, current: date
) -> ScorecardView:
    """The scorecard as shown without an "as of": the newest of the last 12 periods whose values
    cover the settled share of its weight (``Scorecard.settled_at``, 60 % by default), so that one early
    value of one KPI does not move it; a newer period with values is kept aside as ``newer``.
    With no settled period, the newest period with a value (provisional), else the current one."""
    recent = _window(current, scorecard.frequency)
    marks = _measured(scorecard, items, rows, recent)
    with_values = [i for i, (count, _share) in enumerate(marks) if count]
    settled = [i for i in with_values if scorecard.settled(marks[i][1])]
    pick = settled[-1] if settled else with_values[-1] if with_values else len(recent) - 1
    view = _view_of(scorecard, items, rows, _window(recent[pick], scorecard.frequency))
    if with_values and with_values[-1] > pick:
        newer = recent[with_values[-1]]
        count, share = marks[with_values[-1]]
        view.newer = PeriodGlance(
            as_of=newer,
            label=period_label(
                newer, frequency=scorecard.frequency, fiscal_year_start_month=org.fiscal_year_start_month
            ),
            score=_compute(scorecard, items, rows, [newer])[2],
            measured_count=count,
            item_count=len(items),
            measured_share=share,
        )
    return view


def _view_of(scorecard: Scorecard, items: list[ScorecardItem], rows: Rows, window: list[date]) -> ScorecardView:
    """The scorecard for the last period of ``window``: a period whose values cover less than
    the settled share of its weight is provisional, its overall score shown without a colour."""
    perspectives, trend, score = _compute(scorecard, items, rows, window)
    count, share = _measured(scorecard, items, rows, window[-1:])[0]
    provisional = count > 0 and not scorecard.settled(share)
    return ScorecardView(
        scorecard=scorecard,
        as_of=window[-1],
        window=window,
        perspectives=perspectives,
        score=score,
        status=None if provisional else scorecard.rag(score),
        trend=trend,
        measured_share=share,
        provisional=provisional,
    )


def _compute(
    scorecard: Scorecard, items: list[ScorecardItem], rows: Rows, window: list[date]
) -> tuple[list[PerspectiveView], list[float | None], float | None]:
    by_perspective: dict[str, list[ItemView]] = {p: [] for p in scoring.PERSPECTIVES}
    for item in items:
        series = _series(rows.get(item.kpi_id, []), window, scorecard.frequency)
        values = [s[1] if s else None for s in series]
        by_perspective[item.perspective].append(
            ItemView(
                item=item,
                kpi=item.kpi,
                values=values,
                measured_periods=[s[0] if s else None for s in series],
                achievements=[item.kpi.achievement_for(v) for v in values],
            )
        )
    weights = scorecard.perspective_weights
    trends: list[scoring.ScoreBreakdown] = []
    for i in range(len(window)):
        scored = [(p, iv.achievements[i], iv.item.weight) for p, ivs in by_perspective.items() for iv in ivs]
        trends.append(scoring.score_breakdown(items=scored, perspective_weights=weights))
    views = []
    for p in scoring.PERSPECTIVES:
        trend = [t.perspectives.get(p) for t in trends]
        # A perspective's score from too few of its KPIs is provisional too: no colour.
        share = scoring.measured_share(
            items=[(p, iv.value is not None, iv.item.weight) for iv in by_perspective[p]], perspective_weights={}
        )
        provisional = trend[-1] is not None and not scorecard.settled(share)
        views.append(
            PerspectiveView(
                perspective=p,
                label=str(PERSPECTIVE_LABELS[p]),
                weight=weights[p],
                score=trend[-1],
                status=None if provisional else scorecard.rag(trend[-1]),
                trend=trend,
                items=by_perspective[p],
                provisional=provisional,
            )
        )
    overall = [t.overall for t in trends]
    return views, overall, overall[-1]


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
        objective.health_value = objective.health(today, org=org)
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
