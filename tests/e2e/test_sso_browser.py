"""A real browser logs in through an organisation's identity provider (the tests' own, on
127.0.0.1): the e-mail first, no password, the provider, back with a session for that
organisation."""

from __future__ import annotations

import pytest

from orgs.models import Membership, User
from tests.e2e.test_browser import browser  # noqa: F401  (the browser fixture)
from tests.identity.conftest import configure, idp, rsa_keys  # noqa: F401  (the provider fixtures)


@pytest.mark.django_db(transaction=True)
def test_a_browser_logs_in_through_the_local_provider(world_a, live_server, browser, idp):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    configure(world_a.org, world_a.admin, idp, role_mapping={"okr-managers": "manager"})
    idp.claims = {"sub": "b-1", "email": "bao@alpha.test", "name": "Bảo Trần", "groups": ["okr-managers"]}
    browser.get(live_server.url + "/accounts/login/")
    browser.find_element(By.NAME, "username").send_keys("bao@alpha.test")
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    # The continue page goes on by itself to the provider, which answers at once with a code.
    WebDriverWait(browser, 30).until(lambda b: b.current_url.rstrip("/").endswith("/o/alpha"))
    assert "Bảo Trần" in browser.page_source or "bao@alpha.test" in browser.page_source
    bao = User.objects.get(email="bao@alpha.test")
    assert Membership.objects.get(organization=world_a.org, user=bao).role == "manager"
    logs = [e for e in browser.get_log("browser") if "Content Security Policy" in e.get("message", "")]
    assert logs == []
