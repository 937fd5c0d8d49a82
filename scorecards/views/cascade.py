"""The cascade page and an objective's alignment."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from cycles.selectors import cycle_list
from objectives import progress as progress_math
from objectives.models import Objective
from objectives.tree import ObjectiveRow, objective_rows
from orgs.models import Team
from orgs.tenancy import org_view, scoped
from scorecards.cascade import cascade, closed_grades
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
    return render(
        request,
        "scorecards/cascade.html",
        {"cycles": cycles, "cycle": cycle, "doc": doc, "form": form, "as_of": params.get("as_of")},
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
    """An objective's ancestors up to the company and everything aligned below it, with
    progress and health at each level. The cycle's objectives in one query; an ancestor in
    another cycle costs one more."""
    org = request.org
    objective = scoped(Objective, org).select_related("cycle", "owner_user").filter(pk=objective_id).first()
    if objective is None:
        raise Http404
    today = org.today()
    team_names = dict(scoped(Team, org).values_list("id", "name"))
    rows = {o.id: o for o in objective_rows(org=org, cycle=objective.cycle)}
    rows[objective.pk] = _row(objective)
    expected = progress_math.expected_progress(start=objective.cycle.start_date, end=objective.cycle.end_date, on=today)
    # A closed cycle reads as closed: grades instead of health (one more query).
    closed = objective.cycle.is_closed
    grades = closed_grades(org=org, cycle=objective.cycle) if closed else {}

    ancestors: list[dict[str, Any]] = []
    seen = {objective.pk}
    parent_id = objective.parent_id
    while parent_id is not None and parent_id not in seen and len(ancestors) < MAX_ALIGNMENT_DEPTH:
        seen.add(parent_id)
        if parent_id in rows:
            row, cycle = rows[parent_id], objective.cycle
        else:  # aligned to an objective of another cycle (or a cancelled one)
            other = scoped(Objective, org).select_related("cycle", "owner_user").filter(pk=parent_id).first()
            if other is None:
                break
            row, cycle = _row(other), other.cycle
        if cycle.is_closed:  # graded, not tracked
            grade = grades.get(row.id) if cycle == objective.cycle else closed_grades(org=org, cycle=cycle).get(row.id)
            ancestors.append(_node(row, health=None, team_names=team_names, closed=True, grade=grade))
        else:
            ancestors.append(_node(row, health=row.health(org=org, cycle=cycle, on=today), team_names=team_names))
        parent_id = row.parent
    ancestors.reverse()

    children: dict[int, list[ObjectiveRow]] = {}
    for o in rows.values():
        if o.parent is not None and o.id != objective.pk:
            children.setdefault(o.parent, []).append(o)

    def tree(o: ObjectiveRow, trail: frozenset[int]) -> dict[str, Any]:
        health = o.health(org=org, cycle=objective.cycle, on=today, closed=closed)
        node = _node(o, health=health, team_names=team_names, closed=closed, grade=grades.get(o.id))
        node["children"] = [tree(c, trail | {o.id}) for c in children.get(o.id, []) if c.id not in trail]
        return node

    focus = tree(rows[objective.pk], frozenset(seen))
    return render(
        request,
        "scorecards/alignment.html",
        {"objective": objective, "ancestors": ancestors, "focus": focus, "expected": expected},
    )
