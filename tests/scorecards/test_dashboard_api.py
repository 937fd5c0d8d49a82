"""GET /api/v1/orgs/<slug>/dashboard/ and the cascade's ``as_of``."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kpis import periods
from kpis import services as kpi_services
from tests.objectives.okr_factories import make_cycle
from tests.scorecards.board import build_board, build_bulk, company_card_of_every_kpi
from tests.scorecards.sc_factories import company_card, four_kpis

pytestmark = pytest.mark.django_db


def test_dashboard_document_carries_the_company_scorecard(world_a, api):
    today = world_a.org.today()
    make_cycle(world_a.org, start=today - timedelta(days=30), days=90)
    assert api(world_a.viewer).get("/api/v1/orgs/alpha/dashboard/").json()["company_scorecard"] is None
    kpis = four_kpis(world_a.org)
    card = company_card(world_a.org)
    month = periods.shift(periods.period_start(today, frequency="monthly"), frequency="monthly", periods=-1)
    for kpi, share in zip(kpis, (1.0, 0.5, 0.8, 1.2), strict=True):
        kpi_services.measurement_record(kpi=kpi, actor=None, period=month, value=kpi.target * share, today=today)
    doc = api(world_a.viewer).get("/api/v1/orgs/alpha/dashboard/").json()["company_scorecard"]
    assert (doc["id"], doc["name"], doc["as_of"]) == (card.pk, card.name, month.isoformat())
    rows = {p["perspective"]: (p["weight"], p["score"], p["status"]) for p in doc["perspectives"]}
    assert rows == {  # achievement = value / target; green from 90 %, amber from 70 %
        "financial": (1.0, pytest.approx(1.0), "green"),
        "customer": (1.0, pytest.approx(0.5), "red"),
        "internal_process": (1.0, pytest.approx(0.8), "amber"),
        "learning_growth": (1.0, pytest.approx(1.2), "green"),
    }
    assert doc["score"] == pytest.approx((1.0 + 0.5 + 0.8 + 1.2) / 4) and doc["status"] == "amber"


def test_dashboard_document(world_a, api):
    board = build_board(world_a)
    r = api(world_a.viewer).get("/api/v1/orgs/alpha/dashboard/")
    assert r.status_code == 200
    doc = r.json()
    assert doc["cycle"] == {
        "id": board.cycle.pk,
        "name": board.cycle.name,
        "start_date": board.cycle.start_date.isoformat(),
        "end_date": board.cycle.end_date.isoformat(),
        "status": "active",
    }
    assert doc["closed"] is None  # an active cycle has no results yet
    assert doc["as_of"] is None and doc["day"] == board.today.isoformat()
    assert doc["since"] == (board.today - timedelta(days=7)).isoformat()
    assert doc["company_progress"] == pytest.approx(0.55) and doc["expected"] == pytest.approx(0.5)
    assert doc["health"] == {"on_track": 1, "at_risk": 1, "off_track": 1}
    assert doc["series"][-1] == {"date": board.today.isoformat(), "progress": pytest.approx(0.55), "expected": 0.5}
    growth = next(t for t in doc["teams"] if t["name"] == "Growth")
    assert growth == {
        "id": world_a.sub_team.pk,
        "name": "Growth",
        "parent": world_a.team.pk,
        "depth": 1,
        "progress": 0.0,
        "subtree_progress": 0.0,
        "objectives": 1,
        "on_track": 0,
        "at_risk": 0,
        "off_track": 1,
    }
    assert doc["movers"]["up"][0] == {
        "type": "key_result",
        "id": board.kr1.pk,
        "title": "Revenue",
        "objective": board.company.pk,
        "before": pytest.approx(0.1),
        "after": pytest.approx(0.6),
        "change": pytest.approx(0.5),
    }
    n = doc["needs_attention"]
    assert n["objectives_count"] == 2 and n["stale_key_results_count"] == 2
    assert n["red_kpis"][0]["name"] == "Net margin" and n["overdue_measurements"][0]["frequency"] == "weekly"
    assert {p["perspective"] for p in doc["kpis"]} == {"financial", "customer", "internal_process", "learning_growth"}
    assert "key_results_by_owner" not in doc  # the page's per-user figure stays out of the API


def test_dashboard_as_of_and_since(world_a, api):
    board = build_board(world_a)
    week_ago = board.today - timedelta(days=7)
    since = week_ago - timedelta(days=23)
    url = f"/api/v1/orgs/alpha/dashboard/?cycle={board.cycle.pk}&as_of={week_ago}&since={since}"
    doc = api(world_a.admin).get(url).json()
    assert doc["as_of"] == week_ago.isoformat() and doc["company_progress"] == pytest.approx(0.2)
    assert [(m["id"], round(m["change"], 6)) for m in doc["movers"]["up"] if m["type"] == "objective"] == [
        (board.company.pk, 0.15)
    ]
    assert api(world_a.admin).get(f"/api/v1/orgs/alpha/dashboard/?as_of={board.today}").json()["as_of"] is None


def test_dashboard_before_the_first_snapshot_is_an_empty_document(world_a, api):
    board = build_board(world_a)
    r = api(world_a.admin).get(f"/api/v1/orgs/alpha/dashboard/?as_of={board.today - timedelta(days=60)}")
    assert r.status_code == 200
    assert r.json()["before_first_snapshot"] is True and r.json()["objective_count"] == 0


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("as_of=2999-01-01", "as_of"),
        ("as_of=not-a-date", "as_of"),
        ("since=2999-01-01", "since"),
        ("cycle=abc", "cycle"),
        ("cycle=0", "cycle"),
        ("cycle=999999", "cycle"),
    ],
)
def test_dashboard_bad_input_is_a_400_naming_the_field(world_a, api, query, field):
    build_board(world_a)
    r = api(world_a.admin).get(f"/api/v1/orgs/alpha/dashboard/?{query}")
    assert r.status_code == 400
    assert field in r.json()["errors"] and r.json()["message"]


def test_dashboard_of_another_organisation_or_its_cycle(world_a, world_b, api, outsider):
    other = make_cycle(world_b.org)
    build_board(world_a)
    assert api(world_a.admin).get(f"/api/v1/orgs/alpha/dashboard/?cycle={other.pk}").status_code == 400
    assert api(world_a.admin).get("/api/v1/orgs/beta/dashboard/").status_code == 404
    assert api(outsider).get("/api/v1/orgs/alpha/dashboard/").status_code == 404


def test_dashboard_without_a_cycle_is_a_404_that_says_so(world_a, api):
    r = api(world_a.admin).get("/api/v1/orgs/alpha/dashboard/")
    assert r.status_code == 404 and "no cycle" in r.json()["message"]


def test_dashboard_and_cascade_are_in_the_schema(world_a, api):
    schema = api(world_a.admin).get("/api/v1/schema/?format=json").json()
    dashboard = schema["paths"]["/api/v1/orgs/{slug}/dashboard/"]["get"]
    assert {p["name"] for p in dashboard["parameters"]} >= {"cycle", "as_of", "since"}
    ref = dashboard["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    props = schema["components"]["schemas"][ref]["properties"]
    assert set(props) >= {"company_progress", "expected", "series", "teams", "movers", "needs_attention", "kpis"}
    assert props["company_progress"]["type"] == "number"
    cascade = schema["paths"]["/api/v1/orgs/{slug}/cascade/"]["get"]
    assert "as_of" in {p["name"] for p in cascade["parameters"]}


# --- the cascade as of a day ----------------------------------------------------------------------


def test_cascade_as_of_reads_objective_and_team_snapshots_and_check_ins(world_a, api):
    board = build_board(world_a)
    week_ago = board.today - timedelta(days=7)
    from objectives.models import TeamSnapshot

    TeamSnapshot.objects.create(
        organization=world_a.org, team=world_a.sub_team, cycle=board.cycle, date=week_ago, progress=0.4
    )
    doc = api(world_a.admin).get(f"/api/v1/orgs/alpha/cascade/?cycle={board.cycle.pk}&as_of={week_ago}").json()
    assert doc["as_of"] == week_ago.isoformat() and doc["progress"] == pytest.approx(0.2)
    company = next(o for o in doc["objectives"] if o["id"] == board.company.pk)
    assert [k["progress"] for k in company["key_results"]] == pytest.approx([0.1, 0.5])  # check-ins of 20 days ago
    assert board.person.pk not in [o["id"] for o in doc["objectives"]]  # no snapshot that day
    growth = doc["teams"][1]["children"][0]
    assert (growth["name"], growth["progress"]) == ("Growth", 0.4)
    live = api(world_a.admin).get(f"/api/v1/orgs/alpha/cascade/?cycle={board.cycle.pk}").json()
    assert live["progress"] == pytest.approx(0.55) and live["as_of"] is None


def test_cascade_as_of_before_any_snapshot_is_empty_and_future_is_400(world_a, api):
    board = build_board(world_a)
    client = api(world_a.admin)
    early = client.get(f"/api/v1/orgs/alpha/cascade/?cycle={board.cycle.pk}&as_of={board.today - timedelta(days=90)}")
    assert early.status_code == 200 and early.json()["before_first_snapshot"] is True
    assert early.json()["objectives"] == []
    late = client.get(f"/api/v1/orgs/alpha/cascade/?cycle={board.cycle.pk}&as_of=2999-01-01")
    assert late.status_code == 400 and "as_of" in late.json()["errors"]


def test_cascade_page_as_of(world_a, client):
    board = build_board(world_a)
    client.force_login(world_a.admin)
    week_ago = board.today - timedelta(days=7)
    html = client.get(f"/o/alpha/okrs/cascade/?cycle={board.cycle.pk}&as_of={week_ago}").content.decode()
    assert "As of" in html and "20%" in html and "Master automation" not in html
    early = client.get(f"/o/alpha/okrs/cascade/?as_of={board.today - timedelta(days=90)}")
    assert early.status_code == 200 and 'id="no-snapshot"' in early.content.decode()
    assert f"/o/alpha/okrs/{board.company.pk}/alignment/" in client.get("/o/alpha/okrs/cascade/").content.decode()


# --- speed ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["dashboard/?", "cascade/?cycle={cycle}&"])
@pytest.mark.parametrize("as_of", [False, True])
def test_api_query_count_is_at_most_10_from_20_to_2000_objectives(
    world_a, api, django_assert_max_num_queries, path, as_of
):
    """Computed (the test settings cache no document): the token with its user, the memberships,
    the cycle(s) and the document (the dashboard's with the company scorecard's two)."""
    client = api(world_a.admin)
    counts = []
    for objectives, kpis in ((20, 10), (1980, 290)):
        cycle = build_bulk(world_a, objectives=objectives, kpis=kpis)
        company_card_of_every_kpi(world_a)  # 10, then 300 KPIs on the company scorecard
        url = "/api/v1/orgs/alpha/" + path.format(cycle=cycle.pk)
        if as_of:
            url += f"as_of={world_a.org.today() - timedelta(days=5)}"
        with django_assert_max_num_queries(10) as ctx:
            r = client.get(url)
        assert r.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_cascade_page_uses_at_most_10_queries_from_20_to_2000_objectives(
    world_a, client, django_assert_max_num_queries
):
    """Built afresh (the test settings cache no document): the session, the user with their
    memberships and unread count, the cycles, the objectives, their key results and the teams."""
    client.force_login(world_a.admin)
    client.get("/o/alpha/")
    counts = []
    for objectives in (20, 1980):
        cycle = build_bulk(world_a, objectives=objectives, kpis=0)
        for url in (
            f"/o/alpha/okrs/cascade/?cycle={cycle.pk}",
            f"/o/alpha/okrs/cascade/?as_of={world_a.org.today() - timedelta(days=5)}",
        ):
            with django_assert_max_num_queries(10) as ctx:
                r = client.get(url)
            assert r.status_code == 200 and f"Objective {objectives - 1}" in r.content.decode()
            counts.append(len(ctx.captured_queries))
    assert counts[:2] == counts[2:]
