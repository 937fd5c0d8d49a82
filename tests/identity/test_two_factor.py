"""Two-factor login (TOTP): enrolment with a QR code and recovery codes, login with a code, a
wrong code throttled like a wrong password, a recovery code used once, and an organisation
that requires it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp import models as totp_models
from django_otp.plugins.otp_totp.models import TOTPDevice

from activity.models import ActivityEntry
from orgs.models import Organization

pytestmark = pytest.mark.django_db

MOMENT = 1_796_119_200.0  # the pinned clock TOTP codes are computed at


@pytest.fixture
def clock(monkeypatch):
    """Pins the clock TOTP devices read (and only theirs: the login throttle keeps its own);
    a test moves it a step on demand."""
    now = {"t": MOMENT}
    monkeypatch.setattr(totp_models, "time", SimpleNamespace(time=lambda: now["t"]))
    return now


def _code(device: TOTPDevice, at: float) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = at
    return f"{totp.token():06d}"


def _enrol(client, user, clock) -> list[str]:
    page = client.get("/accounts/two-factor/")
    assert page.status_code == 200 and b"<svg" in page.content and b"totp-secret" in page.content
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert (
        client.post(
            "/accounts/two-factor/", {"code": "000000" if _code(device, clock["t"]) != "000000" else "111111"}
        ).status_code
        == 200
    )
    r = client.post("/accounts/two-factor/", {"code": _code(device, clock["t"])})
    assert r.status_code == 200 and b"recovery codes" in r.content
    return list(r.context["codes"])


def _password(client, user, password):
    return client.post("/accounts/login/", {"username": user.email, "password": password})


def test_enrol_then_log_in_with_a_code(world_a, client, password, clock):
    _password(client, world_a.member, password)
    codes = _enrol(client, world_a.member, clock)
    assert len(codes) == 10 and TOTPDevice.objects.get(user=world_a.member).confirmed
    client.logout()
    r = _password(client, world_a.member, password)
    assert r.status_code == 302 and r["Location"] == "/accounts/login/verify/"
    assert "_auth_user_id" not in client.session  # the password alone opens nothing
    clock["t"] += 30  # the next code
    device = TOTPDevice.objects.get(user=world_a.member)
    r = client.post("/accounts/login/verify/", {"code": _code(device, clock["t"])})
    assert r.status_code == 302 and int(client.session["_auth_user_id"]) == world_a.member.pk
    assert client.get("/o/alpha/").status_code == 200
    login = ActivityEntry.objects.filter(verb="security.login").first()  # the newest
    assert login.after["method"] == "password+totp"


def test_a_wrong_code_is_refused_and_counted_like_a_wrong_password(world_a, client, password, clock):
    _password(client, world_a.member, password)
    _enrol(client, world_a.member, clock)
    client.logout()
    _password(client, world_a.member, password)
    answers = [client.post("/accounts/login/verify/", {"code": "123456"}) for _ in range(12)]
    assert all(a.status_code == 200 for a in answers) and "_auth_user_id" not in client.session
    assert b"That code is not right" in answers[0].content
    # Past the account's free failures it waits, even for the right code ...
    assert b"Too many failed attempts" in answers[-1].content
    device = TOTPDevice.objects.get(user=world_a.member)
    r = client.post("/accounts/login/verify/", {"code": _code(device, clock["t"] + 30)})
    assert "_auth_user_id" not in client.session and b"Too many failed attempts" in r.content
    # ... and for the password, from another browser: one count for both.
    other = type(client)(REMOTE_ADDR="198.51.100.1")
    r = _password(other, world_a.member, password)
    assert r.status_code == 200 and b"Too many failed attempts" in r.content
    failed = ActivityEntry.objects.filter(organization=world_a.org, verb="security.login_failed")
    assert failed.exists() and failed.first().after["method"] == "two_factor"


def test_a_recovery_code_works_once(world_a, client, password, clock):
    _password(client, world_a.member, password)
    codes = _enrol(client, world_a.member, clock)
    client.logout()
    _password(client, world_a.member, password)
    assert client.post("/accounts/login/verify/", {"code": codes[0]}).status_code == 302
    client.logout()
    _password(client, world_a.member, password)
    assert client.post("/accounts/login/verify/", {"code": codes[0]}).status_code == 200
    assert "_auth_user_id" not in client.session


def test_an_organisation_that_requires_it_asks_for_it(world_a, client, password, clock, web):
    assert web(world_a.manager).post("/o/alpha/settings/two-factor/", {"require_two_factor": "on"}).status_code == 403
    admin = web(world_a.admin)
    assert admin.post("/o/alpha/settings/two-factor/", {"require_two_factor": "on"}).status_code == 302
    assert Organization.objects.get(slug="alpha").require_two_factor
    member = type(client)()
    _password(member, world_a.member, password)
    r = member.get("/o/alpha/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/two-factor/?next=")
    _enrol(member, world_a.member, clock)
    assert member.get("/o/alpha/").status_code == 200
    assert ActivityEntry.objects.filter(verb="security.two_factor_required").exists()
