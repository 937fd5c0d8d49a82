"""The forecasts where people read them: the key results' chart and lines on the objective
page, "on course for" on My check-ins, the dashboard's "predicted to miss", the cascade
document and the managers' Monday e-mail."""

from __future__ import annotations

import json
import re

import pytest

from objectives.models import KeyResult, Objective
from tests.objectives.test_forecasts import NOW, closed_history, okrs  # noqa: F401  (a fixture)
from tests.scorecards.board import build_bulk


def _chart(html: str) -> list[dict]:
    return json.loads(re.search(r'<script id="kr-chart-data" type="application/json">(.*?)</script>', html, re.S)[1])


def test_objective_page_draws_a_dashed_projection_with_its_band(world_a, client, okrs):  # noqa: F811
    _cycle, climbing, _stuck, steady, _idle, _flat = okrs
    client.force_login(world_a.viewer)
    html = client.get(f"/o/alpha/okrs/{climbing.pk}/").content.decode()
    assert "At +10 a week since 8 Oct you reach 130 of 100" in html
    assert "No check-in yet, so no forecast: it stands at 0." in html  # the idle key result
    series = _chart(html)
    projection = [s for s in series if s.get("style") == "projection"]
    assert projection == [
        {
            "label": "Signups: forecast",
            "of": 0,
            "style": "projection",
            "points": [["2026-10-22", 30.0], ["2026-12-30", 100.0]],
        }
    ]
    assert {s["style"] for s in series if s.get("of") == 0} == {"projection", "band_low", "band_high"}
    assert "How often the forecast was right" in html and "Not enough history yet" in html


def test_a_closed_cycle_has_no_projection(world_a, client, okrs):  # noqa: F811
    cycle, climbing, *_ = okrs
    cycle.status = "closed"
    cycle.save(update_fields=["status"])
    client.force_login(world_a.viewer)
    html = client.get(f"/o/alpha/okrs/{climbing.pk}/").content.decode()
    assert not any(s.get("style") for s in _chart(html)) and "forecast-line" not in html


def test_my_check_ins_says_where_each_key_result_is_headed(world_a, client, okrs):  # noqa: F811
    client.force_login(world_a.member)
    html = client.get("/o/alpha/check-ins/").content.decode()
    assert "on course for 100%" in html  # Signups: 130 of 100
    assert "on course for 10%" in html  # Flat: 10 of 100
    # Partners has no check-in: no forecast row, rather than a made-up one.
    idle = okrs[4]
    partners = html.split(f'id="ci-{idle.pk}"', 1)[1].split('class="ci-card', 1)[0]
    assert "on course for" not in partners


def test_vietnamese_reader_gets_the_forecast_in_vietnamese(world_a, client, okrs):  # noqa: F811
    _cycle, climbing, *_ = okrs
    world_a.viewer.language = "vi"
    world_a.viewer.save(update_fields=["language"])
    client.force_login(world_a.viewer)
    html = client.get(f"/o/alpha/okrs/{climbing.pk}/").content.decode()
    assert "Với +10 mỗi tuần kể từ 8/10, bạn sẽ đạt 130 trên 100" in html


def test_dashboard_lists_the_objectives_predicted_to_miss(world_a, client, okrs):  # noqa: F811
    cycle, climbing, stuck, *_ = okrs
    Objective.objects.filter(pk=climbing.pk).update(commitment="aspirational")
    client.force_login(world_a.viewer)
    page = client.get("/o/alpha/").content.decode()
    assert 'id="predicted-to-miss"' in page and f"forecast/predicted-to-miss/?cycle={cycle.pk}" in page
    html = client.get(f"/o/alpha/forecast/predicted-to-miss/?cycle={cycle.pk}").content.decode()
    items = re.findall(r'<li class="miss-row"><a href="/o/alpha/okrs/(\d+)/">', html)
    assert items == [str(stuck.pk), str(climbing.pk)]  # Stuck (5 %) misses further than Climb (35 % of 0.7)
    assert "on course for 5%" in html and "Aspirational" in html
    assert "Not enough history yet" in html


def test_predicted_to_miss_panel_reads_another_organisations_cycle_as_404(world_a, world_b, client, okrs):  # noqa: F811
    cycle = okrs[0]
    client.force_login(world_b.admin)
    assert client.get(f"/o/beta/forecast/predicted-to-miss/?cycle={cycle.pk}").status_code == 404
    assert client.get("/o/beta/forecast/predicted-to-miss/?cycle=nope").status_code == 404


def test_calibration_shows_beside_the_list_once_there_is_history(world_a, client, okrs):  # noqa: F811
    closed_history(world_a)
    client.force_login(world_a.viewer)
    html = client.get(f"/o/alpha/forecast/predicted-to-miss/?cycle={okrs[0].pk}").content.decode()
    assert "Of 8 key results predicted at mid-cycle to miss in 1 closed cycle, 6 did (75%)." in html


def test_predicted_to_miss_panel_costs_the_same_queries_for_20_and_2000_objectives(
    world_a, client, pin_now, django_assert_max_num_queries
):
    from datetime import UTC, datetime

    pin_now(datetime(2026, 11, 15, 10, tzinfo=UTC))
    client.force_login(world_a.admin)
    client.get("/o/alpha/")
    counts = []
    for n in (20, 1980):
        cycle = build_bulk(world_a, objectives=n, kpis=1)
        with django_assert_max_num_queries(10) as ctx:
            r = client.get(f"/o/alpha/forecast/predicted-to-miss/?cycle={cycle.pk}")
        assert r.status_code == 200 and "miss-row" in r.content.decode()
        counts.append(len(ctx.captured_queries))
    assert Objective.objects.filter(organization=world_a.org).count() == 2000
    assert counts[0] == counts[1]


def test_cascade_nodes_carry_their_forecast(world_a, api, okrs):  # noqa: F811
    cycle, climbing, stuck, *_ = okrs
    doc = api(world_a.viewer).get(f"/api/v1/orgs/alpha/cascade/?cycle={cycle.pk}").json()
    root = doc["objectives"][0]
    assert root["id"] == climbing.pk and root["forecast"]["method"] == "rollup"
    assert root["forecast"]["projected"] == pytest.approx(1.05 / 3)
    assert root["children"][0]["forecast"]["projected"] == pytest.approx(0.05)
    assert set(root["forecast"]) == {"projected", "low", "high", "probability", "method"}


def test_the_managers_monday_email_carries_the_list(world_a, okrs, django_capture_on_commit_callbacks):  # noqa: F811
    from datetime import UTC, datetime

    from django.core import mail

    from reminders.digests import send_digests

    _cycle, _climbing, stuck, *_ = okrs
    KeyResult.objects.filter(objective=stuck).update(owner=world_a.member)
    with django_capture_on_commit_callbacks(execute=True):
        send_digests(org=world_a.org, now=datetime(2026, 11, 16, 10, tzinfo=UTC))  # a Monday
    team = [m for m in mail.outbox if m.to == [world_a.admin.email] and "teams' week" in m.subject]
    assert team, [m.subject for m in mail.outbox]
    body = team[0].body
    assert "Predicted to miss:\n- Stuck — on course for 5%" in body
    listed = body.split("Predicted to miss:", 1)[1].split("\n\n", 1)[0]
    assert listed.index("- Stuck") < listed.index("- Climb")
