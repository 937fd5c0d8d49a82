"""Initiatives: the work that moves key results."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.forms import add_service_errors
from objectives import services
from objectives.access import access_initiative_for_delete, access_initiative_for_edit, access_objective_for_edit
from objectives.forms import InitiativeForm
from objectives.models import (
    KeyResult,
)
from orgs.ownership import member_or_404
from orgs.tenancy import get_visible_or_404, org_view

# --- initiatives ----------------------------------------------------------------------------


@org_view
@require_POST
def initiative_create(request: HttpRequest, objective_id: int) -> HttpResponse:
    org = request.org
    objective = access_objective_for_edit(request.membership, objective_id)
    form = InitiativeForm(request.POST, org=org, objective=objective)
    if form.is_valid():
        data = form.cleaned_data
        kr = get_visible_or_404(KeyResult, request.membership, pk=data["key_result"]) if data["key_result"] else None
        try:
            services.initiative_create(
                actor=request.user,
                objective=objective,
                key_result=kr,
                title=data["title"],
                owner=member_or_404(org, data["owner"]),
                status=data["status"],
                due_date=data["due_date"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Initiative added."))
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("objectives:detail", slug=org.slug, objective_id=objective.pk)


@org_view
@require_http_methods(["GET", "POST"])
def initiative_edit(request: HttpRequest, initiative_id: int) -> HttpResponse:
    org = request.org
    initiative = access_initiative_for_edit(request.membership, initiative_id)
    objective = initiative.objective
    form = InitiativeForm(
        request.POST or None,
        org=org,
        objective=objective,
        initial={
            "title": initiative.title,
            "key_result": initiative.key_result_id,
            "owner": initiative.owner_id,
            "status": initiative.status,
            "due_date": initiative.due_date,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        kr = get_visible_or_404(KeyResult, request.membership, pk=data["key_result"]) if data["key_result"] else None
        try:
            services.initiative_update(
                initiative=initiative,
                actor=request.user,
                title=data["title"],
                owner=member_or_404(org, data["owner"]),
                status=data["status"],
                due_date=data["due_date"],
                key_result=kr,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Initiative saved."))
            return redirect("objectives:detail", slug=org.slug, objective_id=objective.pk)
    return render(
        request, "objectives/initiative_form.html", {"form": form, "objective": objective, "initiative": initiative}
    )


@org_view
@require_http_methods(["GET", "POST"])
def initiative_delete(request: HttpRequest, initiative_id: int) -> HttpResponse:
    org = request.org
    initiative = access_initiative_for_delete(request.membership, initiative_id)
    objective = initiative.objective
    back = reverse("objectives:detail", kwargs={"slug": org.slug, "objective_id": objective.pk})
    if request.method == "POST":
        services.initiative_delete(initiative=initiative, actor=request.user)
        messages.success(request, _("Initiative deleted."))
        return redirect(back)
    return render(
        request,
        "orgs/confirm_delete.html",
        {
            "title": _("Delete the initiative “%(title)s”?") % {"title": initiative.title},
            "explanation": "",
            "cancel_url": back,
        },
    )
