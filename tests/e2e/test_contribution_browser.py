"""A real browser links an objective to a second parent from its page ("Also contributes
to…", the search box) and sees both parents' progress move on the next check-in."""

from __future__ import annotations

import pytest

from objectives.models import Contribution, Objective
from tests.e2e.test_browser import _click, _login, browser  # noqa: F401  (the browser fixture)
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective


def _progress_of(driver, objective_id: int) -> str:
    from selenium.webdriver.common.by import By

    step = driver.find_element(By.CSS_SELECTOR, f".alignment-step[data-objective='{objective_id}']")
    return step.find_element(By.CSS_SELECTOR, ".progress-num").text


@pytest.mark.django_db(transaction=True)
def test_link_a_second_parent_then_both_parents_move_on_the_next_check_in(
    world_a,
    live_server,
    browser,  # noqa: F811
    password,
    settings,
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    settings.ROLLUP_INLINE = True
    cycle = make_cycle(world_a.org)
    revenue = make_objective(world_a.org, cycle, title="Grow revenue", status="active")
    brand = make_objective(world_a.org, cycle, title="Build the brand", status="active")
    marketing = make_objective(
        world_a.org,
        cycle,
        title="Marketing plan",
        owner_type="team",
        team=world_a.team,
        parent=revenue,
        status="active",
    )
    make_kr(revenue, owner=world_a.member, target=10)
    make_kr(brand, owner=world_a.member, target=10)
    kr = make_kr(marketing, title="Qualified leads", owner=world_a.member, target=100)
    wait = WebDriverWait(browser, 30)

    _login(browser, live_server, world_a.admin.email, password)
    browser.get(f"{live_server.url}/o/alpha/okrs/{marketing.pk}/")
    search = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#contributions input[name=q]")))
    search.send_keys("brand")
    _click(browser, browser.find_element(By.CSS_SELECTOR, "#contributions form[role=search] button"))
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, f"input[name=target][value='o:{brand.pk}']")))
    weight = browser.find_element(By.CSS_SELECTOR, "#contributions input[name=weight]")
    weight.clear()
    weight.send_keys("1")
    _click(browser, browser.find_element(By.XPATH, "//button[normalize-space()='Add contribution']"))
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#contributions .contribution")))
    assert "Build the brand" in browser.find_element(By.ID, "contributions").text
    assert Contribution.objects.filter(child=marketing, parent=brand).exists()

    browser.get(f"{live_server.url}/o/alpha/okrs/{marketing.pk}/alignment/")
    assert (_progress_of(browser, revenue.pk), _progress_of(browser, brand.pk)) == ("0%", "0%")

    # The member's next check-in moves both parents: each counts its own key result and Marketing.
    _login(browser, live_server, world_a.member.email, password)
    browser.find_element(By.LINK_TEXT, "My check-ins").click()
    field = browser.find_element(By.NAME, f"kr{kr.pk}-value")
    field.clear()
    field.send_keys("80")
    confidence = browser.find_element(By.NAME, f"kr{kr.pk}-confidence")
    confidence.clear()
    confidence.send_keys("7")
    _click(browser, browser.find_element(By.XPATH, "//button[normalize-space()='Save my check-ins']"))
    wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".messages"), "check-in"))
    browser.get(f"{live_server.url}/o/alpha/okrs/{marketing.pk}/alignment/")
    assert (_progress_of(browser, revenue.pk), _progress_of(browser, brand.pk)) == ("40%", "40%")
    assert [Objective.objects.get(pk=o.pk).progress for o in (revenue, brand)] == [pytest.approx(0.4)] * 2
