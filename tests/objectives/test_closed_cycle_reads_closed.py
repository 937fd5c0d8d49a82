"""A closed cycle reads as closed everywhere (DESIGN §4): its objectives show "Closed" and
their grade, never a health against a pace that has ended ("Active · At risk · expected by
now"), on the OKR list and page, the cascade (page and API) and the alignment page, the dashboard (no team-health
table of zeros: results per team) and the exports."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from cycles import services as cycle_services
from cycles.models import CycleStatus
from objectives import services
from rituals import services as ritual_services
from tests.objectives.okr_factories import make_cycle, make_objective

HEALTH_LABELS = ("On track", "At risk", "Off track")


@pytest.fixture
def closed(world_a):
    """A cycle two thirds through whose objectives lag (an open cycle would call them off track
    or at risk), closed by an admin: the company's graded 0.3 (missed), the team's 1.0 (achieved)."""
    today = world_a.org.today()
    cycle = make_cycle(world_a.org, name="Past quarter", start=today - timedelta(days=60), days=91)
    company = make_objective(world_a.org, cycle, title="Grow the market", krs=2, kr_owner=world_a.member)
    team = make_objective(
        world_a.org,
        cycle,
        title="Ship the referral loop",
        owner_type="team",
        team=world_a.team,
        krs=2,
        kr_owner=world_a.member,
        parent=company,
    )
    for objective, grade in ((company, 0.3), (team, 1.0)):
        services.objective_set_status(objective=objective, actor=world_a.admin, status="active")
        for kr in objective.key_results.all():
            services.key_result_check_in(key_result=kr, actor=world_a.member, value=2, confidence=4)
            ritual_services.key_result_grade(key_result=kr, actor=world_a.admin, grade=grade, note="as agreed")
    return cycle, company, team


def _close(world, cycle) -> None:
    cycle_services.cycle_update(cycle=cycle, actor=world.admin, status=CycleStatus.CLOSED)


def test_the_objective_page_of_a_closed_cycle_shows_closed_and_the_grade(world_a, client, closed):
    cycle, company, _team = closed
    client.force_login(world_a.viewer)
    url = f"/o/alpha/okrs/{company.pk}/"
    before = client.get(url).content.decode()
    assert "expected by now" in before and any(label in before for label in HEALTH_LABELS)  # while it runs
    _close(world_a, cycle)
    html = client.get(url).content.decode()
    assert 'class="badge status-closed">Closed</span>' in html
    assert "grade 0.30" in html and 'title="not achieved"' in html
    assert 'class="badge status-active"' not in html and "expected by now" not in html
    assert not any(label in html for label in HEALTH_LABELS)
    assert "final, at the close" in html


def test_the_okr_list_of_a_closed_cycle_shows_closed_and_grades(world_a, client, closed):
    cycle, _company, _team = closed
    _close(world_a, cycle)
    client.force_login(world_a.viewer)
    html = client.get(f"/o/alpha/okrs/?cycle={cycle.pk}").content.decode()
    assert html.count('class="badge status-closed">Closed</span>') >= 2  # the cycle's badge and each card
    assert "grade 0.30" in html and "grade 1.00" in html and 'title="achieved"' in html
    assert not any(label in html for label in HEALTH_LABELS)


def test_the_cascade_of_a_closed_cycle_shows_grades_not_health(world_a, client, api, closed):
    cycle, company, team = closed
    _close(world_a, cycle)
    client.force_login(world_a.viewer)
    html = client.get(f"/o/alpha/okrs/cascade/?cycle={cycle.pk}").content.decode()
    assert "grade 0.30" in html and "grade 1.00" in html
    assert "expected by now" not in html and not any(label in html for label in HEALTH_LABELS)
    doc = api(world_a.viewer).get(f"/api/v1/orgs/alpha/cascade/?cycle={cycle.pk}").json()
    assert doc["closed"] is True
    (root,) = doc["objectives"]
    assert root["id"] == company.pk and root["health"] is None
    assert root["grade"] == {"value": 0.3, "achieved": False}
    assert root["children"][0]["id"] == team.pk and root["children"][0]["grade"] == {"value": 1.0, "achieved": True}


def test_the_alignment_of_a_closed_cycles_objective_shows_grades_not_health(world_a, client, closed):
    cycle, _company, team = closed
    client.force_login(world_a.viewer)
    url = f"/o/alpha/okrs/{team.pk}/alignment/"
    assert any(label in client.get(url).content.decode() for label in HEALTH_LABELS)  # while it runs
    _close(world_a, cycle)
    html = client.get(url).content.decode()
    assert html.count('class="badge status-closed">Closed</span>') == 2  # the company's above, the team's
    assert "grade 0.30" in html and "grade 1.00" in html
    assert not any(label in html for label in HEALTH_LABELS)


def test_the_dashboard_of_a_closed_cycle_shows_results_per_team_not_a_health_table_of_zeros(world_a, client, closed):
    cycle, _company, _team = closed
    _close(world_a, cycle)
    client.force_login(world_a.viewer)
    html = client.get(f"/o/alpha/?cycle={cycle.pk}").content.decode()
    assert "Health per team" not in html and "Results per team" in html
    teams = html[html.index('id="teams"') : html.index("</section>", html.index('id="teams"'))]
    row = teams[teams.index(world_a.team.name) :]
    row = row[: row.index("</tr>")]
    # The team's objective was graded 1.0: achieved, none missed, mean grade 1.00.
    assert '<span class="cell cell-on_track">1</span>' in row and ">1.00<" in row


def test_the_export_of_a_closed_cycle_says_closed(world_a, client, closed):
    cycle, _company, _team = closed
    client.force_login(world_a.admin)
    _close(world_a, cycle)
    r = client.get(f"/o/alpha/cycles/{cycle.pk}/export.csv")
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows and {row["Status"] for row in rows} == {"Closed"}
    assert {row["Objective grade"] for row in rows} == {"0.3", "1.0"}


def test_the_objective_api_of_a_closed_cycle_gives_no_health(world_a, api, closed):
    """The objective API reads health through the same rule as the pages: a closed cycle's
    objectives are graded, not on track or at risk against a pace that has ended."""
    cycle, company, _team = closed
    client = api(world_a.viewer)
    url = f"/api/v1/orgs/alpha/objectives/{company.pk}/"
    assert client.get(url).json()["health"] in ("on_track", "at_risk", "off_track")  # while it runs
    _close(world_a, cycle)
    assert client.get(url).json()["health"] is None
