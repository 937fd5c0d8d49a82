"""The cycle's OKRs, the objective page and the planning flow."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.forms import add_service_errors, offer_overwrite
from core.ids import parse_id
from core.validation import StaleVersionError
from cycles.models import Cycle, CycleStatus
from cycles.selectors import cycle_list, default_cycle
from objectives import selectors, services
from objectives.access import access_objective_for_edit, check_objective_create, check_objective_owner_change
from objectives.approvals import approval_counts
from objectives.forms import ObjectiveForm, follow_cycle, owner_refused, planned_next
from objectives.models import (
    Objective,
)
from objectives.views._common import (
    _detail_context,
)
from objectives.views.approvals import keep_reason
from orgs import permissions
from orgs.ownership import default_owner, owner_from_ids
from orgs.tenancy import get_scoped_or_404, get_visible_or_404, org_view, scoped
from orgs.visibility_forms import add_visibility_fields, visibility_arguments

# --- the cycle's OKRs --------------------------------------------------------------------


@org_view
def cycle_okrs(request: HttpRequest) -> HttpResponse:
    org, m = request.org, request.membership
    cycles = list(cycle_list(org=org))
    cycle_id = request.GET.get("cycle")
    cycle = None
    if cycle_id:
        cycle = next((c for c in cycles if c.pk == parse_id(cycle_id)), None)
        if cycle is None:
            raise Http404
    cycle = cycle or default_cycle(org=org)
    data = selectors.cycle_okrs(org=org, cycle=cycle, seen_by=m) if cycle else None
    return render(
        request,
        "objectives/cycle_okrs.html",
        {
            "cycles": cycles,
            "cycle": cycle,
            "okrs": data,
            "can_create": permissions.can_write(m),
            "approval_counts": approval_counts(cycle.pk, org.pk) if cycle and cycle.approvals_required else None,
        },
    )


# --- objective detail ----------------------------------------------------------------------


@org_view
def objective_detail(request: HttpRequest, objective_id: int) -> HttpResponse:
    try:
        objective = selectors.objective_detail(seen_by=request.membership, objective_id=objective_id)
    except Objective.DoesNotExist:
        raise Http404 from None
    return render(request, "objectives/objective_detail.html", _detail_context(request, objective))


# --- planning flow -------------------------------------------------------------------------


def _objective_form(request: HttpRequest, *, objective: Objective | None, data: Any = None) -> ObjectiveForm:
    org = request.org
    cycles = [c for c in cycle_list(org=org) if c.status != CycleStatus.CLOSED]
    if objective is not None and objective.cycle is not None and objective.cycle not in cycles:
        cycles.append(objective.cycle)
    chosen = None
    raw = (data or {}).get("cycle") or request.GET.get("cycle")
    if raw and parse_id(raw):
        chosen = next((c for c in cycles if c.pk == parse_id(raw)), None)
    chosen = chosen or (objective.cycle if objective else planned_next(cycles))
    if objective is None and chosen is None:
        chosen = default_cycle(org=org)
    parents = (
        list(selectors.alignment_candidates(org=org, cycle=chosen, exclude=objective, seen_by=request.membership))
        if chosen
        else []
    )
    initial: dict[str, Any] = {"cycle": chosen.pk if chosen else None}
    if objective is not None:
        initial.update(
            title=objective.title,
            description=objective.description,
            owner_type=objective.owner_type,
            owner_team=objective.owner_team_id,
            owner_user=objective.owner_user_id,
            parent=objective.parent_id,
            weight=objective.weight,
            perspective=objective.perspective,
            commitment=objective.commitment,
            version=objective.version,
        )
    else:
        initial["parent"] = request.GET.get("parent") or None
        initial.update(default_owner(request))
    backlog = objective is not None and objective.cycle_id is None
    if backlog and not (data or {}).get("cycle") and not request.GET.get("cycle"):
        initial["cycle"] = None
    form = ObjectiveForm(
        data, org=org, cycles=cycles, parents=parents, initial=initial, backlog=backlog, chooser=request.membership
    )
    add_visibility_fields(form, org, current=objective, inherits=True)
    follow_cycle(form, request.path)
    return form


@org_view
@require_http_methods(["GET", "POST"])
def objective_create(request: HttpRequest) -> HttpResponse:
    org, m = request.org, request.membership
    permissions.require(permissions.can_write(m), _("Viewers cannot create objectives."))
    if not cycle_list(org=org).exclude(status=CycleStatus.CLOSED).exists():
        messages.info(request, _("Open a cycle first: objectives belong to a cycle."))
        return redirect("cycles:list", slug=org.slug)
    form = keep_reason(_objective_form(request, objective=None, data=request.POST or None), None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        owner_type, team, user = owner_from_ids(
            request.org, owner_type=data["owner_type"], owner_team=data["owner_team"], owner_user=data["owner_user"]
        )
        cycle = get_scoped_or_404(Cycle, org, pk=data["cycle"])
        parent = get_visible_or_404(Objective, request.membership, pk=data["parent"]) if data["parent"] else None
        try:
            check_objective_create(m, (owner_type, team, user))
            objective = services.objective_create(
                org=org,
                actor=request.user,
                cycle=cycle,
                title=data["title"],
                description=data["description"],
                commitment=data["commitment"],
                owner_type=owner_type,
                owner_team=team,
                owner_user=user,
                parent=parent,
                weight=data["weight"],
                perspective=data["perspective"],
                **visibility_arguments(data),
            )
        except PermissionDenied as exc:
            owner_refused(form, exc)
            status = 403
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Objective created as a draft. Add 2 to 5 key results, then activate it."))
            return redirect("objectives:detail", slug=org.slug, objective_id=objective.pk)
    return render(request, "objectives/objective_form.html", {"form": form, "objective": None}, status=status)


@org_view
@require_http_methods(["GET", "POST"])
def objective_edit(request: HttpRequest, objective_id: int) -> HttpResponse:
    org, m = request.org, request.membership
    objective = access_objective_for_edit(m, objective_id)
    form = keep_reason(_objective_form(request, objective=objective, data=request.POST or None), objective)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        owner_type, team, user = owner_from_ids(
            request.org, owner_type=data["owner_type"], owner_team=data["owner_team"], owner_user=data["owner_user"]
        )
        parent = get_visible_or_404(Objective, request.membership, pk=data["parent"]) if data["parent"] else None
        try:
            check_objective_owner_change(m, objective, (owner_type, team, user))
            services.objective_update(
                objective=objective,
                actor=request.user,
                title=data["title"],
                description=data["description"],
                owner_type=owner_type,
                owner_team=team,
                owner_user=user,
                parent=parent,
                weight=data["weight"],
                perspective=data["perspective"],
                commitment=data["commitment"],
                **visibility_arguments(data),
                cycle=get_scoped_or_404(Cycle, org, pk=data["cycle"]) if data["cycle"] else None,
                expected_version=data["version"],
                reason=data.get("reason") or None,
            )
        except PermissionDenied as exc:
            owner_refused(form, exc)
            status = 403
        except StaleVersionError as exc:
            add_service_errors(form, exc)
            offer_overwrite(form, version=scoped(Objective, org).get(pk=objective.pk).version)
            status = 409
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Objective saved."))
            return redirect("objectives:detail", slug=org.slug, objective_id=objective.pk)
    return render(request, "objectives/objective_form.html", {"form": form, "objective": objective}, status=status)


@org_view
@require_POST
def objective_status(request: HttpRequest, objective_id: int) -> HttpResponse:
    objective = access_objective_for_edit(request.membership, objective_id)
    status = request.POST.get("status", "")
    try:
        services.objective_set_status(objective=objective, actor=request.user, status=status)
    except ValidationError as exc:  # e.g. fewer than 2 key results, or not approved yet: 400, unchanged
        messages.error(request, " ".join(exc.messages))
        page = selectors.objective_detail(seen_by=request.membership, objective_id=objective.pk)
        return render(request, "objectives/objective_detail.html", _detail_context(request, page), status=400)
    else:
        labels = {
            "active": _("Objective activated."),
            "cancelled": _("Objective cancelled."),
            "closed": _("Objective closed."),
            "draft": _("Objective moved back to draft."),
        }
        messages.success(request, labels.get(status, _("Saved.")))
    return redirect("objectives:detail", slug=request.org.slug, objective_id=objective.pk)


@org_view
@require_http_methods(["GET", "POST"])
def objective_delete(request: HttpRequest, objective_id: int) -> HttpResponse:
    objective = access_objective_for_edit(request.membership, objective_id)
    if request.method == "POST":
        cycle_id = objective.cycle_id
        services.objective_delete(objective=objective, actor=request.user)
        messages.success(request, _("Objective %(title)s deleted.") % {"title": objective.title})
        return redirect(reverse("objectives:cycle", kwargs={"slug": request.org.slug}) + f"?cycle={cycle_id}")
    return render(
        request,
        "orgs/confirm_delete.html",
        {
            "title": _("Delete the objective “%(title)s”?") % {"title": objective.title},
            "explanation": _(
                "Its key results, check-ins and initiatives are deleted too; objectives aligned to it "
                "stay but lose their alignment. To keep the history, cancel it instead."
            ),
            "cancel_url": reverse("objectives:detail", kwargs={"slug": request.org.slug, "objective_id": objective.pk}),
        },
    )
