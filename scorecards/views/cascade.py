"""The cascade page and an objective's alignment."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from cycles.selectors import cycle_list
from objectives import progress as progress_math
from objectives.alignment import contribution_counts
from objectives.models import Objective
from objectives.tree import ObjectiveRow
from orgs.tenancy import org_view, scoped
from orgs.visibility import can_see
from scorecards.alignment_graph import alignment_graph
from scorecards.cascade import cascade, for_reader
from scorecards.dashboard import pick_cycle
from scorecards.documents import cached_document, document_key
from scorecards.owners import row_owner_name
from scorecards.views.params import as_of_params

MAX_ALIGNMENT_DEPTH = 50


@org_view
def cascade_page(request: HttpRequest) -> HttpResponse:
    """The executive view: the cycle's aligned objectives as a tree, and every team's progress;
    as of a day from the snapshots."""
    org = request.org
    form, params = as_of_params(request)
    cycles = cached_document(document_key("cycles", org), lambda: list(cycle_list(org=org)))
    cycle = pick_cycle(cycles, params.get("cycle"))
    if params.get("cycle") and cycle is None:
        raise Http404
    doc = None
    if cycle is not None:
        as_of = params.get("as_of")
        doc = cached_document(
            document_key("cascade-page", org, cycle.pk, as_of), lambda: cascade(org=org, cycle=cycle, as_of=as_of)
        )
        doc = for_reader(doc, request.membership)
    # "Also contributes to 2 more": each objective shows under its primary parent only.
    also = contribution_counts(org.pk, cycle.pk) if cycle is not None else {}
    return render(
        request,
        "scorecards/cascade.html",
        {"cycles": cycles, "cycle": cycle, "doc": doc, "form": form, "as_of": params.get("as_of"), "also": also},
    )


def _node(
    o: ObjectiveRow,
    *,
    health: str | None,
    team_names: dict[int, str],
    closed: bool = False,
    grade: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "id": o.id,
        "title": o.title,
        "owner_type": o.owner_type,
        "owner_name": row_owner_name(o, team_names),
        "progress": o.progress,
        "health": health,
        "closed": closed,
        "grade": grade,
        "status": o.status,
        "children": [],
    }


def _row(o: Objective) -> ObjectiveRow:
    user = o.owner_user
    return ObjectiveRow(
        o.pk,
        o.title,
        o.owner_type,
        o.owner_team_id,
        o.owner_user_id,
        o.parent_id,
        o.status,
        o.progress,
        o.confidence,
        user.name if user else "",
        user.email if user else "",
        commitment=o.commitment,
        activated_at=o.activated_at,
    )


@org_view
def alignment(request: HttpRequest, objective_id: int) -> HttpResponse:
    """An objective's alignment graph: every objective it feeds up to the company (its primary
    parent and its contributions), everything feeding it below, each link with its weight and
    share (``scorecards.alignment_graph``). A fixed number of queries, whatever the size."""
    org = request.org
    objective = scoped(Objective, org).select_related("cycle", "owner_user").filter(pk=objective_id).first()
    if objective is None or not can_see(request.membership, objective):
        raise Http404
    cycle = objective.cycle
    expected = (
        progress_math.expected_progress(start=cycle.start_date, end=cycle.end_date, on=org.today()) if cycle else 0.0
    )
    graph = alignment_graph(org=org, objective=objective, reader=request.membership)
    return render(
        request,
        "scorecards/alignment.html",
        {
            "objective": objective,
            "levels": graph["levels"],
            "ancestors": [node for row in graph["levels"][:-1] for node in row],
            "focus": graph["down"],
            "expected": expected,
        },
    )
