"""A real browser mentions people by name by keystrokes, in English and in Vietnamese: "@" and
part of a name offer the matching members in a listbox (arrows, Enter, Escape), in a comment
and in a check-in note; the mention is stored as the person's id and shown with their name."""

from __future__ import annotations

import pytest

from conversations.models import Comment, Mention
from notifications.models import Notification
from objectives import services as okr
from objectives.models import CheckIn
from tests.e2e.test_browser import _click, _login, browser  # noqa: F401  (the browser fixture)
from tests.factories import MembershipFactory, UserFactory, place
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective


def _listbox(driver, field):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    list_id = field.get_attribute("aria-controls")
    WebDriverWait(driver, 15).until(
        lambda d: (
            d.find_element(By.ID, list_id).is_displayed()
            and d.find_elements(By.CSS_SELECTOR, f"#{list_id} [role=option]")
        )
    )
    return driver.find_element(By.ID, list_id)


@pytest.mark.parametrize("language", ["en", "vi"])
@pytest.mark.django_db(transaction=True)
def test_mention_by_name_by_keystrokes(language, world_a, live_server, browser, password):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    sam = UserFactory(email="sam@alpha.test", name="Sam Tran")
    MembershipFactory(organization=world_a.org, user=sam, role="member")
    sara = UserFactory(email="sara@alpha.test", name="Sara Le")
    MembershipFactory(organization=world_a.org, user=sara, role="member")
    cycle = make_cycle(world_a.org)
    objective = make_objective(world_a.org, cycle, title="Win the south", owner_type="person", user=world_a.member)
    kr = make_kr(objective, title="Sign 10 distributors", owner=world_a.member, target=10)
    make_kr(objective, title="Open 2 warehouses", owner=world_a.member, target=2)
    okr.objective_set_status(objective=objective, actor=world_a.admin, status="active")
    place(world_a.team, sam)
    world_a.member.language = language
    world_a.member.save(update_fields=["language"])
    wait = WebDriverWait(browser, 30)

    _login(browser, live_server, world_a.member.email, password)
    browser.get(f"{live_server.url}/o/alpha/okrs/{objective.pk}/")
    field = browser.find_element(By.CSS_SELECTOR, "#objective-comment-form textarea[name=body]")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", field)
    field.send_keys("Over to you @Sa")
    listbox = _listbox(browser, field)
    assert listbox.get_attribute("role") == "listbox"
    options = listbox.find_elements(By.CSS_SELECTOR, "[role=option]")
    assert [o.text for o in options] == ["Sam Tran", "Sara Le"]
    assert field.get_attribute("aria-activedescendant") == options[0].get_attribute("id")
    field.send_keys(Keys.ARROW_DOWN)
    assert options[1].get_attribute("aria-selected") == "true"
    assert field.get_attribute("aria-activedescendant") == options[1].get_attribute("id")
    field.send_keys(Keys.ARROW_UP)
    assert field.get_attribute("aria-activedescendant") == options[0].get_attribute("id")
    field.send_keys(Keys.ESCAPE)
    wait.until(lambda d: not listbox.is_displayed())
    assert field.get_attribute("aria-activedescendant") is None
    field.send_keys("m")  # "@Sam": only Sam now
    listbox = _listbox(browser, field)
    wait.until(lambda d: [o.text for o in listbox.find_elements(By.CSS_SELECTOR, "[role=option]")] == ["Sam Tran"])
    field.send_keys(Keys.ENTER)
    assert field.get_attribute("value") == "Over to you @Sam Tran "
    field.send_keys("please")
    _click(browser, browser.find_element(By.CSS_SELECTOR, "#objective-comment-form button[type=submit]"))
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".comments .mention")))
    assert Comment.objects.get().body == f"Over to you @[{sam.pk}] please"
    assert Mention.objects.filter(user=sam).exists()
    assert "@Sam Tran" in browser.find_element(By.CSS_SELECTOR, ".comments .mention").text

    # A check-in note on My check-ins: the same picker, and the person is told.
    browser.get(f"{live_server.url}/o/alpha/check-ins/")
    browser.find_element(By.NAME, f"kr{kr.pk}-value").send_keys("3")
    confidence = browser.find_element(By.NAME, f"kr{kr.pk}-confidence")
    confidence.clear()
    confidence.send_keys("7")
    note = browser.find_element(By.NAME, f"kr{kr.pk}-note")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", note)
    note.send_keys("Signed three with @sar")
    _listbox(browser, note)
    note.send_keys(Keys.ENTER)
    assert note.get_attribute("value") == "Signed three with @Sara Le "
    _click(browser, browser.find_element(By.CSS_SELECTOR, ".savebar-button"))
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".flash-success")))
    assert CheckIn.objects.get(key_result=kr).note == f"Signed three with @[{sara.pk}]"
    assert Notification.objects.filter(recipient=sara, kind="mention").exists()
