"""axe-core (vendored, pinned in static/vendor/VERSIONS) finds no serious or critical
violation on the pages an admin or a member reaches from the navigation and the main flows,
in English and Vietnamese, over the demo data (Northwind in English, Sao Mai in Vietnamese):
KPIs, scorecards and the strategy map, cycles with their close and report pages, the
objective and key-result forms, templates, teams and people, activity, notifications, the
organisation's settings, data sources, import and export, the account's pages and the login
page. The seven main pages, on small data, are checked by test_keyboard_browser.py; here a
member's own versions of them are. One browser session per language visits every page in
turn, and the failure lists every violation of every page at once."""

from __future__ import annotations

import io

import pytest

from tests.e2e.test_browser import _click, _login, browser  # noqa: F401  (the browser fixture)
from tests.e2e.test_keyboard_browser import _axe

# The HTTP status of the page the browser shows (Chromium reports it in the navigation timing).
STATUS = "return performance.getEntriesByType('navigation')[0].responseStatus"
SLUG = {"en": "northwind", "vi": "saomai"}
MEMBER = {"en": "sam@demo.okrkpi.test", "vi": "minh@demo.okrkpi.test"}

# An admin's pages inside the organisation, filled in with the demo's rows (see _rows).
ORG_PAGES = (
    "todo/",
    "kpis/{kpi}/",
    "kpis/new/",
    "kpis/{kpi}/edit/",
    "kpis/import/",
    "scorecards/",
    "scorecards/{scorecard}/",
    "scorecards/{scorecard}/map/",
    "scorecards/{scorecard}/edit/",
    "scorecards/new/",
    "cycles/",
    "cycles/{cycle}/edit/",
    "cycles/{cycle}/close/",
    "cycles/{closed}/close/",
    "cycles/{closed}/report/",
    "okrs/new/",
    "okrs/{objective}/edit/",
    "okrs/{in_review}/",
    "okrs/{objective}/alignment/",
    "okrs/{objective}/contributions/",
    "key-results/{kr}/edit/",
    "key-results/{kr}/history/",
    "okrs/templates/",
    "okrs/templates/use/?template={template}",
    "okrs/backlog/",
    "quality/",
    "teams/",
    "teams/new/",
    "teams/{team}/edit/",
    "members/",
    "members/{member}/",
    "activity/",
    "notifications/",
    "notifications/settings/",
    "settings/channels/",
    "settings/chat/",
    "settings/sso/",
    "settings/scim/",
    "data-sources/",
    "data-sources/{source}/",
    "settings/import/",
    "settings/export/",
)
ACCOUNT_PAGES = ("/accounts/profile/", "/accounts/password/", "/accounts/sessions/", "/accounts/two-factor/")
# A member's own pages, which read differently from an admin's: what is due, their check-ins.
MEMBER_PAGES = ("todo/", "", "check-ins/", "okrs/{objective}/", "notifications/", "notifications/settings/")

PHONE_PAGES = ("", "kpis/{kpi}/", "okrs/{objective}/")


def _rows(slug: str) -> dict[str, object]:
    """The ids the pages name: a KPI, a scorecard, the active and a closed cycle, an objective
    of the active cycle and its key result, a team, a member, a data source, a library template."""
    from cycles.models import Cycle, CycleStatus
    from datasources.models import DataSource
    from kpis.models import Kpi
    from objectives.models import KeyResult
    from orgs.models import Membership, Organization, Role, Team
    from rituals import library
    from scorecards.models import Scorecard

    org = Organization.objects.get(slug=slug)
    kr = KeyResult.objects.filter(organization=org, objective__cycle__status=CycleStatus.ACTIVE).first()
    assert kr is not None
    ids = {
        "kpi": Kpi.objects.filter(organization=org).first(),
        "scorecard": Scorecard.objects.filter(organization=org).first(),
        "cycle": Cycle.objects.filter(organization=org, status=CycleStatus.ACTIVE).first(),
        "closed": Cycle.objects.filter(organization=org, status=CycleStatus.CLOSED).first(),
        "team": Team.objects.filter(organization=org).first(),
        "source": DataSource.objects.filter(organization=org).first(),
    }
    assert all(ids.values()), ids  # the demo seeds each kind
    member = Membership.objects.filter(organization=org, role=Role.MEMBER).first()
    return {
        **{name: row.pk for name, row in ids.items()},
        "objective": kr.objective_id,
        "kr": kr.pk,
        "member": member.user_id,
        "template": library.okr_templates()[0].key,
    }


def _in_review(rows: dict[str, object]) -> int:
    """Another objective of the active cycle, a draft waiting for review in a cycle that asks
    for approval: its page shows the reviewer's approve and request-changes form."""
    from cycles.models import Cycle
    from objectives.models import ApprovalStatus, Objective, ObjectiveStatus

    Cycle.objects.filter(pk=rows["cycle"]).update(approvals_required=True)
    objective = Objective.objects.filter(cycle_id=rows["cycle"]).exclude(pk=rows["objective"]).first()
    assert objective is not None
    Objective.objects.filter(pk=objective.pk).update(
        status=ObjectiveStatus.DRAFT, approval_status=ApprovalStatus.IN_REVIEW
    )
    return objective.pk


def _notifications(email: str) -> None:
    """A read and an unread notification for the member (the demo leaves the list empty)."""
    from django.utils import timezone

    from notifications.models import Notification, NotificationKind
    from orgs.models import Membership

    membership = Membership.objects.select_related("organization", "user").get(user__email=email)
    org, user = membership.organization, membership.user
    for kind, read_at in ((NotificationKind.MENTION, None), (NotificationKind.CHECK_IN_DUE, timezone.now())):
        Notification.objects.create(
            organization=org, recipient=user, kind=kind, message=f"{kind.label}", url=f"/o/{org.slug}/", read_at=read_at
        )


def _import_preview(browser, url: str, slug: str, folder) -> None:  # noqa: F811
    """The import's check page: the active cycle's OKR export uploaded on the import page."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    from core.spreadsheet import to_csv
    from cycles.models import Cycle
    from rituals import exports, review

    cycle = Cycle.objects.get(organization__slug=slug, status="active")
    path = folder / "okrs.csv"
    path.write_text(
        to_csv(exports.cycle_rows(review.review_objectives(org=cycle.organization, cycle=cycle), cycle=cycle))
    )
    browser.get(url)
    Select(browser.find_element(By.NAME, "kind")).select_by_value("okrs")
    browser.find_element(By.NAME, "file").send_keys(str(path))
    _click(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    WebDriverWait(browser, 60).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".import-preview")))


def _check(browser, url: str, language: str) -> list[dict]:  # noqa: F811
    """The page's serious and critical violations, once it has loaded as itself (answered 200,
    not an error page, and in the reader's language)."""
    from selenium.webdriver.common.by import By

    browser.get(url)
    browser.find_element(By.CSS_SELECTOR, "main")
    assert browser.execute_script(STATUS) == 200, url
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == language, url
    return _read(browser)


def _read(browser) -> list[dict]:  # noqa: F811
    """axe's serious and critical violations on the page as it stands, its folded parts (menus,
    add forms) opened so that their content is read too: axe leaves hidden content out."""
    browser.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")
    return _axe(browser)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "vi"])
def test_axe_finds_no_serious_violation_on_any_page_of_the_navigation(
    live_server,
    browser,  # noqa: F811
    language,
    tmp_path,
):
    from django.core.management import call_command
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from orgs.demo import ADMIN_EMAIL, DEMO_PASSWORD
    from orgs.models import User

    call_command("seed_demo", stdout=io.StringIO())
    member = MEMBER[language]
    User.objects.filter(email__in=[ADMIN_EMAIL, member]).update(language=language)
    rows = _rows(SLUG[language])
    rows["in_review"] = _in_review(rows)
    org = f"{live_server.url}/o/{SLUG[language]}/"
    browser.set_script_timeout(60)
    found: dict[str, list[dict]] = {}
    _notifications(member)
    # Before anyone logs in, in the language the visitor chose: the login page's two steps
    # (e-mail, then password) and the password reset.
    browser.get(f"{live_server.url}/accounts/login/")
    browser.add_cookie({"name": "django_language", "value": language})
    found["/accounts/password-reset/"] = _check(browser, f"{live_server.url}/accounts/password-reset/", language)
    found["/accounts/login/"] = _check(browser, f"{live_server.url}/accounts/login/", language)
    browser.find_element(By.NAME, "username").send_keys(member)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    WebDriverWait(browser, 30, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda b: b.find_element(By.NAME, "password").is_displayed()
    )
    found["/accounts/login/ (password)"] = _read(browser)
    visits = (
        (member, [org + page.format(**rows) for page in MEMBER_PAGES]),
        (ADMIN_EMAIL, [org + page.format(**rows) for page in ORG_PAGES] + [live_server.url + p for p in ACCOUNT_PAGES]),
    )
    for email, urls in visits:
        _login(browser, live_server, email, DEMO_PASSWORD)
        for url in urls:
            if violations := _check(browser, url, language):
                found[f"{url.removeprefix(live_server.url)} ({email})"] = violations
    # The import's check page, after an upload (as the admin).
    _import_preview(browser, f"{org}settings/import/", SLUG[language], tmp_path)
    found[f"{browser.current_url.removeprefix(live_server.url)} (import check)"] = _read(browser)
    # On a phone, as the admin: the header folds (the logo's and the menu's names out of
    # sight) and wide tables scroll in their frames.
    browser.set_window_size(390, 844)
    for page in PHONE_PAGES:
        url = org + page.format(**rows)
        found[f"{url.removeprefix(live_server.url)} (phone)"] = _check(browser, url, language)
    found = {page: violations for page, violations in found.items() if violations}
    report = [f"{page}: {v['id']} ({v['impact']}) at {v['nodes']}" for page, vs in found.items() for v in vs]
    assert not found, "axe-core's serious and critical violations:\n" + "\n".join(report)
