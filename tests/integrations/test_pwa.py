"""The installable app: the manifest, the service worker's scope, check-ins queued
offline (sent once, a conflict refused instead of overwriting) and web push."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.contrib.staticfiles import finders

from integrations.models import InboundDelivery, PushSubscription
from integrations.services.push import push_send
from objectives import services
from objectives.models import CheckIn


def test_the_manifest_names_the_app_its_scope_and_icons(client):
    response = client.get("/manifest.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"
    data = response.json()
    assert data["scope"] == "/" and data["display"] == "standalone" and data["start_url"].startswith("/start/")
    assert {icon["sizes"] for icon in data["icons"]} == {"192x192", "512x512"}
    for icon in data["icons"]:
        assert finders.find(icon["src"].removeprefix(settings.STATIC_URL)), icon["src"]


def test_the_service_worker_is_served_from_the_root_with_the_whole_site_as_scope(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    body = response.content.decode()
    assert '"/offline/"' in body and "js/pwa.js" in body and "addAll(SHELL)" in body
    assert client.get("/offline/").status_code == 200


def test_pages_link_the_manifest_and_the_worker_script(client, desk):
    client.force_login(desk.world.member)
    page = client.get(f"/o/{desk.world.org.slug}/check-ins/").content.decode()
    assert 'rel="manifest" href="/manifest.webmanifest"' in page and "js/pwa.js" in page


def _url(desk) -> str:
    return f"/o/{desk.world.org.slug}/check-ins/offline/"


def test_a_queued_batch_is_saved_once_and_a_conflict_is_not_overwritten(client, desk):
    world = desk.world
    leads, deals, _launch = desk.krs
    client.force_login(world.member)
    versions = client.get(_url(desk)).json()["versions"]
    assert versions == {str(kr.pk): "" for kr in desk.krs}
    # While the phone was offline, the manager checked in on "Deals".
    services.key_result_check_in(key_result=deals, actor=world.manager, value=3, confidence=6)
    batch = {
        "key": "batch-1",
        "items": [
            {"key_result": leads.pk, "value": "45", "confidence": "7", "seen": versions[str(leads.pk)]},
            {"key_result": deals.pk, "value": "5", "confidence": "7", "seen": versions[str(deals.pk)]},
        ],
    }
    for _attempt in range(2):  # the page sends it again: it is saved once
        response = client.post(_url(desk), data=json.dumps(batch), content_type="application/json")
        assert response.status_code == 200
    answer = response.json()
    assert answer["saved"] == 1 and answer["not_saved"] == 1 and answer["replayed"] is True
    assert "while you were offline" in answer["html"] and "Deals" in answer["html"]
    assert CheckIn.objects.filter(key_result=leads).count() == 1
    assert list(CheckIn.objects.filter(key_result=deals).values_list("value", flat=True)) == [3]
    assert InboundDelivery.objects.filter(platform="web").count() == 1


def test_a_viewer_cannot_send_queued_check_ins(client, desk):
    client.force_login(desk.world.viewer)
    body = {"key": "b", "items": [{"key_result": desk.krs[0].pk, "value": "4", "seen": ""}]}
    response = client.post(_url(desk), data=json.dumps(body), content_type="application/json")
    assert response.status_code == 403
    assert not CheckIn.objects.exists()


class _PushService:
    def __init__(self) -> None:
        self.received: list[dict] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the standard library's name
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                service.received.append({k.lower(): v for k, v in self.headers.items()})
                self.send_response(201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/push/1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@pytest.fixture
def push_service(settings):
    vapid = ec.generate_private_key(ec.SECP256R1())
    number = vapid.private_numbers().private_value.to_bytes(32, "big")
    settings.VAPID_PRIVATE_KEY = _b64(number)
    settings.VAPID_PUBLIC_KEY = _b64(
        vapid.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    service = _PushService()
    yield service
    service.server.shutdown()
    service.server.server_close()


def _subscribe(desk, url: str) -> PushSubscription:
    browser = ec.generate_private_key(ec.SECP256R1())
    p256dh = browser.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return PushSubscription.objects.create(
        organization=desk.world.org, user=desk.world.member, endpoint=url, p256dh=_b64(p256dh), auth=_b64(b"0" * 16)
    )


def test_a_push_is_encrypted_and_signed_with_the_vapid_key(desk, push_service):
    _subscribe(desk, push_service.url)
    sent = push_send(org_id=desk.world.org.pk, user_ids=[desk.world.member.pk], title="T", body="B", url="/", tag="t")
    assert sent == 1
    (headers,) = push_service.received
    assert headers["content-encoding"] == "aes128gcm"
    assert headers["authorization"].startswith("vapid t=")


def test_the_weekly_sweep_pushes_once(desk, push_service, django_capture_on_commit_callbacks):
    from datetime import UTC, datetime

    from notifications.outbox import outbox_deliver_all
    from reminders.sweep import sweep_organization

    _subscribe(desk, push_service.url)
    for _run in range(2):  # a second (overlapping, retried) sweep claims nothing: no second push
        with django_capture_on_commit_callbacks(execute=True):
            result = sweep_organization(org=desk.world.org, now=datetime(2026, 11, 2, 12, tzinfo=UTC), dispatch=False)
        outbox_deliver_all(ids=result.outbox_ids)
    assert len(push_service.received) == 1


def test_a_browser_subscribes_within_its_own_organisation_only(client, desk, world_b, settings):
    settings.VAPID_PUBLIC_KEY = "x"
    client.force_login(desk.world.member)
    subscription = {"endpoint": "https://push.example/abc", "keys": {"p256dh": "k", "auth": "a"}}
    mine = {"org": desk.world.org.slug, "subscription": subscription}
    theirs = {"org": world_b.org.slug, "subscription": subscription}
    assert (
        client.post("/push/subscriptions/", data=json.dumps(theirs), content_type="application/json").status_code == 400
    )
    assert (
        client.post("/push/subscriptions/", data=json.dumps(mine), content_type="application/json").status_code == 201
    )
    assert PushSubscription.objects.get().organization == desk.world.org
