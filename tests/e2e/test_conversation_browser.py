"""In a real headless browser: a member replies to a colleague's check-in and
mentions her; she lands on her To do inbox after login and opens the mention;
her manager lands on his and acknowledges her check-in."""

from __future__ import annotations

import pytest

from conversations.models import Acknowledgement, Comment, Mention
from objectives import services as okr
from tests.e2e.test_browser import _login, browser  # noqa: F401 — the shared browser fixture
from tests.factories import MembershipFactory, UserFactory, place
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective


@pytest.mark.django_db(transaction=True)
def test_comment_mention_inbox_and_acknowledge(world_a, live_server, browser, password, settings):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    settings.ROLLUP_INLINE = True
    wait = WebDriverWait(browser, 30)
    sam = UserFactory(email="sam@alpha.test", name="Sam Tran")
    MembershipFactory(organization=world_a.org, user=sam, role="member")
    place(world_a.team, sam)
    today = world_a.org.today()
    cycle = make_cycle(world_a.org, name="This quarter", start=today.replace(day=1), days=120)
    objective = make_objective(world_a.org, cycle, title="Win the south", owner_type="person", user=sam)
    kr = make_kr(objective, title="Sign 10 distributors", owner=sam, target=10)
    other = make_kr(objective, title="Open 2 warehouses", owner=sam, target=2)
    okr.objective_set_status(objective=objective, actor=world_a.admin, status="active")
    check_in = okr.key_result_check_in(key_result=kr, actor=sam, value=3, confidence=7, note="Three signed")
    okr.key_result_check_in(key_result=other, actor=sam, value=1, confidence=8)

    # The member opens the objective from the OKR list and replies under Sam's check-in.
    _login(browser, live_server, world_a.member.email, password)
    browser.find_element(By.LINK_TEXT, "OKRs").click()
    browser.find_element(By.LINK_TEXT, "Win the south").click()
    thread = browser.find_element(By.ID, f"check-in-{check_in.pk}")
    thread.find_element(By.CSS_SELECTOR, "details.reply summary").click()
    box = thread.find_element(By.CSS_SELECTOR, "textarea[name=body]")
    box.send_keys("@sam@alpha.test great start, how did you sign them?")
    thread.find_element(By.CSS_SELECTOR, "details.reply button[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, f"#check-in-{check_in.pk} li.comment")))
    comment = Comment.objects.get()
    assert comment.check_in_id == check_in.pk and comment.author == world_a.member
    assert "@sam@alpha.test" in browser.find_element(By.ID, f"comment-{comment.pk}").text

    # Sam logs in and lands on her inbox, where the mention waits; opening it clears it.
    _login(browser, live_server, sam.email, password)
    wait.until(ec.url_contains("/o/alpha/todo/"))
    mention = browser.find_element(By.XPATH, "//button[contains(., 'Member alpha mentioned you on')]")
    mention.click()
    wait.until(ec.url_contains(f"#comment-{comment.pk}"))
    assert Mention.objects.get(user=sam).seen_at is not None

    # The manager lands on his inbox and acknowledges Sam's check-ins.
    _login(browser, live_server, world_a.manager.email, password)
    wait.until(ec.url_contains("/o/alpha/todo/"))
    item = browser.find_element(
        By.XPATH, "//li[contains(@class, 'inbox-item')][.//a[contains(., 'Sam Tran checked in 2 key results')]]"
    )
    item.find_element(By.XPATH, ".//button[normalize-space()='Acknowledge']").click()
    wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, "main"), "2 check-ins acknowledged."))
    assert Acknowledgement.objects.filter(user=world_a.manager).count() == 2
    assert "Sam Tran checked in" not in browser.find_element(By.CSS_SELECTOR, "main").text
