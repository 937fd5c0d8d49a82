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
IMPLICIT_WAIT = 15  # seconds find_element waits for an element to appear
# What chromedriver says, as an "unknown error", about an element whose page was replaced
# while it was being read (a form post navigating away): a stale element by another name.
STALE_WORDS = (
    "does not belong to the document",
    "Cannot find context with specified id",
    "No node with given id found",
)


def _stale_aware(driver) -> None:
    """Report chromedriver's "unhandled inspector error" about a replaced page as the stale
    element it is. Waits (WebDriverWait and its expected conditions) retry a stale element;
    the unknown error ended a test that was waiting for the next page's message to appear."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    check = driver.error_handler.check_response

    def check_response(response):
        try:
            check(response)
        except WebDriverException as exc:
            if any(words in (exc.msg or "") for words in STALE_WORDS):
                raise StaleElementReferenceException(exc.msg) from exc
            raise

    driver.error_handler.check_response = check_response


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
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # console, for CSP reports
    driver = webdriver.Chrome(service=webdriver.ChromeService(DRIVER), options=options)
    driver.implicitly_wait(IMPLICIT_WAIT)
    _stale_aware(driver)
    yield driver
    driver.quit()


def _login(browser, live_server, email: str, password: str) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.delete_all_cookies()
    browser.get(live_server.url + "/accounts/login/")
    browser.find_element(By.NAME, "username").send_keys(email)
    # E-mail first: the password step appears in place once the address is sent.
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    WebDriverWait(browser, 30, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda b: (
            b.find_element(By.CSS_SELECTOR, "input[name=step][value=password]")
            and b.find_element(By.NAME, "password").is_displayed()
        )
    )
    browser.find_element(By.NAME, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    # Wait for the logged-in page, so the next navigation does not cut the login short.
    WebDriverWait(browser, 30).until(lambda b: "/accounts/login/" not in b.current_url)


def _found(browser, by: str, selector: str) -> list:
    """The elements matching ``selector`` now, without the implicit wait: find_elements would
    otherwise wait its full 15 s for an element that is rightly not there. Ask it once the
    page that should (or should not) hold the element has loaded."""
    browser.implicitly_wait(0)
    try:
        return browser.find_elements(by, selector)
    finally:
        browser.implicitly_wait(IMPLICIT_WAIT)


def _idle(browser) -> bool:
    """No htmx request in flight and no swap still settling."""
    return browser.execute_script("return !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")


def _leave_field(browser) -> None:
    """Leave the focused field, as a person moving on to the button does, and wait for the
    coach's advice that leaving a field asks for (htmx, 150 ms later). The advice lands above
    the form's button and moves it down: a click sent while it lands hits whatever moved under
    the pointer, and the form is never submitted."""
    from selenium.webdriver.support.ui import WebDriverWait

    before = browser.execute_script(
        "if (window.__answers === undefined) {"
        "  window.__answers = 0;"
        "  document.addEventListener('htmx:afterRequest', () => { window.__answers += 1; });"
        "}"
        "const field = document.activeElement;"
        "if (!field || !field.form) throw new Error('no form field has the focus');"
        "const before = window.__answers; field.blur(); return before;"
    )
    WebDriverWait(browser, 30).until(lambda b: b.execute_script("return window.__answers") > before and _idle(b))


def _click(browser, element) -> None:
    """Click as a person does: once nothing is loading, with the element in the middle of the
    window. WebDriver scrolls an element only until it touches the window's edge, or not at
    all when it is already inside the window, where the sticky header may cover it."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 30).until(_idle)
    browser.execute_script("arguments[0].scrollIntoView({block: 'center', inline: 'nearest'})", element)
    element.click()


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
    _leave_field(browser)
    _click(browser, browser.find_element(By.CSS_SELECTOR, "form.objective-form button[type=submit]"))
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
        _leave_field(browser)
        _click(browser, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        wait.until(ec.text_to_be_present_in_element((By.ID, "key-results"), f"{i + 1}/5"))
    assert browser.execute_script("return window.__same_page === true")  # htmx swapped, no reload
    _click(browser, browser.find_element(By.XPATH, "//button[normalize-space()='Activate']"))
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
    _click(browser, browser.find_element(By.XPATH, "//button[normalize-space()='Save my check-ins']"))
    wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".messages"), "check-ins saved"))
    assert CheckIn.objects.filter(key_result__objective=objective).count() == 3
    objective.refresh_from_db()
    assert objective.progress == pytest.approx((0.5 + 0.5 + 0.2) / 3)
    assert cycle.pk


def _size(browser, width: int, height: int) -> None:
    """Make the viewport (not the window) exactly width × height."""
    browser.set_window_size(width, height)
    inner_w, inner_h = browser.execute_script("return [window.innerWidth, window.innerHeight]")
    browser.set_window_size(width + (width - inner_w), height + (height - inner_h))
    assert browser.execute_script("return [window.innerWidth, window.innerHeight]") == [width, height]


def _week_of_key_results(world, cycle, n: int = 7):
    from tests.objectives.okr_factories import make_kr, make_objective

    objective = make_objective(
        world.org,
        cycle,
        title="Một mục tiêu có tên khá dài để thử màn hình điện thoại",
        user=world.member,
        owner_type="person",
    )
    krs = []
    for i in range(n):
        if i and i % 5 == 0:
            objective = make_objective(world.org, cycle, title=f"Mục tiêu {i}", user=world.member, owner_type="person")
        krs.append(make_kr(objective, owner=world.member, title=f"Kết quả then chốt số {i + 1}", start=0, target=5))
    return krs


@pytest.mark.django_db(transaction=True)
def test_a_vietnamese_user_types_4_comma_5_and_it_is_saved_as_4_point_5(
    world_a, live_server, browser, password, settings
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    settings.ROLLUP_INLINE = True
    cycle = make_cycle(world_a.org)
    kr = _week_of_key_results(world_a, cycle, n=1)[0]
    world_a.member.language = "vi"
    world_a.member.save(update_fields=["language"])
    _login(browser, live_server, world_a.member.email, password)
    browser.get(live_server.url + "/o/alpha/check-ins/")
    field = browser.find_element(By.NAME, f"kr{kr.pk}-value")
    assert field.get_attribute("type") == "text" and field.get_attribute("inputmode") == "decimal"
    field.clear()
    field.send_keys("4,5")  # keystrokes, the way a Vietnamese person writes four and a half
    assert field.get_attribute("value") == "4,5"
    browser.find_element(By.CSS_SELECTOR, ".savebar-button").click()
    WebDriverWait(browser, 30).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".flash-success")))
    kr.refresh_from_db()
    assert kr.current_value == 4.5
    assert CheckIn.objects.get(key_result=kr).value == 4.5
    assert browser.find_element(By.NAME, f"kr{kr.pk}-value").get_attribute("value") == "4,5"


@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_header_fits_every_section_is_reachable_and_save_is_in_view(
    world_a, live_server, browser, password, settings
):
    from selenium.webdriver.common.by import By

    settings.ROLLUP_INLINE = True
    cycle = make_cycle(world_a.org)
    world_a.org.name = "Công ty Cổ phần Công nghệ Sao Mai Toàn Cầu"  # a long name, as real ones are
    world_a.org.save(update_fields=["name"])
    _week_of_key_results(world_a, cycle, n=7)
    _size(browser, 390, 844)
    _login(browser, live_server, world_a.member.email, password)
    browser.get(live_server.url + "/o/alpha/check-ins/")
    browser.find_element(By.CSS_SELECTOR, ".savebar-button")  # waits (implicitly) for the page

    # Nothing wider than the screen, measured box by box.
    too_wide = browser.execute_script(
        """
        const w = window.innerWidth, out = [];
        for (const el of document.querySelectorAll('body *')) {
          const r = el.getBoundingClientRect();
          if (!r.width || getComputedStyle(el).visibility === 'hidden') continue;
          if (el.closest('.visually-hidden')) continue;
          if (r.right > w + 0.5 || r.left < -0.5) {
            out.push(el.tagName + '.' + el.className + ' ' + r.left + '–' + r.right);
          }
        }
        return out;
        """
    )
    assert too_wide == []
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390

    # The header: the organisation's name is cut inside its box, and each menu's arrow stays in its box.
    for selector in (".org-switcher > summary", ".usermenu details.dropdown > summary"):
        inside = browser.execute_script(
            """
            const s = document.querySelector(arguments[0]), r = s.getBoundingClientRect();
            return {right: r.right, fits: s.scrollWidth <= s.clientWidth + 1, w: window.innerWidth};
            """,
            selector,
        )
        assert inside["fits"] and inside["right"] <= inside["w"], (selector, inside)
    header = browser.find_element(By.CSS_SELECTOR, "header.topbar").rect
    assert header["height"] < 844 / 4

    # Every section is one tap away in the menu, none hidden in a row that scrolls.
    browser.find_element(By.CSS_SELECTOR, ".navmenu summary").click()
    links = browser.find_elements(By.CSS_SELECTOR, ".navmenu a")
    assert len(links) >= 8
    for link in links:
        r = link.rect
        assert link.is_displayed() and r["x"] >= 0 and r["x"] + r["width"] <= 390, link.text
    browser.find_element(By.CSS_SELECTOR, ".navmenu summary").click()

    # The Save button is on screen without scrolling, and stays there while scrolling.
    browser.execute_script("window.scrollTo(0, 0)")
    for _ in range(2):
        box = browser.execute_script(
            "const r = document.querySelector('.savebar-button').getBoundingClientRect();"
            "return [r.top, r.bottom, r.left, r.right, window.innerHeight];"
        )
        top, bottom, left, right, height = box
        assert top >= 0 and bottom <= height and left >= 0 and right <= 390, box
        browser.execute_script("window.scrollTo(0, document.body.scrollHeight / 2)")
    # Key results are cards, one under the other.
    cards = browser.find_elements(By.CSS_SELECTOR, ".ci-card")
    assert len(cards) == 7 and len({c.rect["x"] for c in cards}) == 1


def _shot(browser, name: str, tmp_path, *, max_height: int = 2400) -> None:
    """Save a screenshot: into docs/screenshots/ with OKRKPI_SCREENSHOTS=1 (to refresh the
    README's pictures), else next to the test's temporary files."""
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    target = folder if os.environ.get("OKRKPI_SCREENSHOTS") == "1" else tmp_path
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, min(max(height, 1000), max_height))
    browser.save_screenshot(str(target / f"{name}.png"))
    browser.set_window_size(1280, 1000)


@pytest.mark.django_db(transaction=True)
def test_executive_builds_the_company_scorecard_and_sees_a_perspective_turn_red(
    world_a, live_server, browser, password, tmp_path
):
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    from kpis import periods
    from objectives.services import objective_update
    from scorecards.models import Scorecard, StrategyLink
    from tests.kpis.kpi_factories import make_kpi
    from tests.objectives.okr_factories import make_objective

    wait = WebDriverWait(browser, 30)
    org = world_a.org
    month = periods.period_start(org.today(), frequency="monthly")
    history = [periods.shift(month, frequency="monthly", periods=-i) for i in range(5, -1, -1)]
    library = [
        ("Net revenue growth", "financial", 10, "%"),
        ("Gross margin", "financial", 40, "%"),
        ("Customer satisfaction", "customer", 80, "points"),
        ("On-time delivery", "internal_process", 95, "%"),
        ("Training hours per person", "learning_growth", 20, "h"),
    ]
    kpis = {}
    for name, perspective, target, unit in library:
        kpi = make_kpi(org, name=name, perspective=perspective, target=target, amber=target * 0.8, unit=unit)
        kpis[name] = kpi
        for i, period in enumerate(history):
            from kpis import services as kpi_services

            kpi_services.measurement_record(
                kpi=kpi, actor=None, period=period, value=target * (0.9 + 0.04 * i), today=org.today()
            )
    cycle = make_cycle(org, start=periods.period_start(org.today(), frequency="quarterly"))
    for title, perspective in [("Become the most trusted brand", "customer"), ("Grow profitably", "financial")]:
        objective_update(objective=make_objective(org, cycle, title=title), actor=None, perspective=perspective)

    # The executive opens Scorecards: nothing yet, and one button builds it from the KPI library.
    _login(browser, live_server, world_a.admin.email, password)
    browser.find_element(By.LINK_TEXT, "Scorecards").click()
    wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "main"), "No scorecard yet"))
    create = "//button[normalize-space()='Create the company scorecard from the KPI library']"
    browser.find_element(By.XPATH, create).click()
    wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".messages"), "created with 5 KPIs"))
    card = Scorecard.objects.get(organization=org)

    # Four perspective scores, all green.
    for perspective in ("financial", "customer", "internal_process", "learning_growth"):
        score = browser.find_element(By.CSS_SELECTOR, f"[data-score='{perspective}']").text
        assert score.endswith("%"), score
        assert browser.find_element(By.CSS_SELECTOR, f"[data-status='{perspective}']").text == "Green"
    assert "Become the most trusted brand" in browser.find_element(By.ID, "perspective-customer").text

    # A red month for revenue growth: recorded on the KPI page, typed like a person does.
    browser.find_element(By.LINK_TEXT, "Net revenue growth").click()
    Select(browser.find_element(By.NAME, "period")).select_by_value(month.isoformat())
    value = browser.find_element(By.NAME, "value")
    value.clear()
    value.send_keys("1")
    browser.find_element(By.XPATH, "//button[normalize-space()='Save value']").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "kpi-body"), "Red"))
    browser.back()
    browser.refresh()
    wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, "[data-status='financial']"), "Red"))
    assert browser.find_element(By.CSS_SELECTOR, "[data-status='customer']").text == "Green"

    # The editor: weights validated as they are typed.
    browser.find_element(By.LINK_TEXT, "Edit scorecard").click()
    weight = browser.find_element(By.NAME, f"weight-{kpis['Gross margin'].pk}")
    weight.clear()
    weight.send_keys("-2")
    wait.until(ec.text_to_be_present_in_element((By.ID, f"w-{kpis['Gross margin'].pk}-note"), "cannot be negative"))
    weight.clear()
    weight.send_keys("3")
    wait.until(ec.text_to_be_present_in_element((By.ID, f"w-{kpis['Gross margin'].pk}-note"), "75%"))
    _shot(browser, "scorecard-editor", tmp_path)
    browser.find_element(By.XPATH, "//button[normalize-space()='Save KPIs and weights']").click()
    wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".messages"), "weights saved"))
    assert card.items.get(kpi=kpis["Gross margin"]).weight == 3

    # The strategy map: bands, coloured boxes, and a cause-and-effect link drawn from the page.
    browser.find_element(By.LINK_TEXT, "Back to the scorecard").click()
    browser.find_element(By.LINK_TEXT, "Strategy map").click()
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "svg.strategy-map")))
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.strategy-map .map-band")) == 4
    assert browser.find_elements(By.CSS_SELECTOR, "svg.strategy-map .map-status-red")
    # Chromium may answer "node does not belong to the document" while a page is replaced.
    leaving = WebDriverWait(browser, 30, ignored_exceptions=[WebDriverException])
    for source, target in [
        ("Training hours per person", "On-time delivery"),
        ("On-time delivery", "Customer satisfaction"),
        ("Customer satisfaction", "Become the most trusted brand"),
        ("Become the most trusted brand", "Net revenue growth"),
    ]:
        Select(browser.find_element(By.NAME, "source")).select_by_visible_text(source)
        Select(browser.find_element(By.NAME, "target")).select_by_visible_text(target)
        # From the second link on, the page being left already says "Link added": mark it, wait
        # for the next page (no mark), then for the message naming this link.
        browser.execute_script("window.__page_left = true")
        browser.find_element(By.XPATH, "//button[normalize-space()='Add the link']").click()
        leaving.until(lambda b: b.execute_script("return window.__page_left !== true"))
        wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".messages"), f"{source} drives {target}"))
    assert StrategyLink.objects.filter(scorecard=card).count() == 4
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.strategy-map path.map-link")) == 4
    browser.find_element(By.LINK_TEXT, "Scorecards").click()
    _shot(browser, "scorecards", tmp_path)


@pytest.mark.django_db(transaction=True)
def test_the_demo_executive_sees_the_company_scorecard_on_the_dashboard_and_its_map(live_server, browser, tmp_path):
    """Right after ``seed_demo`` (what ``make run`` loads): the dashboard's company scorecard
    panel, the scorecard it opens and its strategy map, all with real figures. The README's
    dashboard, scorecard and strategy-map pictures are taken here."""
    import io

    from django.core.management import call_command
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    from orgs.demo import ADMIN_EMAIL, DEMO_PASSWORD

    call_command("seed_demo", stdout=io.StringIO())
    wait = WebDriverWait(browser, 30)
    _login(browser, live_server, ADMIN_EMAIL, DEMO_PASSWORD)
    browser.get(live_server.url + "/o/northwind/")
    panel = browser.find_element(By.ID, "company-scorecard")
    rows = panel.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert len(rows) == 5  # four perspectives and the overall score
    assert not panel.find_elements(By.CSS_SELECTOR, ".rag-none")  # every perspective has a score
    _shot(browser, "dashboard", tmp_path, max_height=3200)

    panel.find_element(By.LINK_TEXT, "Company scorecard").click()
    wait.until(ec.presence_of_element_located((By.ID, "perspective-financial")))
    for perspective in ("financial", "customer", "internal_process", "learning_growth"):
        assert browser.find_element(By.CSS_SELECTOR, f"[data-score='{perspective}']").text.endswith("%")
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.spark:not(.spark-empty)")) >= 9 + 4  # KPIs, perspectives
    _shot(browser, "scorecard", tmp_path)

    browser.find_element(By.LINK_TEXT, "Strategy map").click()
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "svg.strategy-map")))
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.strategy-map path.map-link")) == 6
    _shot(browser, "strategy-map", tmp_path)


@pytest.mark.django_db(transaction=True)
def test_an_executive_reads_last_weeks_dashboard(world_a, live_server, browser, password, settings):
    """The dashboard today, then as of a week ago (from that day's snapshots), then back."""
    from datetime import timedelta

    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.scorecards.board import build_board

    settings.ROLLUP_INLINE = True
    board = build_board(world_a)  # 55 % today; last week's snapshot: 20 %
    week_ago = board.today - timedelta(days=7)
    wait = WebDriverWait(browser, 30)

    _login(browser, live_server, world_a.admin.email, password)
    browser.find_element(By.LINK_TEXT, "Dashboard").click()
    card = browser.find_element(By.ID, "company-progress")
    assert "55%" in card.text and "50%" in card.text
    assert "+50 pts" in browser.find_element(By.ID, "movers").text

    picker = browser.find_element(By.NAME, "as_of")
    picker.send_keys(week_ago.strftime("%m%d%Y"))  # Chromium's en-US date field: month, day, year
    browser.find_element(By.CSS_SELECTOR, ".as-of-form button[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".as-of-flag")))
    assert f"as_of={week_ago.isoformat()}" in browser.current_url
    card = browser.find_element(By.ID, "company-progress")
    assert "20%" in card.text  # last week's snapshot, not today's 55 %
    assert "Master automation" not in browser.find_element(By.ID, "attention").text  # created since
    browser.find_element(By.LINK_TEXT, "Back to today").click()
    WebDriverWait(browser, 30, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda b: not any(flag.is_displayed() for flag in _found(b, By.CSS_SELECTOR, ".as-of-flag"))
    )
    assert "55%" in browser.find_element(By.ID, "company-progress").text


def _csp_errors(browser) -> list[str]:
    """Content-security-policy violations chromium reported on the console since the last call."""
    return [e["message"] for e in browser.get_log("browser") if "Content Security Policy" in e["message"]]


@pytest.mark.django_db(transaction=True)
def test_every_page_renders_its_bars_trees_and_charts_with_no_csp_violation(world_a, live_server, browser, password):
    """The policy allows no inline style or script: the pages still look right."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    from objectives.services import key_result_check_in
    from tests.kpis.kpi_factories import make_kpi, record
    from tests.objectives.okr_factories import make_objective

    cycle = make_cycle(world_a.org, start=world_a.org.today().replace(day=1))
    company = make_objective(world_a.org, cycle, title="Win the market", krs=2, kr_owner=world_a.member)
    team_obj = make_objective(
        world_a.org,
        cycle,
        title="Grow leads",
        owner_type="team",
        team=world_a.sub_team,
        parent=company,
        krs=2,
        kr_owner=world_a.member,
    )
    kr = team_obj.key_results.order_by("position").first()
    key_result_check_in(key_result=kr, actor=world_a.member, value=5, confidence=7)  # 50%
    kpi = make_kpi(world_a.org, name="Qualified leads")
    for month, value in ((7, 60), (8, 75), (9, 90), (10, 105)):
        record(kpi, f"2026-{month:02d}-01", value)
    wait = WebDriverWait(browser, 30)
    _login(browser, live_server, world_a.admin.email, password)
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "main")))
    _csp_errors(browser)  # start clean

    pages = {
        "dashboard": "/o/alpha/",
        "okrs": "/o/alpha/okrs/",
        "objective": f"/o/alpha/okrs/{team_obj.pk}/",
        "cascade": "/o/alpha/okrs/cascade/",
        "kpis": "/o/alpha/kpis/",
        "kpi": f"/o/alpha/kpis/{kpi.pk}/",
        "teams": "/o/alpha/teams/",
        "check-ins": "/o/alpha/check-ins/",
    }
    for name, url in pages.items():
        browser.get(live_server.url + url)
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "main")))
        if name == "objective":
            # The key result at 50% draws a bar half as wide as its track.
            ratio = browser.execute_script(
                "const b = document.querySelector('#key-results .progress-bar > .w-50');"
                "return b ? b.getBoundingClientRect().width / b.parentElement.getBoundingClientRect().width : null;"
            )
            assert ratio == pytest.approx(0.5, abs=0.02), name
        if name == "kpi":
            # Chart.js drew on the canvas: some pixels are not transparent.
            drawn = wait.until(
                lambda b: b.execute_script(
                    "const c = document.getElementById('kpi-chart'); if (!c || !c.width) return 0;"
                    "const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                    "let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n;"
                )
            )
            assert drawn > 500, name
        if name == "teams":
            # Growth sits under Marketing: indented one level deeper.
            left = browser.execute_script(
                "return [...document.querySelectorAll('.tree-node')].map("
                "n => [n.querySelector('.tree-name').textContent.trim(), n.getBoundingClientRect().left]);"
            )
            lefts = dict(left)
            assert lefts["Growth"] > lefts["Marketing"], lefts
        assert _csp_errors(browser) == [], name

    # The API docs: Swagger UI starts from a script file and shows the API's title.
    browser.get(live_server.url + "/api/v1/docs/")
    wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".swagger-ui .info .title"), "okrkpi API"))
    assert _csp_errors(browser) == []


def test_a_page_replaced_while_an_element_is_read_counts_as_a_stale_element():
    """What chromedriver answered in a CI run when the Activate post navigated while the wait
    read the old page's messages: now a StaleElementReferenceException, which waits retry."""
    import json
    from types import SimpleNamespace

    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.remote.errorhandler import ErrorHandler

    driver = SimpleNamespace(error_handler=ErrorHandler())
    _stale_aware(driver)

    def answer(message: str) -> dict:
        return {"status": 500, "value": json.dumps({"value": {"error": "unknown error", "message": message}})}

    inspector = (
        "unknown error: unhandled inspector error: "
        '{"code":-32000,"message":"Node with given id does not belong to the document"}'
    )
    with pytest.raises(StaleElementReferenceException):
        driver.error_handler.check_response(answer(inspector))
    with pytest.raises(WebDriverException) as other:
        driver.error_handler.check_response(answer("unknown error: session deleted"))
    assert not isinstance(other.value, StaleElementReferenceException)
    driver.error_handler.check_response({"status": 0, "value": None})  # success passes through
