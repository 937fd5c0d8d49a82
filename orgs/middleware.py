from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

from orgs.tenancy import request_memberships


class UserLanguageMiddleware:
    """Activate the user's own language, else their current organisation's.

    Runs after authentication; the browser's preference (LocaleMiddleware)
    applies only to anonymous visitors and users with no choice anywhere.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            lang = preferred_language(request, _slug_from_path(request.path_info) or request.session.get("current_org"))
            if lang:
                translation.activate(lang)
                request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


def preferred_language(request: HttpRequest, org_slug: str | None) -> str | None:
    """The user's own language, else their (current) organisation's, else that of the first
    organisation they joined; None when neither is set. Reads the request's one list of
    memberships (``orgs.tenancy.request_memberships``)."""
    lang = getattr(request.user, "language", "")
    if lang:
        return lang
    memberships = request_memberships(request)
    if org_slug:
        memberships = [m for m in memberships if m.organization.slug == org_slug]
    first = min(memberships, key=lambda m: m.pk, default=None)
    return (first.organization.language if first else "") or None


def _slug_from_path(path: str) -> str | None:
    """The organisation of /o/<slug>/… and /api/v1/orgs/<slug>/… URLs."""
    parts = path.strip("/").split("/")
    if len(parts) >= 2 and parts[0] == "o":
        return parts[1]
    if len(parts) >= 4 and parts[:3] == ["api", "v1", "orgs"]:
        return parts[3]
    return None
