"""How identity follows Django's login signals (connected in ``IdentityConfig.ready``)."""

from __future__ import annotations

import time
from typing import Any

from django.http import HttpRequest

from identity.services import security, sessions
from orgs.models import User

# Session keys of ``identity.middleware``: when the row was last refreshed (wall-clock seconds).
SESSION_SEEN = "okrkpi_seen"
# The session's ``UserSession`` row, which a later login of the same person (a new key) moves.
SESSION_ROW = "okrkpi_session_row"
# Set on the request by a login that is not a password's ("sso").
LOGIN_METHOD = "_okrkpi_login_method"


def _address(request: HttpRequest) -> str | None:
    address = security.request_facts(request).get("client_address")
    return None if address in (None, "unknown") else address


def session_opened(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    """A login: the session gets its row. The security event is written where the credential
    was checked (the login page, single sign-on), not here: ``login()`` is also how a test or
    an accepted invitation opens a session."""
    if request is None or not hasattr(request, "session"):
        return
    method = getattr(request, LOGIN_METHOD, "password")
    if request.session.session_key is None:
        request.session.save()
    row = sessions.session_track(
        user=user,
        session_key=str(request.session.session_key),
        user_agent=str(request.META.get("HTTP_USER_AGENT", "")),
        address=_address(request),
        method=method,
        row_id=request.session.get(SESSION_ROW),
    )
    request.session[SESSION_ROW] = row.pk
    request.session[SESSION_SEEN] = time.time()


def session_closed(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session") and request.session.session_key:
        sessions.session_forget(session_key=request.session.session_key)


def login_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    """A refused password: logged in each organisation of the account it was tried on (an
    unknown address belongs to none)."""
    email = str(credentials.get("username") or credentials.get("email") or "").strip()
    if not email:
        return
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        security.security_event_everywhere(user=user, verb="login_failed", request=request)
