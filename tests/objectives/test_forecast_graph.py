"""Forecasts follow the alignment graph (DESIGN §4): an objective's forecast counts the
objectives contributing to it with the links' weights, and an ``aligned`` key result
forecasts the weighted mean of its contributors' forecasts. Expectations computed by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from objectives import forecast as fc
from objectives import forecast_graph, forecasts
from objectives import services as okr_services
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective

NOW = datetime(2026, 11, 15, 10, tzinfo=UTC)
Q4 = date(2026, 10, 1)


def _check_in(kr, actor, *pairs):
    for day, value in pairs:
        at = datetime(2026, 10, 1, tzinfo=UTC) + timedelta(days=day)
        okr_services.key_result_check_in(key_result=kr, actor=actor, value=value, confidence=7, at=at)


@pytest.fixture
def graph(world_a, pin_now):
    """Grow (forecast 1.0: +10 a week, 130 of 100 at the end) and Hold (flat at 10 of 100: 0.1)
    feed Revenue's aligned key result with weights 3 and 1; Hold also counts in Brand with
    weight 2; Idea, a draft, counts in Brand with weight 5 but drafts count for nothing."""
    pin_now(NOW)
    m = world_a.member
    cycle = make_cycle(world_a.org, start=Q4, days=91)
    revenue = make_objective(world_a.org, cycle, title="Revenue", status="active")
    make_kr(revenue, title="Sales", target=100, owner=m)  # no check-in: stays at 0
    teams = make_kr(revenue, title="Teams deliver", kind="aligned", owner=m)
    brand = make_objective(world_a.org, cycle, title="Brand", status="active")
    make_kr(brand, title="Mentions", target=100, owner=m)  # 0
    grow = make_objective(world_a.org, cycle, title="Grow", status="active")
    steady = make_kr(grow, title="Signups", target=100, owner=m)
    hold = make_objective(world_a.org, cycle, title="Hold", status="active")
    flat = make_kr(hold, title="Flat", target=100, owner=m)
    idea = make_objective(world_a.org, cycle, title="Idea")  # a draft
    make_kr(idea, title="Spark", target=10, owner=m)
    _check_in(steady, m, (7, 10), (14, 20), (21, 30))
    _check_in(flat, m, (7, 10), (14, 10), (21, 10))
    link = okr_services.contribution_create
    link(child=grow, actor=None, key_result=teams, weight=3)
    link(child=hold, actor=None, key_result=teams, weight=1)
    link(child=hold, actor=None, parent=brand, weight=2)
    link(child=idea, actor=None, parent=brand, weight=5)
    return cycle, {"revenue": revenue, "brand": brand, "grow": grow, "hold": hold, "teams": teams}


def test_an_aligned_key_result_forecasts_its_contributors_weighted_mean(world_a, graph):
    cycle, o = graph
    doc = forecasts.build_cycle_forecast(org=world_a.org, cycle=cycle)
    assert doc.objectives[o["grow"].pk].projected == pytest.approx(1.0)
    assert doc.objectives[o["hold"].pk].projected == pytest.approx(0.1)
    teams = doc.key_results[o["teams"].pk]
    assert teams.method == "rollup"
    assert teams.progress == pytest.approx((3 * 1.0 + 1 * 0.1) / 4)  # 0.775
    # Revenue: Sales (0) and the aligned key result (0.775), weight 1 each.
    assert doc.objectives[o["revenue"].pk].projected == pytest.approx((0 + 0.775) / 2)
    # The key result's own page reads the same forecast.
    assert forecasts.key_result_forecast(org=world_a.org, key_result=o["teams"]).progress == pytest.approx(0.775)


def test_an_objective_counts_its_contributors_with_the_links_weights(world_a, graph):
    cycle, o = graph
    doc = forecasts.build_cycle_forecast(org=world_a.org, cycle=cycle)
    # Brand: Mentions (0, weight 1) and Hold (0.1, weight 2); the draft Idea counts for nothing.
    assert doc.objectives[o["brand"].pk].projected == pytest.approx((1 * 0 + 2 * 0.1) / 3)


def test_without_children_counting_only_aligned_key_results_follow_their_contributors(world_a, graph):
    cycle, o = graph
    world_a.org.children_contribute = False
    world_a.org.save(update_fields=["children_contribute"])
    doc = forecasts.build_cycle_forecast(org=world_a.org, cycle=cycle)
    assert doc.objectives[o["brand"].pk].projected == pytest.approx(0.0)
    assert doc.objectives[o["revenue"].pk].projected == pytest.approx(0.775 / 2)


class _Info:
    def __init__(self, oid: int, parent: int | None = None, weight: float = 1.0, status: str = "active") -> None:
        self.id, self.parent, self.weight, self.status, self.commitment = oid, parent, weight, status, "committed"


def _term(p: float, weight: float = 1.0) -> fc.Term:
    return fc.Term(p, p, p, weight)


def test_the_pure_roll_up_on_a_diamond_with_a_contributor_of_another_cycle():
    # 1 ← 2 (parent, weight 2), 1 ← 3 (contribution, weight 1); 2 and 3 both fed by 4 (parent of
    # 4 is 2; 4 contributes to 3 with weight 4); 9 is another cycle's objective at 0.5 feeding
    # aligned key result 50 of objective 3 with weight 1, next to 4 (weight 3).
    info = {1: _Info(1), 2: _Info(2, parent=1, weight=2), 3: _Info(3), 4: _Info(4, parent=2)}
    terms = {1: [_term(0.0)], 2: [_term(0.4)], 3: [_term(1.0)], 4: [_term(0.8)]}
    links = [
        forecast_graph.Link(3, 1, None, 1.0),
        forecast_graph.Link(4, 3, None, 4.0),
        forecast_graph.Link(4, None, 50, 3.0),
        forecast_graph.Link(9, None, 50, 1.0, progress=0.5, status="active"),
    ]
    objectives, aligned = forecast_graph.objective_forecasts(
        info=info, terms=terms, children_contribute=True, aligned={3: [(50, 2.0)]}, links=links
    )
    p4 = 0.8
    p2 = (0.4 + p4) / 2
    k50 = (3 * p4 + 1 * 0.5) / 4
    p3 = (1.0 + 2 * k50 + 4 * p4) / (1 + 2 + 4)
    p1 = (0.0 + 2 * p2 + 1 * p3) / (1 + 2 + 1)
    assert aligned[50].progress == pytest.approx(k50)
    assert {k: v.projected for k, v in objectives.items()} == pytest.approx({1: p1, 2: p2, 3: p3, 4: p4})


def test_a_cycle_with_contributions_costs_one_query_more(world_a, graph, django_assert_num_queries):
    cycle, _o = graph
    with django_assert_num_queries(3):  # objectives with key results, check-ins, contributions
        forecasts.build_cycle_forecast(org=world_a.org, cycle=cycle)
