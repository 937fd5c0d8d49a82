"""Check-ins are safe to retry: the API's ``Idempotency-Key`` and My check-ins' one-time token.

A client whose answer was lost (a timeout, a 500 after the write) sends the same request
again: with the same key, the first answer comes back and nothing new is stored. A
double-click on My check-ins saves once.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.response import Response

from activity.models import ActivityEntry
from core.models import IdempotencyKey
from objectives.models import CheckIn, KeyResult
from objectives.services import check_ins
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective

URL = "/api/v1/orgs/alpha/check-ins/"


@pytest.fixture
def kr(world_a):
    objective = make_objective(world_a.org, make_cycle(world_a.org), user=world_a.member, owner_type="person")
    return make_kr(objective, owner=world_a.member, title="Qualified leads", start=0, target=100)


def _client(api, user):
    client = api(user)
    client.raise_request_exception = False  # answer a crash as a server would: a 500
    return client


def _lose_the_first_answer(monkeypatch) -> list[int]:
    """The first answer fails while it is rendered, after the view returned and its write
    committed: the client gets a 500 for a check-in that was stored."""
    lost: list[int] = []
    rendered = Response.rendered_content

    def render_or_fail(self):
        if not lost:
            lost.append(1)
            raise ConnectionResetError("the answer was lost on its way back")
        return rendered.fget(self)

    monkeypatch.setattr(Response, "rendered_content", property(render_or_fail))
    return lost


def test_a_retry_after_a_lost_answer_returns_the_first_check_in_and_stores_nothing_new(world_a, api, kr, monkeypatch):
    client = _client(api, world_a.member)
    key = str(uuid.uuid4())
    body = {"key_result": kr.pk, "value": 40, "confidence": 7, "note": "Webinar"}
    lost = _lose_the_first_answer(monkeypatch)
    first = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert lost and first.status_code == 500
    assert first["Content-Type"] == "application/json" and "message" in first.json()
    assert CheckIn.objects.filter(key_result=kr).count() == 1  # written before the answer was lost

    retry = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert retry.status_code == 201, retry.content
    assert retry["Idempotent-Replayed"] == "true"
    stored = CheckIn.objects.get(key_result=kr)
    assert retry.json()["id"] == stored.pk and retry.json()["value"] == 40
    again = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert again.json() == retry.json()
    assert CheckIn.objects.filter(key_result=kr).count() == 1
    assert ActivityEntry.objects.filter(target_id=kr.pk, verb="key_result.checked_in").count() == 1

    # A new key is a new check-in.
    fresh = client.post(URL, body | {"value": 45}, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert fresh.status_code == 201 and fresh.json()["id"] != stored.pk
    assert CheckIn.objects.filter(key_result=kr).count() == 2


def test_the_same_key_with_another_body_is_refused_and_writes_nothing(world_a, api, kr):
    client = _client(api, world_a.member)
    key = "retry-me-1"
    assert (
        client.post(
            URL, {"key_result": kr.pk, "value": 40, "confidence": 7}, format="json", HTTP_IDEMPOTENCY_KEY=key
        ).status_code
        == 201
    )
    r = client.post(URL, {"key_result": kr.pk, "value": 41, "confidence": 7}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert r.status_code == 422
    assert "different request" in r.json()["message"] and "Idempotency-Key" in r.json()["errors"]
    assert list(CheckIn.objects.filter(key_result=kr).values_list("value", flat=True)) == [40.0]
    assert KeyResult.objects.get(pk=kr.pk).current_value == 40.0


def test_a_refused_check_in_keeps_no_answer_and_the_retry_is_judged_afresh(world_a, api, kr):
    client = _client(api, world_a.member)
    r = client.post(
        URL, {"key_result": kr.pk, "value": "lots", "confidence": 7}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert r.status_code == 400 and not IdempotencyKey.objects.exists()
    r = client.post(URL, {"key_result": kr.pk, "value": 12, "confidence": 7}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert r.status_code == 201 and CheckIn.objects.filter(key_result=kr).count() == 1


def test_keys_belong_to_the_person_and_expire(world_a, api, kr):
    body = {"key_result": kr.pk, "value": 40, "confidence": 7}
    member, admin = _client(api, world_a.member), _client(api, world_a.admin)
    first = member.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    # Someone else's identical key is their own request.
    other = admin.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    assert first.status_code == other.status_code == 201 and other.json()["id"] != first.json()["id"]
    assert CheckIn.objects.filter(key_result=kr).count() == 2
    # After 24 hours a key is forgotten: the same request is a new check-in.
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    later = member.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    assert later.status_code == 201 and later.json()["id"] not in (first.json()["id"], other.json()["id"])
    assert CheckIn.objects.filter(key_result=kr).count() == 3
    assert IdempotencyKey.objects.filter(user_id=world_a.member.pk).count() == 1  # the expired one went


def test_a_malformed_key_is_a_400_naming_the_header(world_a, api, kr):
    r = _client(api, world_a.member).post(
        URL, {"key_result": kr.pk, "value": 1, "confidence": 7}, format="json", HTTP_IDEMPOTENCY_KEY="x" * 256
    )
    assert r.status_code == 400 and "Idempotency-Key" in r.json()["errors"]
    assert not CheckIn.objects.exists()


def _require_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the API's check-in opens no transaction only on PostgreSQL")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("one_statement", [True, False])
def test_on_postgresql_a_crash_after_the_one_statement_write_leaves_nothing_to_duplicate(
    world_a, api, settings, monkeypatch, one_statement
):
    """The unlocked check-in commits by itself; with a key it commits with its answer, so a
    crash before the answer rolls it back and the retry stores it once."""
    from objectives import queue

    _require_postgresql()
    settings.ROLLUP_INLINE = False  # the one-statement path (inline rollups take the row lock)
    monkeypatch.setattr(queue, "publish_rollups", lambda *, org_id: True)
    monkeypatch.setattr(check_ins, "ONE_STATEMENT_CHECK_IN", one_statement)
    objective = make_objective(world_a.org, make_cycle(world_a.org), user=world_a.member, owner_type="person")
    kr = make_kr(objective, owner=world_a.member, target=100)
    announce = check_ins._announce_check_in
    crashes: list[int] = []

    def crash_once(*args, **kwargs):
        if not crashes:
            crashes.append(1)
            raise ConnectionError("the chat relay went away mid-request")
        return announce(*args, **kwargs)

    monkeypatch.setattr(check_ins, "_announce_check_in", crash_once)
    client = _client(api, world_a.member)
    body = {"key_result": kr.pk, "value": 30, "confidence": 6}
    first = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="pg-1")
    assert first.status_code == 500 and first.json()["message"]
    retry = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="pg-1")
    assert retry.status_code == 201, retry.content
    assert CheckIn.objects.filter(key_result=kr).count() == 1
    assert retry.json()["id"] == CheckIn.objects.get(key_result=kr).pk
    assert client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="pg-1").json()["id"] == retry.json()["id"]
    assert CheckIn.objects.filter(key_result=kr).count() == 1


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_lost_answer_is_replayed_by_the_unlocked_check_in(world_a, api, settings, monkeypatch):
    from objectives import queue

    _require_postgresql()
    settings.ROLLUP_INLINE = False
    monkeypatch.setattr(queue, "publish_rollups", lambda *, org_id: True)
    objective = make_objective(world_a.org, make_cycle(world_a.org), user=world_a.member, owner_type="person")
    kr = make_kr(objective, owner=world_a.member, target=100)
    client = _client(api, world_a.member)
    body = {"key_result": kr.pk, "value": 30, "confidence": 6}
    _lose_the_first_answer(monkeypatch)
    assert client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="pg-2").status_code == 500
    retry = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="pg-2")
    assert retry.status_code == 201 and retry.json()["id"] == CheckIn.objects.get(key_result=kr).pk


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_twin_requests_with_one_key_store_one_check_in(world_a, api, settings, monkeypatch):
    """A double-sent request: both copies arrive at once; one is written, both answers name it."""
    from objectives import queue
    from tests.concurrency import at_once

    _require_postgresql()
    settings.ROLLUP_INLINE = False
    monkeypatch.setattr(queue, "publish_rollups", lambda *, org_id: True)
    objective = make_objective(world_a.org, make_cycle(world_a.org), user=world_a.member, owner_type="person")
    kr = make_kr(objective, owner=world_a.member, target=100)
    body = {"key_result": kr.pk, "value": 30, "confidence": 6}

    def send(_i: int):
        r = _client(api, world_a.member).post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="twin")
        return r.status_code, r.json()["id"]

    answers = at_once(send, 4)
    assert {status for status, _id in answers} == {201}
    assert len({check_in for _status, check_in in answers}) == 1
    assert CheckIn.objects.filter(key_result=kr).count() == 1
    assert ActivityEntry.objects.filter(target_id=kr.pk, verb="key_result.checked_in").count() == 1


# --- My check-ins: the one-time token ----------------------------------------------------

PAGE = "/o/alpha/check-ins/"


def _token(html: str) -> str:
    import re

    return re.search(r'<input type="hidden" name="once" value="([^"]+)"', html).group(1)


def test_my_check_ins_sent_twice_with_one_token_saves_once(world_a, client, kr):
    client.force_login(world_a.member)
    token = _token(client.get(PAGE).content.decode())
    form = {f"kr{kr.pk}-value": "40", f"kr{kr.pk}-confidence": "7", f"kr{kr.pk}-note": "Webinar", "once": token}
    assert client.post(PAGE, form).status_code == 302
    again = client.post(PAGE, form, follow=True)  # the double-click's second request
    assert again.status_code == 200 and "already saved" in again.content.decode()
    assert CheckIn.objects.filter(key_result=kr).count() == 1
    # The page shown next carries a new token: the next check-in saves.
    fresh = _token(again.content.decode())
    assert fresh != token
    assert client.post(PAGE, form | {f"kr{kr.pk}-value": "45", "once": fresh}).status_code == 302
    assert CheckIn.objects.filter(key_result=kr).count() == 2


def test_a_row_waiting_for_confirmation_is_saved_with_the_new_pages_token(world_a, client, kr):
    """The first submission saved a row and asked about another: the page it shows has a new
    token, so confirming saves the asked row (and the saved one is not saved again)."""
    other = make_kr(kr.objective, owner=world_a.member, title="Demos", start=0, target=10)
    client.force_login(world_a.member)
    token = _token(client.get(PAGE).content.decode())
    form = {
        f"kr{kr.pk}-value": "40", f"kr{kr.pk}-confidence": "7",
        f"kr{other.pk}-value": "90", f"kr{other.pk}-confidence": "7",
        "once": token,
    }  # fmt: skip
    r = client.post(PAGE, form)
    assert r.status_code == 400 and "big jump" in r.content.decode()
    form |= {f"kr{other.pk}-confirm": "on", "once": _token(r.content.decode())}
    assert client.post(PAGE, form).status_code == 302
    assert CheckIn.objects.filter(key_result=kr).count() == 1
    assert CheckIn.objects.filter(key_result=other).count() == 1


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_double_click_on_my_check_ins_saves_once(world_a, settings, monkeypatch):
    """Both requests of a double-click arrive at once: one saves, the other rolls back."""
    from django.test import Client

    from objectives import queue
    from tests.concurrency import at_once

    _require_postgresql()
    settings.ROLLUP_INLINE = False
    monkeypatch.setattr(queue, "publish_rollups", lambda *, org_id: True)
    objective = make_objective(world_a.org, make_cycle(world_a.org), user=world_a.member, owner_type="person")
    kr = make_kr(objective, owner=world_a.member, target=100)
    first = Client()
    first.force_login(world_a.member)
    token = _token(first.get(PAGE).content.decode())
    form = {f"kr{kr.pk}-value": "40", f"kr{kr.pk}-confidence": "7", "once": token}

    def click(_i: int) -> int:
        browser = Client()
        browser.cookies = first.cookies
        return browser.post(PAGE, form).status_code

    assert at_once(click, 3) == [302, 302, 302]
    assert CheckIn.objects.filter(key_result=kr).count() == 1
