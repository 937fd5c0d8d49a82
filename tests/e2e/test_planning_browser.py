"""A real browser plans from a template in one go, in English and in Vietnamese: align to an
objective, add two key-result rows in place and remove one (four in all), save once."""

from __future__ import annotations

import pytest

from objectives.models import KeyResult, Objective
from tests.e2e.test_browser import _click, _login, browser  # noqa: F401  (the browser fixture)
from tests.objectives.okr_factories import make_cycle, make_objective


@pytest.mark.parametrize("language", ["en", "vi"])
@pytest.mark.django_db(transaction=True)
def test_plan_from_a_template_with_four_key_results_and_alignment_in_one_go(
    language,
    world_a,
    live_server,
    browser,  # noqa: F811
    password,
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    cycle = make_cycle(world_a.org)
    revenue = make_objective(world_a.org, cycle, title="Grow revenue", status="active")
    world_a.member.language = language
    world_a.member.save(update_fields=["language"])
    wait = WebDriverWait(browser, 30)

    _login(browser, live_server, world_a.member.email, password)
    browser.get(f"{live_server.url}/o/alpha/okrs/templates/use/?template=service-delight&cycle={cycle.pk}")
    _click(browser, browser.find_element(By.CSS_SELECTOR, f"input[name=aligned_to][value='{revenue.pk}']"))
    assert len(browser.find_elements(By.CSS_SELECTOR, "#kr-rows tr.kr-row")) == 3
    add = browser.find_element(By.ID, "kr-add")
    _click(browser, add)
    _click(browser, add)
    assert len(browser.find_elements(By.CSS_SELECTOR, "#kr-rows tr.kr-row")) == 5
    assert not add.is_displayed()  # five is the most an objective holds
    # The new fourth row gets a title; the fifth is removed again.
    _click(browser, browser.find_elements(By.CSS_SELECTOR, "#kr-rows .kr-remove")[4])
    assert len(browser.find_elements(By.CSS_SELECTOR, "#kr-rows tr.kr-row")) == 4
    assert browser.find_element(By.NAME, "kr-TOTAL_FORMS").get_attribute("value") == "4"
    browser.find_element(By.NAME, "kr-3-title").send_keys("Answer every review within a day")
    Select(browser.find_element(By.NAME, "kr-3-owner")).select_by_value(str(world_a.member.pk))
    browser.find_element(By.NAME, "kr-3-start_value").send_keys("0")
    browser.find_element(By.NAME, "kr-3-target_value").send_keys("100")
    Select(browser.find_element(By.NAME, "kr-3-direction")).select_by_value("increase")
    assert Select(browser.find_element(By.NAME, "kr-1-direction")).first_selected_option.get_attribute("value") == (
        "decrease"  # 8 hours down to 2
    )
    _click(browser, browser.find_element(By.CSS_SELECTOR, ".template-form .form-actions button[type=submit]"))
    wait.until(ec.url_matches(r"/o/alpha/okrs/\d+/$"))

    objective = Objective.objects.exclude(pk=revenue.pk).get()
    assert objective.parent_id == revenue.pk and objective.cycle_id == cycle.pk
    krs = list(KeyResult.objects.filter(objective=objective).order_by("position", "id"))
    assert len(krs) == 4
    assert (krs[3].title, krs[3].start_value, krs[3].target_value) == ("Answer every review within a day", 0, 100)
    assert (krs[1].start_value, krs[1].target_value) == (8, 2)
