"""Keyboard and screen readers, in a real browser: My check-ins walked with the Tab key (a
skip link first, a visible focus ring of at least 2 px on every stop, never under the
sticky save bar), no duplicate ids on the objective page, and axe-core (vendored, pinned in
static/vendor/VERSIONS) finding no serious or critical violation on the main pages in
English and Vietnamese."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_browser import _click, _leave_field, _login, browser  # noqa: F401  (the browser fixture)
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective

AXE = next((Path(__file__).resolve().parents[2] / "static/vendor/axe-core").glob("*/axe.min.js"))

# The focused element as a person sees it: its ring, whether it is inside the window, and
# whether the point at its centre is the element itself (not the sticky bar or header on top).
FOCUS = """
const el = document.activeElement;
if (!el || el === document.body) return null;
const style = getComputedStyle(el);
const r = el.getBoundingClientRect();
const x = r.left + r.width / 2, y = r.top + r.height / 2;
const hit = document.elementFromPoint(x, y);
return {
  tag: el.tagName, name: el.getAttribute('name') || el.textContent.trim().slice(0, 40),
  ring: style.outlineStyle === 'none' ? 0 : parseFloat(style.outlineWidth),
  inside: r.top >= 0 && r.bottom <= innerHeight && r.width > 0 && r.height > 0,
  covered: !(hit && (hit === el || el.contains(hit))),
  coveredBy: hit ? hit.className || hit.tagName : null,
  inMain: !!el.closest('main'),
};
"""


def _okrs(world_a, krs: int = 8):
    """Objectives with ``krs`` key results of the member in all (an objective holds five)."""
    cycle = make_cycle(world_a.org)
    first = None
    for start in range(0, krs, 4):
        objective = make_objective(world_a.org, cycle, title=f"Delight customers {start // 4 + 1}", status="active")
        first = first or objective
        for i in range(start, min(krs, start + 4)):
            make_kr(objective, title=f"Key result {i + 1}", owner=world_a.member, target=10)
    return first


@pytest.mark.django_db(transaction=True)
def test_tab_through_my_check_ins_every_stop_is_visible_and_never_under_the_save_bar(
    world_a,
    live_server,
    browser,  # noqa: F811
    password,
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _okrs(world_a)
    browser.set_window_size(1280, 720)
    _login(browser, live_server, world_a.member.email, password)
    browser.get(f"{live_server.url}/o/alpha/check-ins/")
    browser.find_element(By.CSS_SELECTOR, ".savebar")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    first = browser.execute_script(FOCUS)
    assert first["tag"] == "A" and first["inside"] and first["ring"] >= 2, first  # the skip link
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    assert browser.execute_script("return document.activeElement.id") == "main"
    stops, problems = 0, []
    for _ in range(60):
        browser.switch_to.active_element.send_keys(Keys.TAB)
        focus = browser.execute_script(FOCUS)
        if focus is None or not focus["inMain"]:
            break  # past the form, into the footer
        stops += 1
        if focus["ring"] < 2 or not focus["inside"] or focus["covered"]:
            problems.append(focus)
    assert stops >= 16, stops  # value and confidence of eight key results at least
    assert not problems, problems


@pytest.mark.django_db(transaction=True)
def test_the_objective_page_has_no_duplicate_ids(world_a, live_server, browser, password):  # noqa: F811
    objective = _okrs(world_a, krs=3)
    _login(browser, live_server, world_a.admin.email, password)
    browser.get(f"{live_server.url}/o/alpha/okrs/{objective.pk}/")
    duplicates = browser.execute_script(
        """const seen = {}; for (const el of document.querySelectorAll('[id]')) seen[el.id] = (seen[el.id] || 0) + 1;
        return Object.entries(seen).filter(([, n]) => n > 1);"""
    )
    assert duplicates == []


@pytest.mark.django_db(transaction=True)
def test_the_coach_panel_reads_the_objective_again_after_a_key_result_is_added(
    world_a,
    live_server,
    browser,  # noqa: F811
    password,
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    cycle = make_cycle(world_a.org)
    objective = make_objective(world_a.org, cycle, title="Become the go-to brand", status="draft")
    make_kr(objective, title="Qualified leads", owner=world_a.member, target=90)
    wait = WebDriverWait(browser, 30)
    _login(browser, live_server, world_a.admin.email, password)
    browser.get(f"{live_server.url}/o/alpha/okrs/{objective.pk}/")
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "section.coach#coach")))
    browser.execute_script("document.getElementById('coach').dataset.before = '1'")
    form = browser.find_element(By.CSS_SELECTOR, "form.kr-form")
    form.find_element(By.NAME, "title").send_keys("Case studies published")
    Select(form.find_element(By.NAME, "owner")).select_by_visible_text(world_a.member.name)
    target = form.find_element(By.NAME, "target_value")
    target.clear()
    target.send_keys("12")
    _leave_field(browser)
    _click(browser, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    wait.until(ec.text_to_be_present_in_element((By.ID, "key-results"), "2/5"))
    # A new panel, read after the key result was saved (the old one is marked).
    wait.until(
        lambda b: b.execute_script(
            "const c = document.querySelector('section.coach#coach'); return c && !c.dataset.before"
        )
    )
    assert len(browser.find_elements(By.ID, "coach")) == 1


def _axe(driver) -> list[dict]:
    """The serious and critical violations axe-core finds on the page (WCAG 2 A and AA). Only
    violations are gathered in full (resultTypes), which halves axe's time on a page."""
    if not driver.execute_script("return !!window.axe"):
        driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        """const done = arguments[arguments.length - 1];
        axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
                           resultTypes: ['violations']})
          .then(r => done(r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
            .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))))
          .catch(e => done([{id: 'axe-error', impact: 'critical', nodes: [String(e)]}]));"""
    )
    return result


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "vi"])
def test_axe_finds_no_serious_violation_on_the_main_pages(
    world_a,
    live_server,
    browser,  # noqa: F811
    password,
    language,
):
    from selenium.webdriver.common.by import By

    objective = _okrs(world_a, krs=3)
    world_a.admin.language = language
    world_a.admin.save(update_fields=["language"])
    browser.set_script_timeout(60)
    _login(browser, live_server, world_a.admin.email, password)
    pages = [
        "",
        "okrs/",
        f"okrs/{objective.pk}/",
        "check-ins/",
        "kpis/",
        "okrs/cascade/",
        "settings/",
    ]
    found = {}
    for page in pages:
        browser.get(f"{live_server.url}/o/alpha/{page}")
        browser.find_element(By.CSS_SELECTOR, "main")
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == language
        if violations := _axe(browser):
            found[page or "dashboard"] = violations
    assert not found, found
