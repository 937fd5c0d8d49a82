"""After the close: the dashboard shows the closed cycle's results until the next cycle becomes
active, in words fit for a closed cycle, and never claims that everything is on track for a
cycle without active objectives."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from cycles.selectors import default_cycle
from cycles.services import cycle_update
from objectives import services
from objectives.models import Objective
from rituals import review
from rituals import services as ritual_services
from scorecards.dashboard import build_dashboard
from scorecards.selectors import _cycle_preference
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed(world_a):
    """Q4 2026 closed: "Delight customers" graded 1.0 (achieved), the aspirational "Open a second
    market" 0.5 (not achieved), a cancelled objective left out; Q1 2027 planned next, with a draft."""
    cycle = make_cycle(world_a.org)
    for title, values, commitment in (
        ("Delight customers", (10, 10), "committed"),
        ("Open a second market", (4, 6), "aspirational"),
        ("Dropped idea", (0, 0), "committed"),
    ):
        o = make_objective(world_a.org, cycle, title=title)
        Objective.objects.filter(pk=o.pk).update(commitment=commitment)
        for i, value in enumerate(values):
            kr = make_kr(o, title=f"{title} {i}", owner=world_a.member, start=0, target=10)
            services.key_result_check_in(key_result=kr, actor=world_a.member, value=value, confidence=7)
        services.objective_set_status(objective=o, actor=world_a.admin, status="active")
    dropped = Objective.objects.get(title="Dropped idea")
    services.objective_set_status(objective=dropped, actor=world_a.admin, status="cancelled")
    ritual_services.cycle_close(cycle=cycle, actor=world_a.admin, force=True)
    nxt = make_cycle(world_a.org, name="Q1 2027", start=date(2027, 1, 1), days=90, status="planning")
    make_objective(world_a.org, nxt, title="Next quarter's draft", krs=2, kr_owner=world_a.member)
    cycle.refresh_from_db()
    return cycle, nxt


def _day(cycle) -> str:
    d = cycle.closed_at.astimezone(cycle.organization.tzinfo).date()
    return f"{d.day} {d:%b} {d.year}"


def test_the_document_of_a_closed_cycle_gives_its_results_in_the_same_four_queries(
    world_a, closed, django_assert_num_queries
):
    cycle, _next = closed
    since = world_a.org.today() - timedelta(days=7)
    with django_assert_num_queries(4):
        doc = build_dashboard(org=world_a.org, cycle=cycle, as_of=None, since=since)
    stats = review.cycle_statistics(org=world_a.org, cycle=cycle, with_previous=False)
    assert doc["closed"] == {
        "closed_on": cycle.closed_at.astimezone(world_a.org.tzinfo).date(),
        "objectives": stats.objectives,
        "achieved": stats.achieved,
        "not_achieved": stats.not_achieved,
        "mean_grade": stats.mean_grade,
    }
    assert (stats.objectives, stats.achieved, stats.mean_grade) == (2, 1, 0.75)  # (1.0 + 0.5) / 2
    assert doc["cycle"]["status"] == "closed"
    # Graded, not tracked: no health and no stale check-ins.
    assert doc["health"] == {"on_track": 0, "at_risk": 0, "off_track": 0}
    assert doc["needs_attention"]["objectives_count"] == 0
    assert doc["needs_attention"]["stale_key_results_count"] == 0
    live = make_cycle(world_a.org, name="Q2 2027", start=date(2027, 4, 1))
    assert build_dashboard(org=world_a.org, cycle=live, as_of=None, since=since)["closed"] is None


def test_the_dashboard_shows_the_closed_cycle_until_the_next_one_is_active(world_a, closed, client):
    cycle, nxt = closed
    client.force_login(world_a.viewer)
    html = client.get("/o/alpha/").content.decode()
    assert f"Q4 2026 closed on {_day(cycle)}: 1 of 2 objectives achieved, average grade 0.75." in html
    assert f"/o/alpha/cycles/{cycle.pk}/report/" in html
    assert "1 achieved" in html and "1 not achieved" in html
    assert "on track." not in html and "expected by now" not in html
    assert "The cycle is closed: its objectives are graded, not tracked." in html
    cycle_update(cycle=nxt, actor=world_a.admin, status="active")
    html = client.get("/o/alpha/").content.decode()
    assert "Q1 2027" in html and "closed on" not in html


def test_a_planning_cycle_is_not_said_to_be_on_track(world_a, client):
    cycle = make_cycle(world_a.org, status="planning")
    make_objective(world_a.org, cycle, title="A draft", krs=2, kr_owner=world_a.member)
    client.force_login(world_a.viewer)
    html = client.get("/o/alpha/").content.decode()
    assert "No active objective yet: health shows once objectives are activated." in html
    assert "on track." not in html


def test_the_dashboard_api_gives_the_closed_cycles_results(world_a, closed, api):
    cycle, _next = closed
    body = api(world_a.viewer).get("/api/v1/orgs/alpha/dashboard/").json()
    assert body["cycle"]["id"] == cycle.pk and body["cycle"]["status"] == "closed"
    assert body["closed"] == {
        "closed_on": cycle.closed_at.astimezone(world_a.org.tzinfo).date().isoformat(),
        "objectives": 2,
        "achieved": 1,
        "not_achieved": 1,
        "mean_grade": 0.75,
    }


def test_scorecards_show_the_closed_cycles_objectives_until_the_next_is_active(world_a, closed):
    cycle, nxt = closed
    assert _cycle_preference(world_a.org).first() == cycle == default_cycle(org=world_a.org)
    cycle_update(cycle=nxt, actor=world_a.admin, status="active")
    assert _cycle_preference(world_a.org).first() == nxt == default_cycle(org=world_a.org)
