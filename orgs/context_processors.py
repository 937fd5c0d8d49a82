from __future__ import annotations

from django.http import HttpRequest

from orgs import permissions
from orgs.tenancy import request_memberships


def tenancy(request: HttpRequest) -> dict:
    """The current organisation and the user's other organisations, for the
    navigation bar and the organisation switcher (the request's one list of memberships)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = getattr(request, "membership", None)

    return {
        "current_org": getattr(request, "org", None),
        "current_membership": membership,
        "my_memberships": lambda: request_memberships(request),
        "is_org_admin": bool(membership and permissions.is_admin(membership)),
        "can_plan": bool(membership and permissions.can_plan(membership)),
        "can_manage_cycles": bool(membership and permissions.can_manage_cycles(membership)),
    }
