"""A real browser closes a cycle end to end: grade (with htmx), retrospective, acknowledgement,
closing message, close, then carry an objective over into the backlog. On the way, the coach's
advice appears while an objective is typed."""

from __future__ import annotations

import pytest

from cycles.models import Cycle
from objectives import services
from objectives.models import KeyResult, Objective
from tests.e2e.test_browser import _found, _login, browser  # noqa: F401  (the browser fixture)
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective


@pytest.mark.django_db(transaction=True)
def test_an_admin_closes_a_cycle_from_the_pages_alone(world_a, live_server, browser, password, settings):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    settings.ROLLUP_INLINE = True
    cycle = make_cycle(world_a.org)
    objective = make_objective(world_a.org, cycle, title="Delight our customers")
    nps = make_kr(objective, title="Raise NPS", owner=world_a.admin, start=0, target=10)
    make_kr(objective, title="Cut reply time", owner=world_a.admin, start=10, target=2)
    services.key_result_check_in(key_result=nps, actor=world_a.admin, value=6, confidence=6)
    wait = WebDriverWait(browser, 30)

    _login(browser, live_server, world_a.admin.email, password)
    # While planning, the coach advises as a field is left (htmx, on blur), and never blocks.
    browser.get(f"{live_server.url}/o/alpha/okrs/new/?cycle={cycle.pk}")
    browser.find_element(By.NAME, "title").send_keys("Grow sales by 20%")
    browser.find_element(By.NAME, "description").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "coach-live"), "numbers or amounts"))

    browser.find_element(By.LINK_TEXT, "Cycles").click()
    browser.find_element(By.LINK_TEXT, "Close…").click()
    wait.until(ec.presence_of_element_located((By.ID, f"objective-{objective.pk}")))
    browser.execute_script("window.__same_page = true")

    # Grade the first key result above its suggestion: without a note the page says why it refuses.
    grade = browser.find_element(By.ID, f"grade-{nps.pk}")
    assert grade.get_attribute("value") == "0.6"
    grade.clear()
    grade.send_keys("0.8")
    grade.find_element(By.XPATH, "./ancestor::div[contains(@class, 'grade-form')]//button").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, f"objective-{objective.pk}"), "say why in a note"))
    assert browser.find_element(By.ID, f"grade-{nps.pk}").get_attribute("value") == "0.8"  # kept
    browser.find_element(By.ID, f"grade-note-{nps.pk}").send_keys("Survey answers arrived after the deadline")
    own_save = "./ancestor::div[contains(@class, 'grade-form')]//button"
    browser.find_element(By.ID, f"grade-{nps.pk}").find_element(By.XPATH, own_save).click()
    wait.until(ec.text_to_be_present_in_element((By.ID, f"objective-{objective.pk}"), "override"))

    # The retrospective, then the reviewer's acknowledgement (an admin for a company objective).
    block = browser.find_element(By.ID, f"objective-{objective.pk}")
    block.find_element(By.NAME, "went_well").send_keys("Weekly survey reviews")
    block.find_element(By.NAME, "went_badly").send_keys("Support was understaffed in November")
    block.find_element(By.NAME, "learned").send_keys("Hire before the peak")
    block.find_element(By.XPATH, ".//button[normalize-space()='Save retrospective']").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, f"objective-{objective.pk}"), "waiting for the reviewer"))
    browser.find_element(By.XPATH, "//button[normalize-space()='Acknowledge']").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, f"objective-{objective.pk}"), "acknowledged by"))
    assert browser.execute_script("return window.__same_page === true")  # all of it with htmx, no reload

    # Close with a message (the page asks for confirmation first).
    browser.refresh()
    wait.until(ec.text_to_be_present_in_element((By.ID, "close"), "Every retrospective is acknowledged."))
    browser.find_element(By.ID, "closing-message").send_keys("A quarter of listening to customers.")
    browser.find_element(By.XPATH, "//button[normalize-space()='Close the cycle']").click()
    wait.until(ec.alert_is_present())
    browser.switch_to.alert.accept()
    wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".messages"), "is closed"))
    cycle = Cycle.objects.get(pk=cycle.pk)
    assert cycle.status == "closed" and cycle.closing_message == "A quarter of listening to customers."
    grades = dict(KeyResult.objects.filter(objective=objective).values_list("title", "grade"))
    assert grades == {"Raise NPS": 0.8, "Cut reply time": 0.0}
    assert _found(browser, By.NAME, "grade") == []  # frozen

    # Carry the objective over into the backlog.
    Select(browser.find_element(By.ID, "carry-target")).select_by_value("backlog")
    browser.find_element(By.XPATH, "//button[normalize-space()='Carry over']").click()
    wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".messages"), "carried over"))
    copy = Objective.objects.get(carried_from=objective)
    assert copy.cycle is None and "Delight our customers" in browser.page_source
