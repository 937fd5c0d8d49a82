"""The organisation's dashboard: pace, teams, movers, what needs attention, KPIs and the
company scorecard."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language

from activity.selectors import activity_for
from core.ids import parse_id
from cycles.models import Cycle
from cycles.selectors import cycle_list
from kpis.models import Perspective
from objectives import forecast_text, forecasts
from objectives.restricted import hidden_objectives
from orgs.tenancy import org_view, scoped
from scorecards.charts import pace_chart
from scorecards.dashboard import DashboardRequest, pick_cycle
from scorecards.dashboard import dashboard as dashboard_document
from scorecards.dashboard.restricted import for_reader, reader_part
from scorecards.documents import cached_document, document_key
from scorecards.selectors import company_scorecard_summary
from scorecards.views.params import as_of_params

MISS_SHOWN = 10


@org_view
def dashboard(request: HttpRequest) -> HttpResponse:
    """Company pace, health per team, movers, what needs attention and KPI status; as of a day."""
    org = request.org
    form, params = as_of_params(request)
    cycles = cached_document(document_key("cycles", org), lambda: list(cycle_list(org=org)))
    cycle = pick_cycle(cycles, params.get("cycle"))
    if params.get("cycle") and cycle is None:
        raise Http404
    doc = None
    chart = None
    panels_key = None
    if cycle is not None:
        # Everything the cached panels show besides the document: the language, the day shown,
        # the "since" field as typed (a bound form echoes it), the slug in their links. Not the
        # raw query: unknown parameters would fill the cache with copies.
        panels_key = document_key(
            "dashboard-panels",
            org,
            org.slug,
            cycle.pk,
            get_language(),
            params.get("as_of"),
            request.GET.get("since", "")[:40],
            *reader_part(request.membership, cycle.pk),
        )
        doc = dashboard_document(
            org=org, request=DashboardRequest(cycle=cycle, as_of=params.get("as_of"), since=params.get("since"))
        )
        doc = for_reader(doc, request.membership)
        chart = pace_chart(start=cycle.start_date, end=cycle.end_date, day=doc["day"], series=doc["series"])
    context = {
        "cycles": cycles,
        "cycle": cycle,
        "doc": doc,
        "chart": chart,
        "panels_key": panels_key,
        "form": form,
        "as_of": params.get("as_of"),
        "today": org.today(),
        "perspective_labels": dict(Perspective.choices),
        "my_key_results": doc["key_results_by_owner"].get(request.user.pk, 0) if doc else 0,
        # Every activity entry bumps the organisation's data version: cached like the figures.
        "recent": []
        if params.get("as_of")
        else cached_document(
            document_key("activity", org, *reader_part(request.membership, None)),
            lambda: list(activity_for(org=org, limit=8, reader=request.membership)),
        ),
        # The company scorecard's perspective scores, when one exists (scorecard edits and
        # measurements are logged, so the data version keys it like the figures).
        "company_scorecard": cached_document(
            document_key("company-scorecard", org, params.get("as_of")),
            lambda: (company_scorecard_summary(org=org, as_of=params.get("as_of")),),
        )[0],
    }
    return render(request, "scorecards/dashboard.html", context)


@org_view
def predicted_to_miss(request: HttpRequest) -> HttpResponse:
    """The dashboard's "predicted to miss" panel (loaded after the page, so the page's own
    queries stay as they were): the active objectives of an open cycle forecast under their
    type's bar, with the calibration of the forecast beside them."""
    org = request.org
    cycle = scoped(Cycle, org).filter(pk=parse_id(request.GET.get("cycle", ""))).first()
    if cycle is None:
        raise Http404
    rows = [] if cycle.is_closed else forecasts.predicted_to_miss(org=org, cycle=cycle)
    hidden = hidden_objectives(request.membership, cycle_id=cycle.pk)
    rows = [r for r in rows if r.id not in hidden]
    context = {
        "cycle": cycle,
        "rows": rows[:MISS_SHOWN],
        "count": len(rows),
        "calibration": forecast_text.calibration_lines(forecasts.calibration(org=org)),
    }
    return render(request, "scorecards/_predicted_to_miss.html", context)
