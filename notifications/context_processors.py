from __future__ import annotations

from django.http import HttpRequest

from notifications.selectors import unread_count


def bell(request: HttpRequest) -> dict:
    """The unread count for the bell, on organisation pages only (one query)."""
    org = getattr(request, "org", None)
    user = getattr(request, "user", None)
    if org is None or user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": unread_count(org=org, user=user)}
