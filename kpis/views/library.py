"""The KPI library page: every KPI grouped by perspective and owner."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.ids import parse_id
from kpis import selectors
from kpis.models import HISTORY_PERIODS, Perspective
from orgs import permissions
from orgs.forms import people_choices, team_choices
from orgs.ownership import OwnerType
from orgs.tenancy import org_view

# --- the library --------------------------------------------------------------------------------


def _owner_filter(raw: str) -> dict[str, Any]:
    """``company``, ``team:<id>`` or ``person:<id>`` → selector keyword arguments."""
    if raw == OwnerType.COMPANY:
        return {"owner_type": OwnerType.COMPANY}
    kind, _sep, ident = raw.partition(":")
    if kind == OwnerType.TEAM and parse_id(ident):
        return {"owner_team": parse_id(ident)}
    if kind == OwnerType.PERSON and parse_id(ident):
        return {"owner_user": parse_id(ident)}
    return {}


@org_view
def library(request: HttpRequest) -> HttpResponse:
    """Every KPI grouped by perspective, then owner, with its latest value, status and
    sparkline. A fixed number of queries whatever the number of KPIs."""
    org, m = request.org, request.membership
    owner = request.GET.get("owner", "")
    perspective = request.GET.get("perspective", "")
    show = request.GET.get("show", "active")
    filters = _owner_filter(owner)
    if perspective in Perspective.values:
        filters["perspective"] = perspective
    active = {"active": True, "inactive": False}.get(show)
    kpis = list(selectors.kpi_list(org=org, active=active, seen_by=request.membership, **filters))
    filtered = bool(filters) or show != "active"
    counts = {"green": 0, "amber": 0, "red": 0, "none": 0}
    for kpi in kpis:
        counts[kpi.status or "none"] += 1
    return render(
        request,
        "kpis/library.html",
        {
            "groups": selectors.kpi_library(org=org, kpis=kpis),
            "kpi_count": len(kpis),
            "counts": counts,
            "filtered": filtered,
            "owner": owner,
            "perspective": perspective,
            "show": show,
            "perspectives": Perspective.choices,
            "team_options": [(f"team:{pk}", name) for pk, name in team_choices(org)],
            "people_options": [(f"person:{pk}", name) for pk, name in people_choices(org)],
            "can_create": permissions.can_write(m),
            "today": org.today(),
            "history_periods": HISTORY_PERIODS,
        },
    )
