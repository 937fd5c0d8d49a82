"""A real browser sees the forecasts: the key result's chart draws its projection dashed, with
its band, and the dashboard loads the objectives predicted to miss."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from objectives import services
from tests.e2e.test_browser import _login, browser  # noqa: F401  (the browser fixture)
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective, set_status

DASHED = (
    "const chart = window.Chart && Chart.getChart(document.getElementById('kr-chart'));"
    "return chart ? chart.data.datasets.filter(d => d.borderDash && d.borderDash.length).map(d => d.label) : null;"
)


@pytest.mark.django_db(transaction=True)
def test_the_dashed_projection_and_the_predicted_to_miss_list(world_a, live_server, browser, password, settings):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    settings.ROLLUP_INLINE = True
    today = world_a.org.today()
    cycle = make_cycle(world_a.org, start=today - timedelta(days=30), days=91)
    climb = make_objective(world_a.org, cycle, title="Climb the charts")
    signups = make_kr(climb, title="Signups", owner=world_a.admin, target=100)
    make_kr(climb, title="Partners", owner=world_a.admin, target=10)
    stuck = make_objective(world_a.org, cycle, title="Stuck in the mud")
    flat = make_kr(stuck, title="Flat line", owner=world_a.admin, target=100)
    make_kr(stuck, title="Nothing yet", owner=world_a.admin, target=100)
    for o in (climb, stuck):
        set_status(o, "active")
    now = timezone.now()
    for weeks_ago, value in ((3, 10), (2, 20), (1, 30)):
        at = now - timedelta(days=7 * weeks_ago)
        services.key_result_check_in(key_result=signups, actor=world_a.admin, value=value, confidence=7, at=at)
        services.key_result_check_in(key_result=flat, actor=world_a.admin, value=5, confidence=3, at=at)
    wait = WebDriverWait(browser, 30)

    _login(browser, live_server, world_a.admin.email, password)
    browser.get(f"{live_server.url}/o/alpha/okrs/{climb.pk}/")
    wait.until(lambda b: b.execute_script(DASHED))
    assert browser.execute_script(DASHED) == ["Signups: forecast"]
    bands = browser.execute_script(
        "return Chart.getChart(document.getElementById('kr-chart')).data.datasets.filter(d => d.band).length"
    )
    assert bands == 2
    line = browser.find_element(By.CSS_SELECTOR, f"#kr-{signups.pk} .forecast-line").text
    assert "a week since" in line and "90% band" in line

    browser.get(f"{live_server.url}/o/alpha/")
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#predicted-to-miss .miss-row")))
    rows = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "#predicted-to-miss .miss-row")]
    assert rows[0].startswith("Stuck in the mud") and "on course for 3%" in rows[0]  # (5 % + 0 %) / 2
