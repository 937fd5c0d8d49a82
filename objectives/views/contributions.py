"""The objective page's "also contributes to…": its further parents and aligned key results,
a search box for more, and removing one. The page asks for the section with htmx; without
JavaScript the same view is a page of its own."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.ids import parse_id
from cycles.models import CycleStatus
from objectives import services
from objectives.access import access_objective, check_objective_edit
from objectives.models import MAX_CONTRIBUTIONS, Contribution, KeyResult, KeyResultKind, Objective, ObjectiveStatus
from objectives.restricted import hidden_objectives, restricted_label, shows_count_only
from orgs.models import Membership
from orgs.tenancy import get_visible_or_404, org_view, visible

SEARCH_LIMIT = 12


def _candidates(m: Membership, objective: Objective, query: str) -> tuple[list[Objective], list[KeyResult]]:
    """Objectives of the organisation's open cycles and their aligned key results whose title
    holds ``query`` and that ``m`` may see: not the objective itself, nor what it already feeds."""
    org_id = objective.organization_id
    linked = Contribution.objects.filter(organization_id=org_id, child=objective)
    objectives = (
        visible(Objective, m)
        .filter(title__icontains=query, cycle__isnull=False)
        .exclude(cycle__status=CycleStatus.CLOSED)
        .exclude(status__in=(ObjectiveStatus.CANCELLED, ObjectiveStatus.CLOSED))
        .exclude(pk__in=[objective.pk, objective.parent_id or 0])
        .exclude(pk__in=linked.filter(parent__isnull=False).values("parent_id"))
        .select_related("cycle")
        .order_by("title", "id")[:SEARCH_LIMIT]
    )
    key_results = (
        visible(KeyResult, m)
        .filter(kind=KeyResultKind.ALIGNED, title__icontains=query)
        .exclude(objective__cycle__status=CycleStatus.CLOSED)
        .exclude(pk__in=linked.filter(key_result__isnull=False).values("key_result_id"))
        .select_related("objective")
        .order_by("title", "id")[:SEARCH_LIMIT]
    )
    return list(objectives), list(key_results)


def _section(
    request: HttpRequest, objective: Objective, *, errors: list[str] | None = None, status: int = 200
) -> HttpResponse:
    query = (request.GET.get("q") or request.POST.get("q") or "").strip()[:100]
    links = list(
        Contribution.objects.filter(organization_id=objective.organization_id, child=objective)
        .select_related("parent", "key_result__objective")
        .order_by("id")
    )
    hidden = hidden_objectives(request.membership)
    count_only = shows_count_only(request.membership)
    for link in links:  # what it feeds but the reader may not see: "1 restricted objective, 40%"
        target = link.parent if link.parent_id else link.key_result.objective
        link.restricted = (  # type: ignore[attr-defined]  # read by the section
            restricted_label(1, None if count_only else target.progress) if target.pk in hidden else ""
        )
    found: tuple[list[Objective], list[KeyResult]] = (
        _candidates(request.membership, objective, query) if query else ([], [])
    )
    context: dict[str, Any] = {
        "objective": objective,
        "links": links,
        "query": query,
        "found_objectives": found[0],
        "found_key_results": found[1],
        "errors": errors or [],
        "weight": request.POST.get("weight", "1"),
        "can_edit": objective.editable_by(request.membership),
        "max_links": MAX_CONTRIBUTIONS,
    }
    partial = bool(request.headers.get("HX-Request"))
    template = "objectives/_contributions.html" if partial else "objectives/contributions.html"
    # htmx swaps only 2xx answers: a refusal comes back as the section with its message.
    return render(request, template, context, status=200 if partial else status)


@org_view
def objective_contributions(request: HttpRequest, objective_id: int) -> HttpResponse:
    """The section (htmx) or page: current links, and with ``?q=`` what else it could feed."""
    return _section(request, access_objective(request.membership, objective_id))


def _after_write(request: HttpRequest, objective: Objective) -> HttpResponse:
    if request.headers.get("HX-Request"):
        return _section(request, objective)
    return redirect(reverse("objectives:contributions", args=[request.org.slug, objective.pk]))


@org_view
@require_POST
def contribution_add(request: HttpRequest, objective_id: int) -> HttpResponse:
    """Link the objective to the chosen objective (``target=o:<id>``) or aligned key result
    (``target=k:<id>``) with the typed weight; a refusal re-renders the section with its
    message and the search and weight as typed."""
    objective = access_objective(request.membership, objective_id)
    check_objective_edit(request.membership, objective)
    kind, _sep, raw = (request.POST.get("target") or "").partition(":")
    target_id = parse_id(raw)
    parent = key_result = None
    if kind == "o" and target_id:
        parent = get_visible_or_404(Objective, request.membership, pk=target_id)
    elif kind == "k" and target_id:
        key_result = get_visible_or_404(KeyResult, request.membership, pk=target_id)
    else:
        return _section(request, objective, errors=[_("Choose what it contributes to.")], status=400)
    try:
        services.contribution_create(
            child=objective,
            actor=request.user,
            parent=parent,
            key_result=key_result,
            weight=request.POST.get("weight") or "1",
        )
    except ValidationError as exc:
        messages = [m for ms in exc.message_dict.values() for m in ms]
        return _section(request, objective, errors=messages, status=400)
    return _after_write(request, objective)


@org_view
@require_POST
def contribution_remove(request: HttpRequest, objective_id: int, contribution_id: int) -> HttpResponse:
    objective = access_objective(request.membership, objective_id)
    check_objective_edit(request.membership, objective)
    link = get_visible_or_404(Contribution, request.membership, pk=contribution_id, child=objective)
    try:
        services.contribution_delete(contribution=link, actor=request.user)
    except ValidationError as exc:
        messages = [m for ms in exc.message_dict.values() for m in ms]
        return _section(request, objective, errors=messages, status=400)
    return _after_write(request, objective)
