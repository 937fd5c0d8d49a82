"""A scorecard's computed view: its periods, the measurements that count for each, and the
scores per item, perspective and overall.

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
from typing import Any

from cycles.models import Cycle
from kpis import periods
from kpis.models import Kpi, Measurement, Perspective, period_label
from objectives.models import Objective
from orgs.models import Organization
from scorecards import scoring
from scorecards.models import Scorecard, ScorecardItem

TREND_PERIODS = 12  # the sparklines: the as-of period and the 11 before it
AS_OF_CHOICES = 24  # how far back the "as of" list reaches
LONGEST_KPI_PERIOD = timedelta(days=366)  # a yearly KPI's value can overlap a period that starts a year later

PERSPECTIVE_LABELS = dict(Perspective.choices)


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
    # For one reader (``scorecards.selectors.restricted``): what they may not see, counted, never named.
    restricted_kpis: str = ""  # "1 restricted KPI"
    restricted_objectives: dict[str, Any] | None = None  # the neutral row of objectives

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
