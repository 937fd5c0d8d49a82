"""A real browser: a colleague cannot open a private objective (a 404, like one that does not
exist), while the company's progress on their cascade is the admin's, to the percent — the
private objective counts in it and stands there as "1 restricted objective" (DESIGN §3)."""

from __future__ import annotations

import pytest

from tests.e2e.test_browser import _login, browser  # noqa: F401  (the browser fixture)
from tests.scorecards.restricted_world import MARKERS, build


def _company_progress(driver, live_server, cycle_id: int) -> str:
    from selenium.webdriver.common.by import By

    driver.get(f"{live_server.url}/o/alpha/okrs/cascade/?cycle={cycle_id}")
    return driver.find_element(By.CSS_SELECTOR, ".stat .stat-n").text


@pytest.mark.django_db(transaction=True)
def test_a_private_objective_is_not_found_for_a_colleague_and_the_company_progress_is_the_same(
    world_a,
    live_server,
    browser,  # noqa: F811
    password,
):
    from selenium.webdriver.common.by import By

    rw = build(world_a)
    _login(browser, live_server, world_a.admin.email, password)
    admin_progress = _company_progress(browser, live_server, rw.cycle.pk)
    assert MARKERS["root_title"] in browser.find_element(By.TAG_NAME, "main").text
    browser.get(f"{live_server.url}/o/alpha/okrs/{rw.root.pk}/")
    assert MARKERS["root_title"] in browser.find_element(By.TAG_NAME, "h1").text

    _login(browser, live_server, world_a.member.email, password)
    member_progress = _company_progress(browser, live_server, rw.cycle.pk)
    main = browser.find_element(By.TAG_NAME, "main").text
    assert MARKERS["root_title"] not in main and "1 restricted objective, 80%" in main
    browser.get(f"{live_server.url}/o/alpha/okrs/{rw.root.pk}/")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Not found"
    assert MARKERS["root_title"] not in browser.page_source

    # (0.4 + 0.8) / 2: the open company objective and the private one, on both screens.
    assert admin_progress == member_progress == "60%"
