"""Microsoft Teams: the card's Action.Execute checks in once per activity; the Bot
Framework token is verified against configured keys (the test's own)."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone
from joserfc import jwt
from joserfc.jwk import RSAKey

from integrations.models import ChatLink
from integrations.services.links import installation_save
from integrations.teams import card
from objectives.models import CheckIn

URL = "/api/v1/integrations/teams/messages/"
APP_ID = "11111111-2222-3333-4444-555555555555"
TENANT = "tenant-alpha"
SERVICE = "https://smba.trafficmanager.net/emea/"


@pytest.fixture(scope="module")
def keys():
    return RSAKey.generate_key(2048, parameters={"kid": "k1"}), RSAKey.generate_key(2048, parameters={"kid": "k1"})


@pytest.fixture
def bot(desk, settings, keys):
    settings.TEAMS_APP_ID = APP_ID
    settings.TEAMS_JWKS = json.dumps({"keys": [keys[0].as_dict(private=False)]})
    world = desk.world
    installation = installation_save(org=world.org, actor=world.admin, platform="teams", external_id=TENANT)
    ChatLink.objects.create(
        organization=world.org, platform="teams", external_team=TENANT, external_user="aad-member", user=world.member
    )
    return installation


def _token(key, **claims) -> str:
    now = int(timezone.now().timestamp())
    body = {
        "iss": "https://api.botframework.com",
        "aud": APP_ID,
        "exp": now + 600,
        "nbf": now - 10,
        "serviceurl": SERVICE,
    }
    body.update(claims)
    return jwt.encode({"alg": "RS256", "kid": "k1"}, body, key)


def _invoke(client, data: dict, *, token: str, activity_id: str = "act-1", user: str = "aad-member"):
    activity = {
        "type": "invoke",
        "name": "adaptiveCard/action",
        "id": activity_id,
        "serviceUrl": SERVICE,
        "from": {"id": "29:x", "aadObjectId": user},
        "conversation": {"id": "a:1", "tenantId": TENANT},
        "value": {"action": {"type": "Action.Execute", "verb": "okrCheckIn", "data": data}, "trigger": "manual"},
    }
    return client.post(
        URL, data=json.dumps(activity), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def _data(desk) -> dict:
    leads, deals, launch = desk.krs
    return {f"kr:{leads.pk}": "45", f"conf:{leads.pk}": "8", f"kr:{deals.pk}": "4.5", f"kr:{launch.pk}": "done"}


def test_an_action_execute_saves_the_check_ins_once_and_answers_with_a_card(client, desk, bot, keys):
    token = _token(keys[0])
    for _attempt in range(2):
        response = _invoke(client, _data(desk), token=token)
        assert response.status_code == 200, response.content
    assert CheckIn.objects.count() == 3
    assert set(CheckIn.objects.values_list("origin", flat=True)) == {"chat"}
    answer = response.json()
    assert answer["type"] == "application/vnd.microsoft.card.adaptive"
    assert answer["value"]["body"][0]["text"].startswith("Saved: 3 key results")


@pytest.mark.parametrize("bad", ["audience", "issuer", "expired", "other_key", "service_url", "none"])
def test_a_bad_token_is_refused_with_nothing_saved(client, desk, bot, keys, bad):
    key = keys[1] if bad == "other_key" else keys[0]
    claims = {
        "audience": {"aud": "someone-else"},
        "issuer": {"iss": "https://evil.example"},
        "expired": {"exp": int(timezone.now().timestamp()) - 3600},
        "service_url": {"serviceurl": "https://evil.example/"},
    }.get(bad, {})
    token = "" if bad == "none" else _token(key, **claims)
    response = _invoke(client, _data(desk), token=token)
    assert response.status_code == 401
    assert not CheckIn.objects.exists()


def test_an_unlinked_teams_user_gets_the_linking_prompt(client, desk, bot, keys):
    response = _invoke(client, _data(desk), token=_token(keys[0]), user="aad-stranger")
    card_json = response.json()["value"]
    assert "/chat/link/" in card_json["actions"][0]["url"]
    assert not CheckIn.objects.exists()


def test_the_reminder_card_has_an_action_execute(desk):
    content = card(desk.krs, "Time to check in")
    assert content["actions"] == [{"type": "Action.Execute", "verb": "okrCheckIn", "title": "Submit"}]
    assert {b["id"] for b in content["body"] if "id" in b} >= {f"kr:{kr.pk}" for kr in desk.krs}


@pytest.fixture
def connector(settings):
    import integrations.teams as teams_module
    from tests.integrations.fakes import FakeApi

    api = FakeApi()
    settings.TEAMS_TOKEN_URL = api.url + "token"
    settings.TEAMS_APP_PASSWORD = "pw"
    teams_module._token.clear()
    yield api
    api.close()
    teams_module._token.clear()


def _message(client, text: str, *, token: str, service: str, user: str = "aad-member"):
    activity = {
        "type": "message",
        "id": "m-1",
        "text": text,
        "serviceUrl": service,
        "from": {"id": "29:x", "aadObjectId": user},
        "conversation": {"id": "a:conv/1", "tenantId": TENANT},
    }
    return client.post(
        URL, data=json.dumps(activity), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def test_checkin_typed_to_the_bot_posts_the_card_and_the_sweep_sends_the_reminder(
    client, desk, bot, keys, connector, django_capture_on_commit_callbacks
):
    from datetime import UTC, datetime

    from reminders.sweep import sweep_organization

    service = connector.url.removesuffix("api/") + "svc/"
    response = _message(client, "<at>okrkpi</at> checkin", token=_token(keys[0], serviceurl=service), service=service)
    assert response.status_code == 200
    assert ChatLink.objects.get(external_user="aad-member").conversation == "a:conv/1"
    (posted,) = [body for name, body, _h in connector.calls if name == "activities"]
    assert posted["attachments"][0]["content"]["actions"][0]["type"] == "Action.Execute"
    assert connector.paths[-1] == "/svc/v3/conversations/a%3Aconv%2F1/activities"
    assert [h for name, _b, h in connector.calls if name == "activities"][0]["Authorization"] == "Bearer bot-token"
    with django_capture_on_commit_callbacks(execute=True):
        sweep_organization(org=desk.world.org, now=datetime(2026, 11, 2, 12, tzinfo=UTC), dispatch=False)
    assert len([name for name, _b, _h in connector.calls if name == "activities"]) == 2
    assert not CheckIn.objects.exists()
