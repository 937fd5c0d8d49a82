"""The KPI page's "Record a value" form carries a one-time token, as My check-ins does
(``core.idempotency.form_save_once``): the second request of a double-click saves
nothing and says the value was already saved, not that nothing changed."""

from __future__ import annotations

import re
from datetime import date

import pytest

from activity.models import ActivityEntry
from kpis.models import Kpi, Measurement
from tests.kpis.kpi_factories import make_kpi, record


@pytest.fixture
def team_kpi(world_a) -> Kpi:
    return make_kpi(world_a.org, name="Qualified leads", owner_type="team", team=world_a.team, since=date(2025, 1, 1))


def _token(html: str) -> str:
    form = html.split('id="record"', 1)[1].split("</form>", 1)[0]
    return re.search(r'<input type="hidden" name="once" value="([^"]+)"', form).group(1)


@pytest.mark.parametrize("htmx", [False, True])
def test_a_double_click_on_record_a_value_saves_once(world_a, web, team_kpi, htmx):
    record(team_kpi, date(2026, 10, 1), 80)
    client = web(world_a.manager)
    page = f"/o/alpha/kpis/{team_kpi.pk}/"
    url = f"{page}measurements/"
    token = _token(client.get(page).content.decode())
    form = {"period": "2026-10-01", "value": "90", "note": "Late deals", "once": token}
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    first = client.post(url, form, follow=not htmx, **extra)
    assert "October 2026 corrected from 80" in first.content.decode()
    again = client.post(url, form, follow=not htmx, **extra)  # the double-click's second request
    html = again.content.decode()
    assert again.status_code == 200 and "already saved" in html and "nothing changed" not in html
    assert Measurement.objects.get(kpi=team_kpi).value == 90
    assert ActivityEntry.objects.filter(verb="measurement.corrected").count() == 1
    # The form shown next carries a new token: the next value saves.
    fresh = _token(html)
    assert fresh != token
    third = client.post(url, form | {"value": "95", "once": fresh}, follow=not htmx, **extra)
    assert "corrected from 90" in third.content.decode()
    assert Measurement.objects.get(kpi=team_kpi).value == 95


def test_a_value_asked_about_keeps_its_token_for_the_confirmation(world_a, web, team_kpi):
    """The guard's question saves nothing, so confirming from that form saves."""
    record(team_kpi, date(2026, 10, 1), 81)
    client = web(world_a.manager)
    page = f"/o/alpha/kpis/{team_kpi.pk}/"
    token = _token(client.get(page).content.decode())
    form = {"period": "2026-11-01", "value": "1234.5", "note": "", "once": token}
    asked = client.post(f"{page}measurements/", form)
    assert asked.status_code == 400 and not Measurement.objects.filter(period=date(2026, 11, 1)).exists()
    saved = client.post(f"{page}measurements/", form | {"confirm": "on"}, follow=True)
    assert "Value for November 2026 recorded." in saved.content.decode()
    assert Measurement.objects.get(period=date(2026, 11, 1)).value == 1234.5
