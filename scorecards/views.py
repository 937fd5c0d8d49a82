"""The executive pages: the organisation's dashboard and the cascade."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from activity.selectors import activity_for
from cycles.selectors import cycle_list, default_cycle
from okrkpi.core.ids import parse_id
from orgs.models import Membership, Team
from orgs.tenancy import org_view, scoped
from scorecards.cascade import cascade
from scorecards.dashboard import dashboard_summary


@org_view
def dashboard(request: HttpRequest) -> HttpResponse:
    org = request.org
    context = {
        **dashboard_summary(org=org, user=request.user),
        "team_count": scoped(Team, org).count(),
        "recent": activity_for(org=org, limit=12),
    }
    return render(request, "scorecards/dashboard.html", context)


@org_view
def cascade_page(request: HttpRequest) -> HttpResponse:
    """The executive view: the cycle's aligned objectives as a tree, and every team's progress."""
    org = request.org
    cycles = list(cycle_list(org=org))
    wanted = request.GET.get("cycle")
    cycle = next((c for c in cycles if c.pk == parse_id(wanted)), None) or default_cycle(org=org)
    if wanted and cycle is not None and cycle.pk != parse_id(wanted):
        raise Http404
    doc = cascade(org=org, cycle=cycle) if cycle else None
    teams = dict(scoped(Team, org).values_list("id", "name"))
    people = {m.user_id: m.user.display_name for m in scoped(Membership, org).select_related("user")}
    return render(
        request,
        "scorecards/cascade.html",
        {"cycles": cycles, "cycle": cycle, "doc": doc, "teams": teams, "people": people},
    )
