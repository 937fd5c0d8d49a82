"""Scores read from the database: which measurement counts for a period, "as of", trends."""

from __future__ import annotations

from datetime import date

import pytest

from objectives.services import objective_update
from scorecards import selectors, services
from scorecards.models import Scorecard
from tests.kpis.kpi_factories import make_kpi, record
from tests.objectives.okr_factories import make_cycle, make_objective
from tests.scorecards.sc_factories import company_card, four_kpis, measure_all

TODAY = date(2026, 11, 27)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    """'Today' is 27 November 2026 for every organisation in these tests."""
    monkeypatch.setattr("orgs.models.Organization.today", lambda self: TODAY)


def _view(card: Scorecard, as_of: date | None = None) -> selectors.ScorecardView:
    return selectors.scorecard_view(scorecard=card, org=card.organization, as_of=as_of)


@pytest.mark.django_db
def test_perspective_scores_are_hand_computed_from_the_periods_values(world_a):
    kpis = four_kpis(world_a.org)  # targets 10, 80, 95, 20
    card = company_card(world_a.org)
    record(kpis[0], "2026-10-01", 5)  # 0.5
    record(kpis[1], "2026-10-01", 100)  # 1.25
    record(kpis[2], "2026-10-01", 95)  # 1.0
    view = _view(card)
    scores = {p.perspective: p.score for p in view.perspectives}
    assert view.as_of == date(2026, 10, 1)  # newest period with data, not the empty November
    assert scores == {
        "financial": pytest.approx(0.5),
        "customer": pytest.approx(1.25),
        "internal_process": pytest.approx(1.0),
        "learning_growth": None,  # not measured: no data yet, not 0 %
    }
    assert view.score == pytest.approx((0.5 + 1.25 + 1.0) / 3)
    statuses = {p.perspective: p.status for p in view.perspectives}
    assert statuses == {"financial": "red", "customer": "green", "internal_process": "green", "learning_growth": None}


@pytest.mark.django_db
def test_a_scorecard_with_nothing_measured_has_no_score(world_a):
    four_kpis(world_a.org)
    view = _view(company_card(world_a.org))
    assert view.score is None and view.status is None
    assert all(p.score is None for p in view.perspectives)
    assert view.as_of == date(2026, 11, 1)  # the current period


@pytest.mark.django_db
def test_as_of_uses_that_periods_measurements_only(world_a):
    kpis = four_kpis(world_a.org)
    card = company_card(world_a.org)
    measure_all(kpis, "2026-08-01", 1.0)
    measure_all(kpis[:1], "2026-10-01", 0.5)
    october = _view(card, as_of=date(2026, 10, 15))
    assert october.as_of == date(2026, 10, 1)
    # Only financial was measured in October: the others have no value that month (no carry-over).
    assert [p.score for p in october.perspectives] == [pytest.approx(0.5), None, None, None]
    august = _view(card, as_of=date(2026, 8, 3))
    assert [p.score for p in august.perspectives] == [pytest.approx(1.0)] * 4
    september = _view(card, as_of=date(2026, 9, 1))
    assert september.score is None


@pytest.mark.django_db
def test_trend_holds_one_score_per_period_for_twelve_periods(world_a):
    kpi = make_kpi(world_a.org, name="Revenue", perspective="financial", target=100, amber=80)
    card = company_card(world_a.org)
    for month, value in [(1, 40), (6, 90), (10, 120)]:
        record(kpi, date(2026, month, 1), value)
    view = _view(card, as_of=date(2026, 10, 1))
    assert view.window[0] == date(2025, 11, 1) and view.window[-1] == date(2026, 10, 1) and len(view.window) == 12
    financial = view.perspectives[0]
    expected = [None] * 12
    expected[2], expected[7], expected[11] = 0.4, 0.9, 1.2
    assert financial.trend == [pytest.approx(v) if v is not None else None for v in expected]
    assert view.trend == financial.trend


@pytest.mark.django_db
def test_a_quarterly_kpi_counts_in_every_month_of_its_quarter_and_a_weekly_one_by_its_last_week(world_a):
    quarterly = make_kpi(world_a.org, name="NPS", perspective="customer", frequency="quarterly", target=50, amber=40)
    weekly = make_kpi(
        world_a.org, name="Defects", perspective="internal_process", frequency="weekly", target=10, amber=8
    )
    card = company_card(world_a.org)
    record(quarterly, "2026-07-01", 25)  # Q3: 0.5
    record(weekly, "2026-08-24", 5)  # a week starting in August
    record(weekly, "2026-08-31", 10)  # the last week starting in August
    for month in (7, 8, 9):
        view = _view(card, as_of=date(2026, month, 1))
        assert view.perspectives[1].score == pytest.approx(0.5)
    assert _view(card, as_of=date(2026, 10, 1)).perspectives[1].score is None
    assert _view(card, as_of=date(2026, 8, 1)).perspectives[2].score == pytest.approx(1.0)


@pytest.mark.django_db
def test_weights_of_items_and_perspectives_and_zero_weights(world_a):
    a = make_kpi(world_a.org, name="A", perspective="financial", target=100, amber=50)
    b = make_kpi(world_a.org, name="B", perspective="financial", target=100, amber=50)
    c = make_kpi(world_a.org, name="C", perspective="customer", target=100, amber=50)
    card = services.scorecard_create(
        org=world_a.org, actor=None, name="W", perspective_weights={"financial": 3, "customer": 0}
    )
    services.scorecard_items_set(
        scorecard=card,
        actor=None,
        items=[
            services.ItemSpec(kpi=a, perspective="financial", weight=3),
            services.ItemSpec(kpi=b, perspective="financial", weight=1),
            services.ItemSpec(kpi=c, perspective="customer", weight=1),
        ],
    )
    for kpi, value in [(a, 100), (b, 60), (c, 10)]:
        record(kpi, "2026-11-01", value)
    view = _view(Scorecard.objects.get(pk=card.pk))
    assert view.perspectives[0].score == pytest.approx((1.0 * 3 + 0.6) / 4)
    assert view.perspectives[1].score == pytest.approx(0.1)
    assert view.score == pytest.approx(0.9)  # customer weighs 0


@pytest.mark.django_db
def test_thresholds_are_per_scorecard(world_a):
    kpi = make_kpi(world_a.org, name="A", perspective="financial", target=100, amber=50)
    strict = company_card(world_a.org, name="Strict")
    lenient = company_card(world_a.org, name="Lenient", green_at=0.5, amber_at=0.3)
    record(kpi, "2026-11-01", 60)
    assert _view(strict).status == "red"
    assert _view(lenient).status == "green"


@pytest.mark.django_db
def test_objectives_of_the_owner_appear_in_their_perspective(world_a):
    four_kpis(world_a.org)
    card = company_card(world_a.org)
    cycle = make_cycle(world_a.org)
    placed = make_objective(world_a.org, cycle, title="Win customers")
    objective_update(objective=placed, actor=world_a.admin, perspective="customer")
    make_objective(world_a.org, cycle, title="Unplaced")
    team_objective = make_objective(world_a.org, cycle, title="Team", owner_type="team", team=world_a.team)
    objective_update(objective=team_objective, actor=world_a.admin, perspective="customer")
    view = selectors.scorecard_view(scorecard=card, org=world_a.org, with_objectives=True)
    assert view.cycle == cycle
    assert [o.title for o in view.perspectives[1].objectives] == ["Win customers"]
    assert view.unplaced_objectives == 1


@pytest.mark.django_db
def test_company_scorecard_summary_for_the_dashboard(world_a):
    assert selectors.company_scorecard_summary(org=world_a.org) is None
    kpis = four_kpis(world_a.org)
    company_card(world_a.org)
    services.scorecard_create(org=world_a.org, actor=None, name="Team", owner_team=world_a.team)
    measure_all(kpis, "2026-10-01", 1.0)
    measure_all(kpis, "2026-11-01", 0.5)
    summary = selectors.company_scorecard_summary(org=world_a.org)
    assert summary is not None and summary.scorecard.name == "Company scorecard"
    rows = summary.perspective_rows()
    assert [r["perspective"] for r in rows] == ["financial", "customer", "internal_process", "learning_growth"]
    assert {r["status"] for r in rows} == {"red"} and rows[0]["score"] == pytest.approx(0.5)
    last_month = selectors.company_scorecard_summary(org=world_a.org, as_of=date(2026, 10, 20))
    assert last_month is not None and {r["status"] for r in last_month.perspective_rows()} == {"green"}
