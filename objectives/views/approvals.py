"""The objective page's review section (DESIGN §3): submit, approve, request changes, one
click each. With htmx the section is swapped in place (a refusal comes back as the section
with its message, since htmx swaps only 2xx answers); without, a refusal is a 400 page with
the message and a success goes back to the objective."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from objectives import services
from objectives.access import access_objective, check_objective_edit, check_objective_review
from objectives.approvals import approval_panel, approvals_on
from objectives.models import Objective
from orgs.tenancy import org_view


def _section(request: HttpRequest, objective: Objective, *, error: str = "", status: int = 200) -> HttpResponse:
    objective.refresh_from_db(fields=["approval_status"])
    context = {"objective": objective, "approval": approval_panel(request.membership, objective), "error": error}
    if request.headers.get("HX-Request"):
        return render(request, "objectives/_approval.html", context)
    return render(request, "objectives/approval.html", context, status=status)


def _step(request: HttpRequest, objective: Objective, run: Callable[[], object], done: str) -> HttpResponse:
    try:
        run()
    except ValidationError as exc:
        return _section(request, objective, error=" ".join(exc.messages), status=400)
    if request.headers.get("HX-Request"):
        return _section(request, objective)
    messages.success(request, done)
    return redirect("objectives:detail", slug=request.org.slug, objective_id=objective.pk)


@org_view
@require_POST
def objective_submit(request: HttpRequest, objective_id: int) -> HttpResponse:
    objective = access_objective(request.membership, objective_id)
    check_objective_edit(request.membership, objective)
    comment = request.POST.get("comment", "")

    def run() -> None:
        services.objective_submit(objective=objective, actor=request.user, comment=comment)

    return _step(request, objective, run, _("Submitted for review."))


@org_view
@require_POST
def objective_approve(request: HttpRequest, objective_id: int) -> HttpResponse:
    objective = access_objective(request.membership, objective_id)

    def run() -> None:
        check_objective_review(request.membership, objective)
        services.objective_approve(objective=objective, actor=request.user, comment=request.POST.get("comment", ""))

    return _step(request, objective, run, _("Objective approved."))


@org_view
@require_POST
def objective_request_changes(request: HttpRequest, objective_id: int) -> HttpResponse:
    objective = access_objective(request.membership, objective_id)

    def run() -> None:
        check_objective_review(request.membership, objective)
        comment = request.POST.get("comment", "")
        services.objective_request_changes(objective=objective, actor=request.user, comment=comment)

    return _step(request, objective, run, _("Changes requested."))


F = TypeVar("F", bound=forms.Form)


def keep_reason(form: F, objective: Objective | None) -> F:
    """The edit forms ask for a reason only where one is needed: an approved objective of a
    cycle that asks for approval (``services.approvals.reopen_after_material_edit``)."""
    needed = objective is not None and approvals_on(objective) and objective.approval_status == "approved"
    if not needed:
        form.fields.pop("reason", None)
    return form
