"""One health rule: the objective API, the cascade API, the dashboard page, the objective page
and the alignment page say the same health for the same objective — aspirational objectives
measured against their 0.7 bar, the organisation's thresholds, and each objective's own pace
from the day it was activated."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from objectives import services
from objectives.models import Objective
from orgs.models import Organization
from tests.objectives.okr_factories import make_cycle, make_kr

pytestmark = pytest.mark.django_db

# Day 45 of a 90-day cycle: half of it is expected.
CYCLE_START = datetime(2026, 10, 1, tzinfo=UTC)
DAY_45 = datetime(2026, 11, 15, 10, tzinfo=UTC)


def _objective(world, cycle, *, title: str, commitment: str, activated: datetime, progress: float) -> Objective:
    objective = services.objective_create(
        org=world.org, actor=world.admin, cycle=cycle, title=title, owner_type="company", commitment=commitment
    )
    krs = [make_kr(objective, title=f"{title} {i}", owner=world.member, target=100) for i in range(2)]
    services.objective_set_status(objective=objective, actor=world.admin, status="active", at=activated)
    for kr in krs:
        services.key_result_check_in(key_result=kr, actor=world.member, value=progress * 100, confidence=8)
    objective.refresh_from_db()
    assert objective.progress == pytest.approx(progress)
    return objective


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _cascade_health(doc: dict) -> dict[int, str | None]:
    found: dict[int, str | None] = {}

    def walk(nodes: list[dict]) -> None:
        for node in nodes:
            found[node["id"]] = node["health"]
            walk(node["children"])

    walk(doc["objectives"])
    return found


def _everywhere(world, client, cycle, objective: Objective) -> dict[str, str | None]:
    """The objective's health as each page and API says it."""
    api = _api(world.viewer)
    client.force_login(world.viewer)
    org: Organization = world.org
    in_api = api.get(f"/api/v1/orgs/{org.slug}/objectives/{objective.pk}/").json()["health"]
    cascade = api.get(f"/api/v1/orgs/{org.slug}/cascade/?cycle={cycle.pk}")
    assert cascade.status_code == 200, cascade.content
    dashboard_api = api.get(f"/api/v1/orgs/{org.slug}/dashboard/?cycle={cycle.pk}").json()
    page = client.get(f"/o/{org.slug}/?cycle={cycle.pk}")
    # The dashboard lists what is at risk or off track; an active objective not listed is on track.
    listed = {o["id"]: o["health"] for o in page.context["doc"]["needs_attention"]["objectives"]}
    api_listed = {o["id"]: o["health"] for o in dashboard_api["needs_attention"]["objectives"]}
    detail = client.get(f"/o/{org.slug}/okrs/{objective.pk}/").content.decode()
    head = detail.split('class="objective-head"', 1)[1].split('class="big-progress"', 1)[0]
    badge = re.search(r"badge health health-(\w+)", head)
    alignment = client.get(f"/o/{org.slug}/okrs/{objective.pk}/alignment/")
    return {
        "objective API": in_api,
        "cascade API": _cascade_health(cascade.json())[objective.pk],
        "dashboard page": listed.get(objective.pk, "on_track"),
        "dashboard API": api_listed.get(objective.pk, "on_track"),
        "objective page": badge.group(1) if badge else None,
        "alignment page": alignment.context["focus"]["health"],
    }


def _agree(world, client, cycle, objective: Objective, expected: str) -> None:
    said = _everywhere(world, client, cycle, objective)
    assert said == dict.fromkeys(said, expected), said


@pytest.fixture
def quarter(world_a, pin_now):
    pin_now(DAY_45)
    cycle = make_cycle(world_a.org, start=CYCLE_START.date(), days=91)  # 1 Oct – 30 Dec: 90 days
    assert world_a.org.today() - cycle.start_date == timedelta(days=45)
    return cycle


def test_an_aspirational_objective_at_35_percent_on_day_45_is_on_track_everywhere(world_a, client, quarter):
    aspirational = _objective(
        world_a, quarter, title="Stretch", commitment="aspirational", activated=CYCLE_START, progress=0.35
    )
    committed = _objective(
        world_a, quarter, title="Promise", commitment="committed", activated=CYCLE_START, progress=0.35
    )
    # Aspirational: on track at 0.7 of the pace (0.35 of 0.5 expected); committed: 0.35 < 0.8 × 0.5.
    _agree(world_a, client, quarter, aspirational, "on_track")
    _agree(world_a, client, quarter, committed, "at_risk")


def test_the_organisations_thresholds_change_every_page(world_a, client, quarter):
    aspirational = _objective(
        world_a, quarter, title="Stretch", commitment="aspirational", activated=CYCLE_START, progress=0.35
    )
    committed = _objective(
        world_a, quarter, title="Promise", commitment="committed", activated=CYCLE_START, progress=0.35
    )
    client.force_login(world_a.admin)
    r = client.post(
        f"/o/{world_a.org.slug}/settings/",
        {
            "name": world_a.org.name,
            "timezone": world_a.org.timezone,
            "language": world_a.org.language,
            "fiscal_year_start_month": 1,
            "children_contribute": "on",
            "reminder_hour": 9,
            "reminder_grace_days": 3,
            "health_off_track_ratio": "0.8",
            "health_at_risk_ratio": "0.9",
            "health_off_track_confidence": 3,
            "health_at_risk_confidence": 8,
        },
    )
    assert r.status_code == 302, r.context["form"].errors
    world_a.org.refresh_from_db()
    assert (world_a.org.health_off_track_ratio, world_a.org.health_at_risk_confidence) == (0.8, 8)
    # Committed: 0.35 < 0.8 × 0.5 is now off track; aspirational: confidence 8 is now at risk.
    _agree(world_a, client, quarter, committed, "off_track")
    _agree(world_a, client, quarter, aspirational, "at_risk")


def test_thresholds_out_of_order_are_refused_on_the_settings_page(world_a, client):
    client.force_login(world_a.admin)
    r = client.post(
        f"/o/{world_a.org.slug}/settings/",
        {
            "name": world_a.org.name,
            "timezone": "UTC",
            "language": "en",
            "fiscal_year_start_month": 1,
            "reminder_hour": 9,
            "reminder_grace_days": 3,
            "health_off_track_ratio": "0.9",
            "health_at_risk_ratio": "0.5",
        },
    )
    assert r.status_code == 200
    assert "health_off_track_ratio" in r.context["form"].errors
    world_a.org.refresh_from_db()
    assert (world_a.org.health_off_track_ratio, world_a.org.health_at_risk_ratio) == (0.5, 0.8)


def test_an_objective_activated_late_is_paced_from_its_activation(world_a, client, pin_now):
    """Activated on 7 December with 74 % of the quarter gone, at 0 %: on track by its own pace,
    not off track at once; a week later a week of the remaining pace is expected of it."""
    cycle = make_cycle(world_a.org, start=CYCLE_START.date(), days=91)
    activated = pin_now(datetime(2026, 12, 7, 9, tzinfo=UTC))
    late = _objective(world_a, cycle, title="Late starter", commitment="committed", activated=activated, progress=0.0)
    _agree(world_a, client, cycle, late, "on_track")
    detail = client.get(f"/o/{world_a.org.slug}/okrs/{late.pk}/").content.decode()
    assert "expected by now: 0%" in detail  # its own pace, not the cycle's 74 %

    pin_now(datetime(2026, 12, 14, 9, tzinfo=UTC))  # 7 of its 23 days: 30 % expected, 0 % done
    _agree(world_a, client, cycle, late, "off_track")
    # One active since the cycle began keeps the cycle's pace: 0.5 < 0.8 × 74/90.
    early = _objective(world_a, cycle, title="Early", commitment="committed", activated=CYCLE_START, progress=0.5)
    _agree(world_a, client, cycle, early, "at_risk")


def test_the_first_activation_counts_when_an_objective_goes_back_to_draft(world_a, pin_now):
    cycle = make_cycle(world_a.org, start=CYCLE_START.date(), days=91)
    pin_now(DAY_45)
    objective = _objective(world_a, cycle, title="Toggled", commitment="committed", activated=CYCLE_START, progress=0)
    services.objective_set_status(objective=objective, actor=world_a.admin, status="draft")
    services.objective_set_status(objective=objective, actor=world_a.admin, status="active")
    objective.refresh_from_db()
    assert objective.activated_at == CYCLE_START  # the pace cannot be restarted to look on track
    assert objective.health() == "off_track"


@pytest.mark.django_db(transaction=True)
def test_new_thresholds_reach_the_cached_cascade(world_a, client, quarter, documents_cache):
    committed = _objective(
        world_a, quarter, title="Promise", commitment="committed", activated=CYCLE_START, progress=0.35
    )
    api = _api(world_a.viewer)
    cascade = f"/api/v1/orgs/{world_a.org.slug}/cascade/?cycle={quarter.pk}"
    assert _cascade_health(api.get(cascade).json())[committed.pk] == "at_risk"
    client.force_login(world_a.admin)
    r = client.post(
        f"/o/{world_a.org.slug}/settings/",
        {
            "name": world_a.org.name,
            "timezone": "UTC",
            "language": "en",
            "fiscal_year_start_month": 1,
            "reminder_hour": 9,
            "reminder_grace_days": 3,
            "health_off_track_ratio": "0.8",
            "health_at_risk_ratio": "0.9",
        },
    )
    assert r.status_code == 302
    assert _cascade_health(api.get(cascade).json())[committed.pk] == "off_track"
