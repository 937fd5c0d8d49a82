"""The objective page's check-in form carries a one-time token, as My check-ins does
(``core.idempotency.form_save_once``): a double-click saves once, and the second
answer says the check-in was already saved."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from activity.models import ActivityEntry
from objectives.models import CheckIn
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective


@pytest.fixture
def kr(world_a):
    objective = make_objective(world_a.org, make_cycle(world_a.org), user=world_a.member, owner_type="person")
    return make_kr(objective, owner=world_a.member, title="Qualified leads", start=0, target=100)


def _page(kr) -> str:
    return f"/o/alpha/okrs/{kr.objective_id}/"


def _form_of(html: str, kr) -> dict[str, str]:
    """The hidden fields of the key result's check-in form, as the browser sends them."""
    form = html.split(f'action="/o/alpha/key-results/{kr.pk}/check-in/"', 1)[1].split("</form>", 1)[0]
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))


def _check_in_url(kr) -> str:
    return f"/o/alpha/key-results/{kr.pk}/check-in/"


def test_a_double_click_on_the_objective_pages_check_in_saves_once(world_a, web, kr):
    client = web(world_a.member)
    hidden = _form_of(client.get(_page(kr)).content.decode(), kr)
    assert hidden.get("once")
    form = {**hidden, "value": "40", "confidence": "7", "note": "Webinar"}
    first = client.post(_check_in_url(kr), form, follow=True)
    assert first.status_code == 200 and "Check-in saved." in first.content.decode()
    again = client.post(_check_in_url(kr), form, follow=True)  # the double-click's second request
    assert again.status_code == 200 and "already saved" in again.content.decode()
    assert CheckIn.objects.filter(key_result=kr).count() == 1
    assert ActivityEntry.objects.filter(target_id=kr.pk, verb="key_result.checked_in").count() == 1
    # The page shown next carries a new token: the next check-in saves.
    fresh = _form_of(again.content.decode(), kr)
    assert fresh["once"] != hidden["once"]
    assert "Check-in saved." in client.post(_check_in_url(kr), {**form, **fresh}, follow=True).content.decode()
    assert CheckIn.objects.filter(key_result=kr).count() == 2


def test_a_repeated_htmx_check_in_answers_already_saved(world_a, web, kr):
    client = web(world_a.member)
    form = {**_form_of(client.get(_page(kr)).content.decode(), kr), "value": "40", "confidence": "7"}
    first = client.post(_check_in_url(kr), form, HTTP_HX_REQUEST="true")
    assert first.status_code == 200 and "Saved" in first.content.decode()
    again = client.post(_check_in_url(kr), form, HTTP_HX_REQUEST="true")
    assert again.status_code == 200 and "Already saved" in again.content.decode()
    assert CheckIn.objects.filter(key_result=kr).count() == 1


def test_a_check_in_sent_back_with_an_error_keeps_its_token_usable(world_a, web, kr):
    """Nothing saved, nothing spent: the corrected resend (from the same page) saves."""
    client = web(world_a.member)
    hidden = _form_of(client.get(_page(kr)).content.decode(), kr)
    assert client.post(_check_in_url(kr), {**hidden, "value": "lots", "confidence": "7"}).status_code == 302
    assert not CheckIn.objects.filter(key_result=kr).exists()
    saved = client.post(_check_in_url(kr), {**hidden, "value": "40", "confidence": "7"}, follow=True)
    assert "Check-in saved." in saved.content.decode()
    assert CheckIn.objects.filter(key_result=kr).count() == 1


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_double_click_on_the_objective_page_saves_once(world_a, settings, monkeypatch):
    """Both requests of a double-click arrive at once: one saves, the other rolls back."""
    from django.test import Client

    from objectives import queue
    from tests.concurrency import at_once

    if connection.vendor != "postgresql":
        pytest.skip("twin requests need PostgreSQL's concurrent transactions")
    settings.ROLLUP_INLINE = False
    monkeypatch.setattr(queue, "publish_rollups", lambda *, org_id: True)
    objective = make_objective(world_a.org, make_cycle(world_a.org), user=world_a.member, owner_type="person")
    kr = make_kr(objective, owner=world_a.member, target=100)
    first = Client()
    first.force_login(world_a.member)
    form = {**_form_of(first.get(_page(kr)).content.decode(), kr), "value": "40", "confidence": "7"}

    def click(_i: int) -> int:
        browser = Client()
        browser.cookies = first.cookies
        return browser.post(_check_in_url(kr), form).status_code

    assert at_once(click, 3) == [302, 302, 302]
    assert CheckIn.objects.filter(key_result=kr).count() == 1
