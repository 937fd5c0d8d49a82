from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from activity.selectors import activity_for
from orgs.tenancy import org_view


@org_view
def activity_log(request: HttpRequest) -> HttpResponse:
    """The organisation's activity log, newest first."""
    return render(request, "activity/log.html", {"entries": activity_for(org=request.org, limit=200)})
