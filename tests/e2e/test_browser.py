"""The main flows in a real headless browser (Chromium driven by Selenium):
a manager plans an objective with three key results and activates it; the
member who owns them checks in on all three on one screen.

Needs Debian's chromium and chromium-driver; CI installs them (and fails if
they are missing), elsewhere the test is skipped with the reason.
"""

from __future__ import annotations

import os
import shutil

import pytest

from objectives.models import CheckIn, Objective
from tests.objectives.okr_factories import make_cycle

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


@pytest.fixture
def browser():
    if not (CHROMIUM and DRIVER):
        if os.environ.get("OKRKPI_REQUIRE_SERVICES") == "1":
            pytest.fail("chromium and chromedriver are required in CI (apt-get install chromium chromium-driver)")
        pytest.skip("chromium/chromedriver not installed")
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
    ):
        options.add_argument(arg)
    options.binary_location = CHROMIUM
    driver = webdriver.Chrome(service=webdriver.ChromeService(DRIVER), options=options)
    driver.implicitly_wait(15)
    yield driver
    driver.quit()


def _login(browser, live_server, email: str, password: str) -> None:
    from selenium.webdriver.common.by import By

    browser.delete_all_cookies()
    browser.get(live_server.url + "/accounts/login/")
    browser.find_element(By.NAME, "username").send_keys(email)
    browser.find_element(By.NAME, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()


@pytest.mark.django_db(transaction=True)
def test_plan_an_objective_and_check_in_from_the_pages_alone(world_a, live_server, browser, password, settings):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    settings.ROLLUP_INLINE = True
    cycle = make_cycle(world_a.org)
    wait = WebDriverWait(browser, 30)  # generous: CI machines are shared

    # The manager plans: objective → three key results (htmx, no reload) → activate.
    _login(browser, live_server, world_a.manager.email, password)
    browser.find_element(By.LINK_TEXT, "OKRs").click()
    browser.find_element(By.LINK_TEXT, "New objective").click()
    browser.find_element(By.NAME, "title").send_keys("Become the go-to brand")
    browser.find_element(By.CSS_SELECTOR, "input[name=owner_type][value=team]").click()
    Select(browser.find_element(By.NAME, "owner_team")).select_by_visible_text("Marketing")
    browser.find_element(By.CSS_SELECTOR, "form.objective-form button[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.ID, "key-results")))
    page_marker = browser.execute_script("window.__same_page = true; return window.__same_page;")
    assert page_marker
    for i, (title, target) in enumerate([("Qualified leads", "90"), ("Case studies", "12"), ("Subscribers", "5000")]):
        form = browser.find_element(By.CSS_SELECTOR, "form.kr-form")
        form.find_element(By.NAME, "title").send_keys(title)
        Select(form.find_element(By.NAME, "owner")).select_by_visible_text(world_a.member.name)
        target_input = form.find_element(By.NAME, "target_value")
        target_input.clear()
        target_input.send_keys(target)
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "key-results"), f"{i + 1}/5"))
    assert browser.execute_script("return window.__same_page === true")  # htmx swapped, no reload
    browser.find_element(By.XPATH, "//button[normalize-space()='Activate']").click()
    wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".messages"), "activated"))
    objective = Objective.objects.get(title="Become the go-to brand")
    assert objective.status == "active" and objective.key_results.count() == 3

    # The member's weekly update: three rows, one submit.
    _login(browser, live_server, world_a.member.email, password)
    browser.find_element(By.LINK_TEXT, "My check-ins").click()
    for kr, value in zip(objective.key_results.order_by("position"), ["45", "6", "1000"], strict=True):
        field = browser.find_element(By.NAME, f"kr{kr.pk}-value")
        field.clear()
        field.send_keys(value)
        confidence = browser.find_element(By.NAME, f"kr{kr.pk}-confidence")
        confidence.clear()
        confidence.send_keys("7")
    browser.find_element(By.XPATH, "//button[normalize-space()='Save my check-ins']").click()
    wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".messages"), "check-ins saved"))
    assert CheckIn.objects.filter(key_result__objective=objective).count() == 3
    objective.refresh_from_db()
    assert objective.progress == pytest.approx((0.5 + 0.5 + 0.2) / 3)
    assert cycle.pk
