from __future__ import annotations

from django.http import HttpRequest

from orgs import permissions
from orgs.models import Membership


def tenancy(request: HttpRequest) -> dict:
    """The current organisation and the user's other organisations, for the
    navigation bar and the organisation switcher (one query, lazily)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = getattr(request, "membership", None)

    def my_memberships() -> list[Membership]:
        return list(Membership.objects.filter(user=user).select_related("organization").order_by("organization__name"))

    return {
        "current_org": getattr(request, "org", None),
        "current_membership": membership,
        "my_memberships": my_memberships,
        "is_org_admin": bool(membership and permissions.is_admin(membership)),
        "can_plan": bool(membership and permissions.can_plan(membership)),
    }
