"""The forecasts through the selectors and the API: a cycle's, one key result's, the
calibration on closed cycles, tenancy and bad input."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from cycles.models import Cycle
from objectives import forecasts
from objectives import services as okr_services
from objectives.models import CheckIn, KeyResult, Objective
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective, set_status

NOW = datetime(2026, 11, 15, 10, tzinfo=UTC)
Q4 = date(2026, 10, 1)  # to 30 December: the end is 31 December at midnight, day 91


def _at(day: int) -> datetime:
    return datetime(2026, 10, 1, tzinfo=UTC) + timedelta(days=day)


def _check_in(kr, actor, *pairs, confidence=7):
    for day, value in pairs:
        okr_services.key_result_check_in(key_result=kr, actor=actor, value=value, confidence=confidence, at=_at(day))


@pytest.fixture
def okrs(world_a, pin_now):
    pin_now(NOW)
    cycle = make_cycle(world_a.org, start=Q4, days=91)
    climbing = make_objective(world_a.org, cycle, title="Climb")
    steady = make_kr(climbing, title="Signups", target=100, owner=world_a.member)
    idle = make_kr(climbing, title="Partners", target=100, owner=world_a.member)
    stuck = make_objective(world_a.org, cycle, title="Stuck", parent=climbing)
    flat = make_kr(stuck, title="Flat", target=100, owner=world_a.member)
    make_kr(stuck, title="Never", target=100, owner=world_a.member)
    for o in (climbing, stuck):
        set_status(o, "active")
    _check_in(steady, world_a.member, (7, 10), (14, 20), (21, 30))
    _check_in(flat, world_a.member, (7, 10), (14, 10), (21, 10))
    return cycle, climbing, stuck, steady, idle, flat


def test_key_result_forecast_api_explains_the_trend(world_a, api, okrs):
    _cycle, _climbing, _stuck, steady, _idle, _flat = okrs
    r = api(world_a.viewer).get(f"/api/v1/orgs/alpha/key-results/{steady.pk}/forecast/")
    assert r.status_code == 200
    body = r.json()
    # 10 a week from 8 October: 130 at the end of the 91st day, no noise, so no band.
    assert body["method"] == "trend"
    assert body["projected"] == pytest.approx(130.0)
    assert (body["low"], body["high"], body["probability"]) == (pytest.approx(130.0), pytest.approx(130.0), 1.0)
    assert body["since"] == "2026-10-08" and body["points"] == 3
    assert body["explanation"] == "At +10 a week since 8 Oct you reach 130 of 100; 90% band 130–130."
    assert body["calibration"]["enough"] is False


def test_cycle_forecast_rolls_objectives_up_and_lists_the_misses(world_a, api, okrs):
    cycle, climbing, stuck, steady, idle, flat = okrs
    body = api(world_a.member).get(f"/api/v1/orgs/alpha/forecast/?cycle={cycle.pk}").json()
    krs = {k["id"]: k for k in body["key_results"]}
    assert krs[idle.pk]["method"] == "none" and krs[idle.pk]["probability"] is None
    assert krs[flat.pk]["projected"] == pytest.approx(10.0)
    objectives = {o["id"]: o for o in body["objectives"]}
    # Stuck: 0.1 (flat) and 0 (no check-in): 0.05. Climb: 1.0 (steady), 0 (idle) and Stuck's 0.05.
    assert objectives[stuck.pk]["projected"] == pytest.approx(0.05)
    assert objectives[climbing.pk]["projected"] == pytest.approx((1.0 + 0 + 0.05) / 3)
    assert objectives[climbing.pk]["method"] == "rollup"
    assert body["predicted_to_miss"] == [stuck.pk, climbing.pk]  # the further miss first
    assert objectives[stuck.pk]["predicted_to_miss"] is True


def test_another_organisations_key_result_or_cycle_is_not_found(world_a, world_b, api, okrs):
    cycle, _c, _s, steady, _i, _f = okrs
    assert api(world_b.admin).get(f"/api/v1/orgs/beta/key-results/{steady.pk}/forecast/").status_code == 404
    assert api(world_b.admin).get(f"/api/v1/orgs/alpha/key-results/{steady.pk}/forecast/").status_code == 404
    r = api(world_b.admin).get(f"/api/v1/orgs/beta/forecast/?cycle={cycle.pk}")
    assert r.status_code == 400 and "cycle" in r.json()["errors"]
    assert api(world_a.admin).get("/api/v1/orgs/alpha/key-results/nope/forecast/").status_code == 404
    assert api(world_a.admin).get("/api/v1/orgs/alpha/forecast/?cycle=x").status_code == 400
    assert api(world_a.admin).get("/api/v1/orgs/alpha/forecast/").status_code == 400


def test_a_cycle_with_no_days_left_and_a_flat_target_answer_sensibly(world_a, api, pin_now):
    pin_now(NOW)
    cycle = make_cycle(world_a.org, start=date(2026, 11, 15), days=1, name="One day")
    objective = make_objective(world_a.org, cycle)
    kr = make_kr(objective, start=5, target=6, owner=world_a.member)
    KeyResult.objects.filter(pk=kr.pk).update(target_value=5)  # the service refuses it; older rows may hold it
    _ = make_kr(objective, start=0, target=10, owner=world_a.member)
    okr_services.key_result_check_in(key_result=kr, actor=world_a.member, value=5, confidence=5, at=NOW)
    okr_services.key_result_check_in(key_result=kr, actor=world_a.member, value=6, confidence=5, at=NOW)
    okr_services.key_result_check_in(key_result=kr, actor=world_a.member, value=7, confidence=5, at=NOW)
    r = api(world_a.admin).get(f"/api/v1/orgs/alpha/key-results/{kr.pk}/forecast/")
    assert r.status_code == 200 and r.json()["probability"] == 1.0
    assert api(world_a.admin).get(f"/api/v1/orgs/alpha/forecast/?cycle={cycle.pk}").status_code == 200


def test_a_backlog_draft_stands_where_it_is(world_a, api, pin_now):
    pin_now(NOW)
    cycle = make_cycle(world_a.org, start=Q4)
    objective = make_objective(world_a.org, cycle)
    kr = make_kr(objective, target=10, owner=world_a.member)
    Objective.objects.filter(pk=objective.pk).update(cycle=None)
    body = api(world_a.admin).get(f"/api/v1/orgs/alpha/key-results/{kr.pk}/forecast/").json()
    assert body["method"] == "none" and body["projected"] == 0.0


# --- calibration ----------------------------------------------------------------------------------


def closed_history(world, *, makers: int = 12, flat: int = 8) -> Cycle:
    """One closed quarter (1 January to 31 March, 90 days: mid-cycle is 15 February, two thirds
    2 March). ``makers`` key results climb 1 a day towards 90 (forecast at mid: 90, make it;
    8 of 12 graded 1.0, 4 graded 0.6), then plunge on day 50, which only a replay that looked
    past mid-cycle could see; ``flat`` stay at 10 (forecast: miss; 6 of 8 graded 0.2, 2 at 1.0)."""
    org = world.org
    cycle = make_cycle(org, name="Q1 2026", start=date(2026, 1, 1), days=90, status="closed")
    objective = Objective.objects.create(
        organization=org, cycle=cycle, title="History", owner_type="company", status="closed"
    )
    grades = [1.0] * 8 + [0.6] * 4
    grades = grades[:makers] + ([0.2] * 6 + [1.0] * 2)[:flat]
    krs = KeyResult.objects.bulk_create(
        [
            KeyResult(
                organization=org,
                objective=objective,
                title=f"KR {i}",
                owner=world.member,
                target_value=90,
                current_value=0,
                grade=g,
            )  # fmt: skip
            for i, g in enumerate(grades)
        ]
    )
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    for i, kr in enumerate(krs):
        values = [(10, 10), (20, 20), (30, 30), (50, -1000)] if i < makers else [(10, 10), (20, 10), (30, 10)]
        rows += [
            CheckIn(organization=org, key_result=kr, value=v, confidence=6, created_at=start + timedelta(days=d))
            for d, v in values
        ]
    CheckIn.objects.bulk_create(rows)
    return cycle


def test_calibration_of_a_small_hand_made_history(world_a, django_assert_num_queries):
    closed_history(world_a)
    with django_assert_num_queries(3):
        report = forecasts.build_calibration(org=world_a.org)
    mid, two_thirds = report.checkpoints
    assert (report.cycles, report.key_results, report.enough) == (1, 20, True)
    assert (mid.predicted_miss, mid.missed, mid.predicted_make, mid.made) == (8, 6, 12, 8)
    flat = 10 / 90
    assert mid.mean_absolute_error == pytest.approx((4 * 0.4 + 6 * abs(flat - 0.2) + 2 * (1 - flat)) / 20)
    # At two thirds the plunge of day 50 is known: every climber is now predicted to miss.
    assert (two_thirds.predicted_miss, two_thirds.missed, two_thirds.predicted_make) == (20, 10, 0)


def test_replay_never_looks_ahead(world_a):
    """Moving every check-in after mid-cycle anywhere else changes nothing at mid-cycle."""
    closed_history(world_a)
    before = forecasts.build_calibration(org=world_a.org).checkpoints[0]
    CheckIn.objects.filter(organization=world_a.org, value=-1000).update(value=10**6)
    CheckIn.objects.filter(organization=world_a.org, created_at__gte=datetime(2026, 2, 16, tzinfo=UTC)).delete()
    rows, points = forecasts._replay_rows(org=world_a.org)
    assert forecasts.build_calibration(org=world_a.org).checkpoints[0] == before
    # And the replay is handed nothing later than its day.
    late = datetime(2026, 2, 16, tzinfo=UTC)
    CheckIn.objects.create(
        organization=world_a.org, key_result_id=rows[0][0], value=10**9, confidence=1, created_at=late
    )
    assert forecasts.build_calibration(org=world_a.org).checkpoints[0] == before


def test_calibration_sentences_and_not_enough_history(world_a, api, pin_now):
    pin_now(NOW)
    cycle = closed_history(world_a)
    body = api(world_a.viewer).get(f"/api/v1/orgs/alpha/forecast/?cycle={cycle.pk}").json()["calibration"]
    assert body["enough"] is True and body["checkpoints"][0]["miss_hit_rate"] == pytest.approx(0.75)
    assert body["summary"][0] == "Of 8 key results predicted at mid-cycle to miss in 1 closed cycle, 6 did (75%)."
    KeyResult.objects.filter(organization=world_a.org).order_by("id").first().delete()
    from django.core.cache import caches

    caches["documents"].clear()
    body = api(world_a.viewer).get(f"/api/v1/orgs/alpha/forecast/?cycle={cycle.pk}").json()["calibration"]
    assert body["enough"] is False and body["checkpoints"][0]["miss_hit_rate"] is None
    assert body["summary"] == [
        "Not enough history yet to say how often the forecast is right: 19 closed key results, 20 needed."
    ]


def test_cycle_forecast_costs_two_queries_whatever_the_size(world_a, okrs, django_assert_num_queries):
    cycle = okrs[0]
    with django_assert_num_queries(2):  # a third for the contributions, when the cycle has any
        doc = forecasts.build_cycle_forecast(org=world_a.org, cycle=cycle)
    assert len(doc.key_results) == 4 and len(doc.objectives) == 2


def test_calibration_is_kept_until_a_closed_cycle_changes(world_a, okrs, django_assert_num_queries):
    from django.test import override_settings

    from tests.scorecards.conftest import CACHED

    closed_history(world_a)
    _cycle, _c, _s, steady, _i, _f = okrs
    with override_settings(CACHES=CACHED):
        forecasts.calibration(org=world_a.org)
        okr_services.key_result_check_in(key_result=steady, actor=world_a.member, value=40, confidence=7, at=_at(28))
        with django_assert_num_queries(1):  # the fingerprint of the closed cycles: unchanged, no replay
            before = forecasts.calibration(org=world_a.org)
        KeyResult.objects.filter(organization=world_a.org, grade=0.2).update(grade=1.0)  # regraded
        with django_assert_num_queries(4):
            after = forecasts.calibration(org=world_a.org)
    assert before.checkpoints[0].missed == 6 and after.checkpoints[0].missed == 0
