"""Two-factor login (TOTP, django-otp) for password users: enrolment with a QR code and
one-time recovery codes, and the check of a code at login. A wrong code counts like a wrong
password in the login throttle (``orgs.throttle``), per account and per client."""

from __future__ import annotations

import qrcode
import qrcode.image.svg
from django.db import transaction
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from identity.services.security import security_event, security_event_everywhere
from orgs.models import Organization, User

RECOVERY_CODES = 10


def has_two_factor(*, user: User) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def enrolment_device(*, user: User) -> TOTPDevice:
    """The person's unconfirmed authenticator, made on first call (its secret is what the QR
    code carries); the same one until it is confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def qr_svg(device: TOTPDevice) -> str:
    """The device's ``otpauth://`` address as an SVG QR code (no image library needed)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    return str(image.to_string(encoding="unicode"))


@transaction.atomic
def two_factor_confirm(*, user: User, code: str, request: HttpRequest | None) -> list[str] | None:
    """Confirm the enrolment with a first code; returns the recovery codes (shown once), or
    None when the code is wrong."""
    device = enrolment_device(user=user)
    if not device.verify_token(code.strip().replace(" ", "")):
        return None
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name="recovery codes")
    codes = [str(StaticToken.random_token()) for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=c) for c in codes])
    security_event_everywhere(user=user, verb="two_factor_enabled", request=request)
    return codes


def two_factor_verify(*, user: User, code: str) -> str | None:
    """Which factor accepted the code ("totp" or "recovery", a recovery code then spent), or
    None. The caller counts a None in the login throttle."""
    code = code.strip().replace(" ", "")
    if not code:
        return None
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        if device.verify_token(code):
            return "totp"
    for static in StaticDevice.objects.filter(user=user):
        if static.verify_token(code):
            return "recovery"
    return None


@transaction.atomic
def two_factor_require(*, org: Organization, actor: User, required: bool, request: HttpRequest | None) -> None:
    """An admin asks password logins to the organisation for a second factor (or stops)."""
    if org.require_two_factor == required:
        return
    org.require_two_factor = required
    org.save(update_fields=["require_two_factor"])
    security_event(
        org=org, actor=actor, verb="two_factor_required" if required else "two_factor_optional", request=request
    )
