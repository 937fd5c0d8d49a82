"""What a person sees in a real browser (issue "The first hour feels finished", 7): chart axes
in the reader's date format (English and Vietnamese), the cycle select showing its whole text,
and a link into a page landing below the sticky header rather than under it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from objectives import services as okr
from tests.e2e.test_browser import _login, browser  # noqa: F401  (the browser fixture)
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective


def _planned(world_a, *, cycle_name="Q4 2026"):
    cycle = make_cycle(world_a.org, name=cycle_name)
    objective = make_objective(world_a.org, cycle, title="Win the south", owner_type="person", user=world_a.member)
    kr = make_kr(objective, title="Sign 10 distributors", owner=world_a.member, target=10)
    make_kr(objective, title="Open 2 warehouses", owner=world_a.member, target=2)
    okr.objective_set_status(objective=objective, actor=world_a.admin, status="active")
    check_ins = [
        okr.key_result_check_in(
            key_result=kr, actor=world_a.member, value=v, confidence=7, note="On the way", at=datetime(*d, tzinfo=UTC)
        )
        for v, d in ((2, (2026, 10, 5, 9)), (4, (2026, 10, 20, 9)), (5, (2026, 11, 3, 9)))
    ]
    return cycle, objective, check_ins


@pytest.mark.parametrize(
    ("language", "pattern"), [("en", r"\d{1,2} [A-Z][a-z]{2} \d{4}"), ("vi", r"\d{1,2}/\d{1,2}/\d{4}")]
)
@pytest.mark.django_db(transaction=True)
def test_chart_axes_use_the_readers_date_format(language, pattern, world_a, live_server, browser, password):  # noqa: F811
    from selenium.webdriver.support.ui import WebDriverWait

    _cycle, objective, _cis = _planned(world_a)
    world_a.member.language = language
    world_a.member.save(update_fields=["language"])
    _login(browser, live_server, world_a.member.email, password)
    browser.get(f"{live_server.url}/o/alpha/okrs/{objective.pk}/")
    script = (
        "const c = window.Chart && Chart.getChart(document.getElementById('kr-chart'));"
        "return c ? c.scales.x.ticks.map(t => t.label) : null;"
    )
    labels = WebDriverWait(browser, 15).until(lambda b: b.execute_script(script))
    assert labels and all(re.fullmatch(pattern, str(label)) for label in labels), labels
    assert "5 Oct 2026" in labels if language == "en" else "5/10/2026" in labels


@pytest.mark.parametrize(("language", "width"), [("en", 1280), ("vi", 1024), ("vi", 390)])
@pytest.mark.parametrize("page", ["okrs/", ""])  # the cycle's OKRs and the dashboard
@pytest.mark.django_db(transaction=True)
def test_the_cycle_select_shows_its_whole_text(
    page,
    language,
    width,
    world_a,
    live_server,
    browser,  # noqa: F811
    password,
):
    from selenium.webdriver.common.by import By

    _planned(world_a, cycle_name="Q4 2026 · Customer growth and retention")
    make_cycle(world_a.org, name="Q3 2026", start=date(2026, 7, 1), status="closed")
    world_a.admin.language = language
    world_a.admin.save(update_fields=["language"])
    _login(browser, live_server, world_a.admin.email, password)
    browser.set_window_size(width, 900)
    browser.get(f"{live_server.url}/o/alpha/{page}")
    select = browser.find_element(By.CSS_SELECTOR, "#cycle-pick, .as-of-form select[name=cycle]")
    # The text fits between the left padding and the arrow Pico draws 0.75rem from the right edge.
    needed, room = browser.execute_script(
        "const s = arguments[0], cs = getComputedStyle(s);"
        "const rem = parseFloat(getComputedStyle(document.documentElement).fontSize);"
        "const ctx = document.createElement('canvas').getContext('2d'); ctx.font = cs.font;"
        "const text = ctx.measureText(s.options[s.selectedIndex].text).width;"
        "const arrow = Math.max(parseFloat(cs.paddingRight), 1.75 * rem);"
        "return [text, s.clientWidth - parseFloat(cs.paddingLeft) - arrow];",
        select,
    )
    assert needed <= room + 1, (needed, room)


@pytest.mark.django_db(transaction=True)
def test_a_link_into_the_page_lands_below_the_sticky_header(world_a, live_server, browser, password):  # noqa: F811
    _cycle, objective, check_ins = _planned(world_a)
    _login(browser, live_server, world_a.member.email, password)
    browser.set_window_size(1280, 700)
    browser.get(f"{live_server.url}/o/alpha/okrs/{objective.pk}/#check-in-{check_ins[0].pk}")
    scrolled, header_bottom, target_top = browser.execute_script(
        "const t = document.getElementById(arguments[0]);"
        "return [window.scrollY, document.querySelector('.topbar').getBoundingClientRect().bottom,"
        " t.getBoundingClientRect().top];",
        f"check-in-{check_ins[0].pk}",
    )
    assert scrolled > 0  # the page did move to the target
    assert target_top >= header_bottom, (target_top, header_bottom)
