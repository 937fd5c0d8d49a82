from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from activity.selectors import activity_for
from orgs.permissions import is_admin
from orgs.tenancy import org_view


@org_view
def activity_log(request: HttpRequest) -> HttpResponse:
    """The organisation's activity log, newest first. Admins also read the security events
    (logins with their addresses, tokens, single sign-on) and may show those alone."""
    admin = is_admin(request.membership)
    only_security = admin and request.GET.get("security") == "1"
    security = True if only_security else (None if admin else False)
    entries = activity_for(org=request.org, limit=200, security=security, reader=request.membership)
    return render(request, "activity/log.html", {"entries": entries, "admin": admin, "only_security": only_security})
