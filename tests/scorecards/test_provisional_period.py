"""The scorecard does not flip on one early value: it shows the newest period whose measured
KPIs carry at least 60 % of its weight, and a newer, thinner period beside it as
"provisional, 1 of 9", without a colour — on the dashboard, the scorecard page, the strategy
map and the API alike.

One December value of one KPI moved the company scorecard from "November, 84 %, amber" to
"December, 119 %, green, 1 of 9 KPIs measured"."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from scorecards import scoring
from tests.kpis.kpi_factories import make_kpi, record
from tests.objectives.okr_factories import make_cycle
from tests.scorecards.sc_factories import company_card

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 7)
PERSPECTIVES = ("financial", "customer", "internal_process", "learning_growth")


@pytest.fixture
def card(world_a, pin_now):
    pin_now(datetime(2026, 12, 7, 9, tzinfo=UTC))
    make_cycle(world_a.org, start=date(2026, 10, 1))  # the dashboard needs a cycle
    kpis = [
        make_kpi(world_a.org, name=f"KPI {i}", perspective=PERSPECTIVES[i % 4], target=100, amber=80) for i in range(9)
    ]
    card = company_card(world_a.org)
    for kpi in kpis:
        record(kpi, "2026-11-01", 84, today=TODAY)  # 84 % each: amber
    record(kpis[0], "2026-12-01", 119, today=TODAY)  # one early December value: 119 %, green
    return card


def test_the_dashboard_keeps_november_and_shows_december_as_provisional(world_a, api, client, card):
    body = api(world_a.admin).get("/api/v1/orgs/alpha/dashboard/").json()["company_scorecard"]
    assert body["as_of"] == "2026-11-01"
    assert body["score"] == pytest.approx(0.84) and body["status"] == "amber"
    assert body["provisional"] is False and body["measured_share"] == pytest.approx(1.0)
    assert body["newer_period"] == {
        "as_of": "2026-12-01",
        "score": pytest.approx(1.19),
        "measured": 1,
        "items": 9,
        "measured_share": pytest.approx(0.25 / 3),  # financial has 3 KPIs: a third of a quarter
    }
    client.force_login(world_a.admin)
    html = client.get("/o/alpha/").content.decode()
    panel = html.split('id="company-scorecard"', 1)[1].split("</section>", 1)[0]
    assert "November 2026" in panel and "rag-amber" in panel and "84%" in panel
    assert "December 2026: provisional, 1 of 9 KPIs measured, 119% so far" in panel
    assert "rag-green" not in panel


def test_the_scorecard_page_and_the_map_keep_november(world_a, client, card):
    client.force_login(world_a.viewer)
    html = client.get(f"/o/alpha/scorecards/{card.pk}/").content.decode()
    assert "as of November 2026" in html and "9 of 9 KPIs measured" in html
    assert 'id="overall-score">84%' in html and "rag-text-amber" in html
    assert "December 2026: provisional, 1 of 9 KPIs measured, 119% so far" in html
    map_html = client.get(f"/o/alpha/scorecards/{card.pk}/map/").content.decode()
    assert "as of November 2026" in map_html
    assert "December 2026: provisional, 1 of 9 KPIs measured, 119% so far" in map_html

    # December asked for: shown, but provisional, without a colour for its score.
    december = client.get(f"/o/alpha/scorecards/{card.pk}/?as_of=2026-12-01").content.decode()
    assert "as of December 2026" in december and "1 of 9 KPIs measured" in december
    assert "Provisional: 1 of 9 KPIs measured, too few for a colour." in december
    assert 'id="overall-score">119%' in december and "rag-text-green" not in december
    assert 'id="overall-status">provisional' in december
    assert 'data-status="financial">provisional' in december  # one of its three KPIs


def test_the_scorecard_api_keeps_november_and_names_december_provisional(world_a, api, card):
    reader = api(world_a.viewer)
    body = reader.get(f"/api/v1/orgs/alpha/scorecards/{card.pk}/").json()
    assert (body["as_of"], body["status"], body["provisional"]) == ("2026-11-01", "amber", False)
    assert body["score"] == pytest.approx(0.84)
    assert body["newer_period"]["as_of"] == "2026-12-01" and body["newer_period"]["measured"] == 1
    december = reader.get(f"/api/v1/orgs/alpha/scorecards/{card.pk}/?as_of=2026-12-03").json()
    assert december["as_of"] == "2026-12-01" and december["score"] == pytest.approx(1.19)
    assert december["status"] is None and december["provisional"] is True and december["newer_period"] is None
    listed = reader.get("/api/v1/orgs/alpha/scorecards/").json()["results"][0]
    assert listed["as_of"] == "2026-11-01" and listed["status"] == "amber"


def test_a_period_settles_once_its_kpis_carry_the_threshold_share(world_a, api, card):
    from kpis.models import Kpi

    for kpi in Kpi.objects.filter(organization=world_a.org).order_by("id")[1:6]:
        record(kpi, "2026-12-01", 100, today=TODAY)
    # Six of nine, but what counts is weight: financial 3/3... per perspective shares, then their mean.
    body = api(world_a.admin).get(f"/api/v1/orgs/alpha/scorecards/{card.pk}/").json()
    assert body["as_of"] == "2026-12-01" and body["provisional"] is False and body["newer_period"] is None
    assert body["status"] in ("green", "amber", "red")
    assert scoring.is_settled(body["measured_share"])


def test_measured_share_weighs_perspectives_as_the_score_does():
    items = [("financial", True, 1), ("financial", False, 1), ("customer", True, 3), ("customer", False, 1)]
    assert scoring.measured_share(items=items, perspective_weights={"financial": 2}) == pytest.approx(
        (2 * 0.5 + 1 * 0.75) / 3
    )
    assert scoring.measured_share(items=[("financial", True, 0)], perspective_weights={}) == 0.0
    assert scoring.is_settled(0.6) and not scoring.is_settled(0.59)


def test_each_scorecard_sets_its_own_share_through_the_api_and_the_editor(world_a, api, client, card):
    admin = api(world_a.admin)
    url = f"/api/v1/orgs/alpha/scorecards/{card.pk}/"
    assert admin.get(url).json()["settled_at"] == pytest.approx(0.6)
    assert admin.patch(url, {"settled_at": 1.5}, format="json").status_code == 400
    r = admin.patch(url, {"settled_at": 0.05}, format="json")  # one KPI in twelve is enough here
    assert r.status_code == 200, r.json()
    body = admin.get(url).json()
    assert (body["as_of"], body["status"], body["newer_period"]) == ("2026-12-01", "green", None)

    client.force_login(world_a.admin)
    form = {
        "name": card.name,
        "frequency": "monthly",
        "green_at": 90,
        "amber_at": 70,
        "settled_at": 60,
        **{f"weight_{p}": 1 for p in PERSPECTIVES},
    }
    r = client.post(f"/o/alpha/scorecards/{card.pk}/edit/", form)
    assert r.status_code == 302, r.content.decode()[:3000]
    card.refresh_from_db()
    assert card.settled_at == pytest.approx(0.6)
    assert admin.get(url).json()["as_of"] == "2026-11-01"
