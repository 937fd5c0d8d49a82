"""The cascade keeps its figures for everyone and shows what a reader may not see as neutral
rows (DESIGN §3, Visibility)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from orgs.models import Organization
from tests.scorecards.restricted_world import MARKERS, build

pytestmark = pytest.mark.django_db


@pytest.fixture
def rw(world_a):
    return build(world_a)


def _api(client, world, user, cycle):
    client.force_login(user)
    r = client.get(f"/api/v1/orgs/{world.org.slug}/cascade/?cycle={cycle.pk}")
    assert r.status_code == 200
    return r.json()


def test_the_company_progress_is_the_same_for_the_admin_and_a_member_who_sees_less(client, world_a, rw):
    admin = _api(client, world_a, world_a.admin, rw.cycle)
    member = _api(client, world_a, world_a.member, rw.cycle)
    # Company objectives: "Grow revenue" 0.4 (open) and the private root 0.8: (0.4 + 0.8) / 2.
    assert admin["progress"] == pytest.approx(0.6)
    assert member["progress"] == pytest.approx(0.6)
    assert [n["title"] for n in member["objectives"]] == ["Grow revenue"]
    assert member["restricted"] == {"count": 1, "progress": pytest.approx(0.8), "label": "1 restricted objective, 80%"}
    grow = member["objectives"][0]
    assert grow["progress"] == admin["objectives"][0]["progress"]
    assert [c["title"] for c in grow["children"]] == ["Open child"]
    # The private child (0.5, weight 3) and Finance's (0.2, weight 1): (1.5 + 0.2) / 4.
    assert grow["restricted"]["count"] == 2
    assert grow["restricted"]["progress"] == pytest.approx(0.425)
    assert grow["restricted"]["label"] == "2 restricted objectives, 43%"
    assert admin["restricted"] is None
    # Team progress is the same numbers for both.
    assert member["teams"] == admin["teams"]


def test_the_dashboard_figures_are_the_same_for_both(client, world_a, rw):
    def dashboard(user):
        client.force_login(user)
        r = client.get(f"/api/v1/orgs/{world_a.org.slug}/dashboard/?cycle={rw.cycle.pk}")
        assert r.status_code == 200
        return r.json()

    admin, member = dashboard(world_a.admin), dashboard(world_a.member)
    assert admin["company_progress"] == member["company_progress"] == pytest.approx(0.6)
    for figure in ("objective_count", "health", "teams", "kpi_totals", "kpis", "series"):
        assert member[figure] == admin[figure], figure


def test_the_page_shows_the_same_company_progress_and_a_neutral_row(client, world_a, rw):
    url = reverse("scorecards:cascade", args=[world_a.org.slug]) + f"?cycle={rw.cycle.pk}"
    client.force_login(world_a.member)
    member = client.get(url).content.decode()
    client.force_login(world_a.admin)
    admin = client.get(url).content.decode()
    assert "60%" in member and "60%" in admin
    assert "2 restricted objectives, 43%" in member
    assert MARKERS["private_title"] not in member and MARKERS["private_title"] in admin


def test_count_only_leaves_the_progress_out(client, world_a, rw):
    Organization.objects.filter(pk=world_a.org.pk).update(restricted_display="count")
    member = _api(client, world_a, world_a.member, rw.cycle)
    assert member["restricted"] == {"count": 1, "progress": None, "label": "1 restricted objective"}
    assert member["objectives"][0]["restricted"]["label"] == "2 restricted objectives"
