from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def push(request: HttpRequest) -> dict[str, str]:
    """The VAPID public key the page subscribes with (empty: web push is off)."""
    return {"vapid_public_key": settings.VAPID_PUBLIC_KEY}
