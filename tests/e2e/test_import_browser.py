"""A real browser moves a demo organisation's OKRs into a new organisation: the cycle's
OKR export uploaded on the import page, checked, applied — and the new organisation's
cascade is the demo's, objective by objective, with the same progress."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from core.spreadsheet import to_csv
from cycles.models import Cycle
from orgs.models import Membership, Organization, Team
from rituals import exports, review
from tests.e2e.test_browser import _click, _login, browser  # noqa: F401  (the browser fixture)

TREE = (
    "return [...document.querySelectorAll('li.cascade-node > .cascade-line a.cascade-title')].map(a => {"
    "  const path = []; let li = a.closest('li.cascade-node');"
    "  while (li) { path.unshift(li.querySelector('.cascade-title').textContent.trim());"
    "    li = li.parentElement.closest('li.cascade-node'); }"
    "  const line = a.closest('.cascade-line');"
    "  const owner = line.querySelector('.badge[class*=owner-]').textContent.trim();"
    "  return path.join(' > ') + ' | ' + owner + ' | ' + line.querySelector('.progress-num').textContent.trim();"
    "}).sort();"
)


def _copy_of(source: Organization) -> tuple[Organization, Cycle]:
    """An organisation with the demo's people, teams and current cycle, and no OKRs."""
    copy = Organization.objects.create(name="Northwind copy", slug="northwind-copy", timezone=source.timezone)
    for m in Membership.objects.filter(organization=source):
        Membership.objects.create(organization=copy, user=m.user, role=m.role)
    made: dict[int, Team] = {}
    for team in Team.objects.filter(organization=source).order_by("parent_id", "id"):
        made[team.pk] = Team.objects.create(organization=copy, name=team.name, parent=made.get(team.parent_id))
    cycle = Cycle.objects.filter(organization=source, status="active").get()
    twin = Cycle.objects.create(
        organization=copy, name=cycle.name, start_date=cycle.start_date, end_date=cycle.end_date, status="active"
    )
    return copy, twin


@pytest.mark.django_db(transaction=True)
def test_the_demo_okr_export_imports_into_a_new_organisation_with_the_same_cascade(
    live_server,
    browser,  # noqa: F811
    tmp_path,
    settings,
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    from orgs.demo import ADMIN_EMAIL, DEMO_PASSWORD

    settings.ROLLUP_INLINE = True
    call_command("seed_demo", stdout=io.StringIO())
    source = Organization.objects.get(slug="northwind")
    cycle = Cycle.objects.get(organization=source, status="active")
    copy, _twin = _copy_of(source)
    path = tmp_path / "okrs.csv"
    path.write_text(to_csv(exports.cycle_rows(review.review_objectives(org=source, cycle=cycle), cycle=cycle)))

    wait = WebDriverWait(browser, 60)
    _login(browser, live_server, ADMIN_EMAIL, DEMO_PASSWORD)
    browser.get(f"{live_server.url}/o/{copy.slug}/settings/import/")
    Select(browser.find_element(By.NAME, "kind")).select_by_value("okrs")
    browser.find_element(By.NAME, "file").send_keys(str(path))
    _click(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".import-preview")))
    assert "0 rows with errors" in browser.find_element(By.CSS_SELECTOR, ".import-preview").text
    _click(browser, browser.find_element(By.XPATH, "//button[normalize-space()='Import']"))
    wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "main"), "created"))

    trees = []
    for slug in (source.slug, copy.slug):
        browser.get(f"{live_server.url}/o/{slug}/okrs/cascade/")
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "a.cascade-title")))
        trees.append(browser.execute_script(TREE))
    assert len(trees[0]) > 5 and any(" > " in node for node in trees[0])  # a cascade, with owners and progress
    assert trees[1] == trees[0]
