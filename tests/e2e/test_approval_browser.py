"""A real browser takes an objective through its review by clicks and keystrokes, in a cycle
that asks for approval (DESIGN §3): the owner submits it with its key results; their manager
finds it in To do, opens it, writes what should change and requests changes; the owner reads
the state and the comment, raises a key result's target and submits again; the manager
approves; the owner activates it — refused with a message before the approval. In English
the whole path; in Vietnamese submit, approve and activate, with the labels translated."""

from __future__ import annotations

import pytest

from objectives.models import ApprovalStatus, Objective, ObjectiveReview, ObjectiveStatus
from tests.e2e.test_browser import _click, _found, _leave_field, _login, browser  # noqa: F401  (the browser fixture)
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective

# The words a person reads, in each language.
WORDS = {
    "en": {
        "todo": "To do",
        "review": "Review “Win the north”",
        "submit": "Submit for review",
        "approve": "Approve",
        "request": "Request changes",
        "activate": "Activate",
        "save": "Save",
        "in_review": "In review",
        "changes": "Changes requested",
        "approved": "Approved",
        "refused": "can be activated once it is approved",
        "activated": "Objective activated.",
    },
    "vi": {
        "todo": "Việc cần làm",
        "review": "Duyệt “Win the north”",
        "submit": "Gửi duyệt",
        "approve": "Duyệt",
        "activate": "Kích hoạt",
        "in_review": "Đang duyệt",
        "approved": "Đã duyệt",
        "refused": "chỉ được kích hoạt sau khi được duyệt",
        "activated": "Đã kích hoạt mục tiêu.",
    },
}


def _button(driver, label: str):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.XPATH, f"//main//button[normalize-space()='{label}']")


def _badge(driver, status: str, label: str) -> None:
    """Wait for the review section to show ``status`` under its translated label."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    located = (By.CSS_SELECTOR, f"#approval .badge.approval-{status}")
    WebDriverWait(driver, 30).until(ec.text_to_be_present_in_element(located, label))


def _status(objective: Objective) -> tuple[str, str]:
    objective.refresh_from_db()
    return objective.approval_status, objective.status


def _submit(driver, words, note: str) -> None:
    """The owner, on the objective's page: a note for the reviewer, then "Submit for review"."""
    from selenium.webdriver.common.by import By

    field = driver.find_element(By.ID, "approval-submit-comment")
    _click(driver, field)
    field.send_keys(note)
    _click(driver, _button(driver, words["submit"]))
    _badge(driver, "in_review", words["in_review"])
    assert not _found(driver, By.ID, "approval-submit-comment")  # no second submission


def _open_from_todo(driver, live_server, words, email: str, password: str) -> None:
    """The reviewer logs in, opens To do and follows the objective waiting for them."""
    from selenium.webdriver.common.by import By

    _login(driver, live_server, email, password)
    driver.find_element(By.LINK_TEXT, words["todo"]).click()
    driver.find_element(By.PARTIAL_LINK_TEXT, words["review"]).click()
    _badge(driver, "in_review", words["in_review"])


def _activate(driver, words, objective: Objective) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    _click(driver, _button(driver, words["activate"]))
    located = (By.CSS_SELECTOR, ".messages")
    WebDriverWait(driver, 30).until(ec.text_to_be_present_in_element(located, words["activated"]))
    assert _status(objective) == (ApprovalStatus.APPROVED, ObjectiveStatus.ACTIVE)


def _refused_before_approval(driver, words, objective: Objective) -> None:
    """Activate before the approval: a message on the page, and still a draft."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    _click(driver, _button(driver, words["activate"]))
    located = (By.CSS_SELECTOR, ".messages")
    WebDriverWait(driver, 30).until(ec.text_to_be_present_in_element(located, words["refused"]))
    assert _status(objective)[1] == ObjectiveStatus.DRAFT


def _setup(world, language: str):
    cycle = make_cycle(world.org, status="planning")
    cycle.approvals_required = True
    cycle.save(update_fields=["approvals_required"])
    objective = make_objective(world.org, cycle, title="Win the north", owner_type="person", user=world.member)
    make_kr(objective, title="Sign 10 distributors", owner=world.member, target=10)
    make_kr(objective, title="Open 2 warehouses", owner=world.member, target=2)
    for user in (world.member, world.manager):
        user.language = language
        user.save(update_fields=["language"])
    return objective


@pytest.mark.django_db(transaction=True)
def test_an_objective_is_submitted_sent_back_resubmitted_approved_and_activated(
    world_a,
    live_server,
    browser,  # noqa: F811
    password,
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    words = WORDS["en"]
    objective = _setup(world_a, "en")
    page = f"{live_server.url}/o/alpha/okrs/{objective.pk}/"
    wait = WebDriverWait(browser, 30)

    # The owner: the objective is a draft under review rules; activating it now is refused.
    _login(browser, live_server, world_a.member.email, password)
    browser.get(page)
    _badge(browser, "draft", "Draft")
    _refused_before_approval(browser, words, objective)
    _submit(browser, words, "Both key results are agreed with sales.")
    assert not _found(browser, By.XPATH, f"//main//button[normalize-space()='{words['approve']}']")
    assert _status(objective) == (ApprovalStatus.IN_REVIEW, ObjectiveStatus.DRAFT)

    # The manager asks for changes, saying which.
    _open_from_todo(browser, live_server, words, world_a.manager.email, password)
    comment = browser.find_element(By.ID, "approval-review-comment")
    _click(browser, comment)
    comment.send_keys("Ten distributors is too safe: aim for fifteen.")
    _click(browser, _button(browser, words["request"]))
    _badge(browser, "changes_requested", words["changes"])
    assert _status(objective)[0] == ApprovalStatus.CHANGES_REQUESTED

    # The owner reads the state and the comment, raises the target and submits again.
    _login(browser, live_server, world_a.member.email, password)
    browser.get(page)
    _badge(browser, "changes_requested", words["changes"])
    assert "aim for fifteen" in browser.find_element(By.CSS_SELECTOR, "#approval .review-log").text
    kr = objective.key_results.get(title="Sign 10 distributors")
    _click(browser, browser.find_element(By.CSS_SELECTOR, f"#key-results a[href$='/key-results/{kr.pk}/edit/']"))
    target = browser.find_element(By.NAME, "target_value")
    target.clear()
    target.send_keys("15")
    _leave_field(browser)
    _click(browser, _button(browser, words["save"]))
    wait.until(ec.presence_of_element_located((By.ID, "approval")))
    kr.refresh_from_db()
    assert kr.target_value == 15
    _badge(browser, "changes_requested", words["changes"])
    _submit(browser, words, "Fifteen it is.")

    # The manager approves; the owner activates it.
    _open_from_todo(browser, live_server, words, world_a.manager.email, password)
    _click(browser, _button(browser, words["approve"]))
    _badge(browser, "approved", words["approved"])
    _login(browser, live_server, world_a.member.email, password)
    browser.get(page)
    _badge(browser, "approved", words["approved"])
    _activate(browser, words, objective)
    actions = list(ObjectiveReview.objects.filter(objective=objective).order_by("id").values_list("action", flat=True))
    assert actions == ["submitted", "changes_requested", "submitted", "approved"]


@pytest.mark.django_db(transaction=True)
def test_in_vietnamese_an_objective_is_submitted_approved_and_activated(
    world_a,
    live_server,
    browser,  # noqa: F811
    password,
):
    words = WORDS["vi"]
    objective = _setup(world_a, "vi")
    page = f"{live_server.url}/o/alpha/okrs/{objective.pk}/"

    _login(browser, live_server, world_a.member.email, password)
    browser.get(page)
    _badge(browser, "draft", "Bản nháp")
    _refused_before_approval(browser, words, objective)
    _submit(browser, words, "Đã thống nhất với phòng kinh doanh.")
    assert _status(objective) == (ApprovalStatus.IN_REVIEW, ObjectiveStatus.DRAFT)

    _open_from_todo(browser, live_server, words, world_a.manager.email, password)
    _click(browser, _button(browser, words["approve"]))
    _badge(browser, "approved", words["approved"])

    _login(browser, live_server, world_a.member.email, password)
    browser.get(page)
    _badge(browser, "approved", words["approved"])
    _activate(browser, words, objective)
