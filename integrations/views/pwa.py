"""The installable app: ``/manifest.webmanifest``, the service worker ``/sw.js`` (served
from the root so that its scope is the whole site, and never cached by the browser's
HTTP cache: a new version must reach phones), the offline page, and the push
subscription of a signed-in person."""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from integrations.services.push import push_subscribe

SHELL_STATIC = [
    "vendor/pico/pico.min.css",
    "css/app.css",
    "css/rhythm.css",
    "vendor/htmx/htmx.min.js",
    "js/app.js",
    "js/forms.js",
    "js/checkins.js",
    "js/pwa.js",
    "img/logo.svg",
    "icons/icon-192.png",
]


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    data = {
        "name": "okrkpi",
        "short_name": "okrkpi",
        "description": _("Objectives, key results and KPIs: check in from your phone."),
        "start_url": reverse("start") + "?source=pwa",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#312e81",
        "icons": [
            {"src": static("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": static("icons/maskable-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
        ],
    }
    return HttpResponse(json.dumps(data, ensure_ascii=False), content_type="application/manifest+json")


def shell() -> list[str]:
    return [static(path) for path in SHELL_STATIC] + [reverse("integrations:offline")]


@require_GET
@never_cache
def service_worker(request: HttpRequest) -> HttpResponse:
    urls = shell()
    version = hashlib.sha256("\n".join(urls).encode()).hexdigest()[:12]
    response = render(
        request,
        "integrations/sw.js",
        {"shell_json": json.dumps(urls), "version": version, "offline_url": reverse("integrations:offline")},
        content_type="application/javascript; charset=utf-8",
    )
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    return render(request, "integrations/offline.html")


@login_required
@require_POST
def push_subscription(request: HttpRequest) -> JsonResponse:
    """Store this browser's push subscription for the person in their current organisation."""
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        return JsonResponse({"message": "Send JSON."}, status=400)
    if not settings.VAPID_PUBLIC_KEY:
        return JsonResponse({"message": "Push is not set up on this server."}, status=404)
    slug = str(data.get("org") or request.session.get("current_org") or "")
    subscription = push_subscribe(user=request.user, org_slug=slug, data=data.get("subscription") or {})
    if subscription is None:
        return JsonResponse({"message": "Not a subscription, or not your organisation."}, status=400)
    return JsonResponse({"id": subscription.pk}, status=201)
