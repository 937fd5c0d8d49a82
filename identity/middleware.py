"""Keeps each session's last address and time (the "where you are logged in" page)."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse

from identity.receivers import SESSION_SEEN, _address
from identity.services.sessions import session_seen

# At most one write per session in this many seconds: a page view must not write each time.
SEEN_EVERY = 300


class SessionActivityMiddleware:
    """After authentication: refresh the session's row when it was last refreshed more than
    ``SEEN_EVERY`` seconds ago (wall-clock time, so a test's pinned clock moves nothing), and
    adopt a logged-in session that has no row yet."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and session.session_key and SESSION_KEY in session:
            seen = session.get(SESSION_SEEN)
            now = time.time()
            if not isinstance(seen, (int, float)) or now - seen > SEEN_EVERY:
                user = request.user
                if user.is_authenticated:
                    session_seen(
                        user=user,
                        session_key=session.session_key,
                        user_agent=str(request.META.get("HTTP_USER_AGENT", "")),
                        address=_address(request),
                    )
                    session[SESSION_SEEN] = now
        return self.get_response(request)
