"""``seed_demo``: the company scorecard of the demo organisations, idempotence and ``--reset``."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from activity.models import ActivityEntry
from kpis.models import Kpi, Measurement
from objectives.models import CheckIn, KeyResult, Objective
from orgs.models import Organization, User
from scorecards.models import Scorecard, ScorecardItem, StrategyLink
from scorecards.selectors import company_scorecard_summary

pytestmark = pytest.mark.django_db

DEMO = ("northwind", "saomai")


def _seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def _counts() -> tuple[int, ...]:
    models = (Organization, User, Objective, KeyResult, CheckIn, Kpi, Measurement, Scorecard, ScorecardItem)
    return (*(m.objects.count() for m in models), StrategyLink.objects.count())


def test_seed_demo_runs_twice_then_resets(client):
    _seed()
    first = _counts()
    for slug in DEMO:
        org = Organization.objects.get(slug=slug)
        view = company_scorecard_summary(org=org)
        assert view is not None
        # Every perspective holds KPIs and has a score with a colour, the weights put money first.
        assert all(p.items and p.score is not None and p.status for p in view.perspectives)
        assert {p.perspective: p.weight for p in view.perspectives} == {
            "financial": 35,
            "customer": 30,
            "internal_process": 20,
            "learning_growth": 15,
        }
        assert all(i.value is not None for i in view.items)  # no "no data yet" on the demo's card
        assert sum(1 for v in view.trend if v is not None) >= 6  # the sparkline has a history
        assert StrategyLink.objects.filter(organization=org).count() == 6
        assert Objective.objects.filter(organization=org, owner_type="company").exclude(perspective="").count() == 2

    assert "already there" in _seed()
    assert _counts() == first

    out = _seed("--reset")
    assert "created northwind, saomai" in out
    assert _counts() == first
    assert not ActivityEntry.objects.exclude(organization__in=Organization.objects.all()).exists()


def test_the_demo_dashboard_shows_the_company_scorecard_and_the_map_its_links(client):
    _seed()
    client.force_login(User.objects.get(email="ceo@demo.okrkpi.test"))
    html = client.get("/o/northwind/").content.decode()
    panel = html.split('id="company-scorecard"', 1)[1].split("</section>", 1)[0]
    assert "Company scorecard" in panel and "no data yet" not in panel
    card = Scorecard.objects.get(organization__slug="northwind")
    svg = client.get(f"/o/northwind/scorecards/{card.pk}/map/").content.decode()
    assert svg.count('class="map-link"') == 6
