"""In a real headless Chromium: a check-in typed on My check-ins with the network off is
kept in the browser, and sent once when the network is back."""

from __future__ import annotations

import pytest

from objectives import services as okr
from objectives.models import CheckIn
from tests.e2e.test_browser import _login, browser  # noqa: F401 — the shared browser fixture
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective


@pytest.mark.django_db(transaction=True)
def test_a_check_in_typed_offline_is_sent_once_on_reconnect(world_a, live_server, browser, password, settings):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    settings.ROLLUP_INLINE = True
    wait = WebDriverWait(browser, 30)
    today = world_a.org.today()
    cycle = make_cycle(world_a.org, name="This quarter", start=today.replace(day=1), days=120)
    objective = make_objective(world_a.org, cycle, title="Win the south", owner_type="person", user=world_a.member)
    kr = make_kr(objective, title="Sign distributors", owner=world_a.member, target=100)
    make_kr(objective, title="Open warehouses", owner=world_a.member, target=2)
    okr.objective_set_status(objective=objective, actor=world_a.admin, status="active")

    _login(browser, live_server, world_a.member.email, password)
    browser.get(live_server.url + "/o/alpha/check-ins/")
    queue_key = "okrkpi.queue:/o/alpha/check-ins/offline/"
    # The page keeps the key results' versions while it is online.
    wait.until(lambda b: b.execute_script("return localStorage.getItem('okrkpi.versions:/o/alpha/check-ins/offline/')"))

    browser.set_network_conditions(offline=True, latency=0, download_throughput=0, upload_throughput=0)
    wait.until(lambda b: b.execute_script("return navigator.onLine === false"))
    field = browser.find_element(By.NAME, f"kr{kr.pk}-value")
    field.clear()
    field.send_keys("45")
    browser.find_element(By.CSS_SELECTOR, "form[data-checkins] button[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".offline-banner")))
    assert browser.execute_script(f"return JSON.parse(localStorage.getItem('{queue_key}')).length") == 1
    assert not CheckIn.objects.exists()

    browser.set_network_conditions(offline=False, latency=0, download_throughput=-1, upload_throughput=-1)
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "dialog.offline-dialog")))
    assert "Sign distributors" in browser.find_element(By.CSS_SELECTOR, "dialog.offline-dialog").text
    assert browser.execute_script(f"return JSON.parse(localStorage.getItem('{queue_key}')).length") == 0
    # Once: a reload (which flushes again) sends nothing more.
    browser.get(live_server.url + "/o/alpha/check-ins/")
    wait.until(lambda b: b.execute_script("return document.readyState === 'complete'"))
    assert list(CheckIn.objects.values_list("key_result_id", "value", "origin")) == [(kr.pk, 45.0, "manual")]
