"""Error pages that know the API: under ``/api/`` every error Django itself answers (an
unknown address, a crash, a refused CSRF token, a bad request) is JSON in the API's one
format (``core.api``), never an HTML page a client cannot read. Elsewhere Django's
own pages answer, unchanged.

DRF's views already answer their own errors (405, 403 for a session without its CSRF
token, validation); these cover what happens outside them.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django.views.csrf import csrf_failure as django_csrf_failure
from django.views.decorators.csrf import requires_csrf_token

API_PREFIX = "/api/"


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def _json(status: int, message: str) -> JsonResponse:
    return JsonResponse({"message": message, "errors": {}}, status=status)


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception, **kwargs: Any) -> HttpResponse:
    if is_api(request):
        return _json(400, "Bad request.")
    return defaults.bad_request(request, exception, **kwargs)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception, **kwargs: Any) -> HttpResponse:
    if is_api(request):
        return _json(403, str(exception) or "You do not have permission to perform this action.")
    return defaults.permission_denied(request, exception, **kwargs)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception, **kwargs: Any) -> HttpResponse:
    if is_api(request):
        return _json(404, "Not found: no such address in the API (see /api/v1/docs/).")
    return defaults.page_not_found(request, exception, **kwargs)


@requires_csrf_token
def server_error(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    if is_api(request):
        # Nothing of the failure is shown: it is in the server's log.
        return _json(500, "Server error: the request failed. It may be retried (with the same Idempotency-Key).")
    return defaults.server_error(request, **kwargs)


def csrf_failure(request: HttpRequest, reason: str = "", **kwargs: Any) -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: a form's or a client's missing or stale CSRF token."""
    if is_api(request):
        return _json(403, f"CSRF check failed: {reason or 'the token is missing or wrong'}.")
    return django_csrf_failure(request, reason=reason, **kwargs)
