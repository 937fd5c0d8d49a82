from __future__ import annotations

from django.http import HttpRequest

from notifications.selectors import unread_count


def bell(request: HttpRequest) -> dict:
    """The unread count for the bell, on organisation pages only (read with the memberships, else one query)."""
    org = getattr(request, "org", None)
    user = getattr(request, "user", None)
    if org is None or user is None or not user.is_authenticated:
        return {}
    # Read with the user's memberships at the start of the request; marking notifications
    # read is a POST that redirects, so the page that shows the bell reads the new count.
    membership = getattr(request, "membership", None)
    count = getattr(membership, "unread_notifications", None)
    restricted: int = getattr(membership, "unread_restricted", 0)
    if count is None or restricted:
        # Unread ones about team-only or private objectives count only while they may be seen.
        count = unread_count(org=org, user=user, membership=membership)
    return {"unread_notifications": count}
