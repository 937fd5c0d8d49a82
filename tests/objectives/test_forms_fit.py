"""Key-result forms and displays that fit the kind of key result."""

from __future__ import annotations

import re

import pytest

from objectives.models import KeyResult
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective


@pytest.fixture
def objective(world_a):
    cycle = make_cycle(world_a.org)
    return make_objective(world_a.org, cycle, owner_type="team", team=world_a.team)


def _kr_post(world, **extra):
    return {
        "title": "KR",
        "owner": world.member.pk,
        "kind": "number",
        "unit": "",
        "start_value": "0",
        "target_value": "10",
        "weight": "1",
    } | extra


def test_activate_is_disabled_with_the_reason_until_there_are_two_key_results(world_a, objective, client):
    client.force_login(world_a.manager)
    html = client.get(f"/o/alpha/okrs/{objective.pk}/").content.decode()
    slot = re.search(r'<div id="activate-slot".*?</div>', html, re.S).group(0)
    assert re.search(r"<button[^>]*disabled[^>]*>Activate</button>", slot)
    assert "Needs at least 2 key results first." in slot
    url = f"/o/alpha/okrs/{objective.pk}/key-results/"
    first = client.post(url, _kr_post(world_a, title="One"), HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-swap-oob="true"' in first
    assert "disabled" in first.split('id="activate-slot"')[1].split("</div>")[0]
    second = client.post(url, _kr_post(world_a, title="Two"), HTTP_HX_REQUEST="true").content.decode()
    slot = second.split('id="activate-slot"')[1].split("</div>")[0]
    assert "disabled" not in slot and 'name="status" value="active"' in slot


def test_a_milestone_keeps_no_unit_start_or_target(world_a, objective, client):
    client.force_login(world_a.manager)
    r = client.post(
        f"/o/alpha/okrs/{objective.pk}/key-results/",
        _kr_post(world_a, title="Launch", kind="milestone", unit="leads", start_value="5", target_value="50"),
    )
    assert r.status_code == 302
    kr = KeyResult.objects.get(title="Launch")
    assert (kr.unit, kr.start_value, kr.target_value) == ("", 0, 1)
    html = client.get(f"/o/alpha/okrs/{objective.pk}/").content.decode()
    row = html[html.index(f'id="kr-{kr.pk}"') :][:1500]
    assert "Not done" in row and "from" not in row.split("kr-progress")[0]


def test_percent_shows_the_sign_and_counts_show_no_decimal_zero(world_a, objective, client):
    make_kr(objective, owner=world_a.member, title="Share", kind="percent", start=10, target=25)
    make_kr(objective, owner=world_a.member, title="Stories", start=0, target=12)
    client.force_login(world_a.manager)
    html = client.get(f"/o/alpha/okrs/{objective.pk}/").content.decode()
    assert "10%</strong>" in html and "/ 25%" in html
    # Only the key-result rows: the activity feed's timestamps carry seconds like "12.08".
    stories = KeyResult.objects.get(title="Stories")
    row = html[html.index(f'id="kr-{stories.pk}"') :][:1500]
    assert "/ 12<" in row and "12.0" not in row and "0.0" not in row
    r = client.get(f"/o/alpha/key-results/{KeyResult.objects.get(title='Stories').pk}/edit/")
    assert 'value="12"' in r.content.decode() and 'inputmode="decimal"' in r.content.decode()


def test_the_forms_carry_the_field_wrappers_the_script_toggles(world_a, objective, client):
    client.force_login(world_a.manager)
    new = client.get("/o/alpha/okrs/new/").content.decode()
    assert 'class="field field-owner_team"' in new and 'class="field field-owner_user"' in new
    assert "js/forms.js" in new
    kr = make_kr(objective, owner=world_a.member)
    edit = client.get(f"/o/alpha/key-results/{kr.pk}/edit/").content.decode()
    for name in ("unit", "start_value", "target_value"):
        assert f'class="field field-{name}"' in edit


def test_the_chart_draws_one_point_per_day_the_last_check_in(world_a, objective, client):
    import json

    from objectives import services

    kr = make_kr(objective, owner=world_a.member, title="Leads", start=0, target=10)
    for value in (2, 9, 4):  # three check-ins the same day: a spike if drawn as they come
        services.key_result_check_in(key_result=kr, actor=world_a.member, value=value, confidence=5, note="")
    client.force_login(world_a.member)
    html = client.get(f"/o/alpha/okrs/{objective.pk}/").content.decode()
    data = json.loads(re.search(r'<script id="kr-chart-data" type="application/json">(.*?)</script>', html).group(1))
    points = next(series["points"] for series in data if series["label"] == "Leads")
    assert len(points) == 1 and points[0][1] == 40.0
