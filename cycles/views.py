from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.forms import add_service_errors
from cycles import services
from cycles.forms import CycleForm
from cycles.models import Cycle, CycleStatus
from cycles.selectors import cycle_list
from orgs import permissions
from orgs.tenancy import get_scoped_or_404, org_view


def _fiscal_year_of(day: date, start_month: int) -> int:
    return day.year if day.month >= start_month else day.year - 1


@org_view
@require_http_methods(["GET", "POST"])
def cycle_index(request: HttpRequest) -> HttpResponse:
    org, m = request.org, request.membership
    form = CycleForm(request.POST or None)
    if request.method == "POST":
        permissions.require(permissions.can_manage_cycles(m), _("Only admins open cycles."))
        if form.is_valid():
            try:
                cycle = services.cycle_create(org=org, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Cycle %(name)s created.") % {"name": cycle.name})
                return redirect("cycles:list", slug=org.slug)
    cycles = list(cycle_list(org=org))
    today = org.today()
    fy = _fiscal_year_of(today, org.fiscal_year_start_month)
    taken = {c.name.lower() for c in cycles}
    presets = [
        p
        for year in (fy, fy + 1)
        for p in services.cycle_presets(org=org, fiscal_year=year)
        if p.name.lower() not in taken and p.end_date >= today
    ]
    return render(
        request,
        "cycles/cycle_list.html",
        {
            "cycles": cycles,
            "form": form,
            "presets": presets[:6],
            "can_manage_cycles": permissions.can_manage_cycles(m),
            "statuses": CycleStatus,
        },
        status=400 if form.errors else 200,
    )


@org_view
@require_POST
def cycle_status(request: HttpRequest, cycle_id: int) -> HttpResponse:
    org, m = request.org, request.membership
    permissions.require(permissions.can_manage_cycles(m), _("Only admins change cycles."))
    cycle = get_scoped_or_404(Cycle, org, pk=cycle_id)
    status = request.POST.get("status", "")
    if status == CycleStatus.CLOSED and cycle.status == CycleStatus.ACTIVE:
        # Closing is a ritual, not a click: grades, retrospectives and their review first.
        return redirect("objectives:cycle_close", slug=org.slug, cycle_id=cycle.pk)
    if cycle.status == CycleStatus.CLOSED:
        permissions.require(permissions.is_admin(m), _("Only admins re-open a closed cycle."))
    try:
        services.cycle_update(cycle=cycle, actor=request.user, status=status)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(name)s is now %(status)s.") % {"name": cycle.name, "status": cycle.get_status_display().lower()},
        )
    return redirect("cycles:list", slug=org.slug)


@org_view
@require_http_methods(["GET", "POST"])
def cycle_edit(request: HttpRequest, cycle_id: int) -> HttpResponse:
    org, m = request.org, request.membership
    permissions.require(permissions.can_manage_cycles(m), _("Only admins change cycles."))
    cycle = get_scoped_or_404(Cycle, org, pk=cycle_id)
    form = CycleForm(
        request.POST or None,
        initial={
            "name": cycle.name,
            "kind": cycle.kind,
            "start_date": cycle.start_date,
            "end_date": cycle.end_date,
            "approvals_required": cycle.approvals_required,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.cycle_update(
                cycle=cycle,
                actor=request.user,
                name=data["name"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                approvals_required=data["approvals_required"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Cycle saved."))
            return redirect("cycles:list", slug=org.slug)
    return render(request, "cycles/cycle_form.html", {"form": form, "cycle": cycle})


@org_view
@require_http_methods(["GET", "POST"])
def cycle_delete(request: HttpRequest, cycle_id: int) -> HttpResponse:
    org, m = request.org, request.membership
    permissions.require(permissions.is_admin(m), _("Only admins delete cycles."))
    cycle = get_scoped_or_404(Cycle, org, pk=cycle_id)
    if request.method == "POST":
        try:
            services.cycle_delete(cycle=cycle, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Cycle deleted."))
        return redirect("cycles:list", slug=org.slug)
    return render(
        request,
        "orgs/confirm_delete.html",
        {
            "title": _("Delete the cycle %(name)s?") % {"name": cycle.name},
            "explanation": _("Only a cycle without objectives can be deleted."),
            "cancel_url": reverse("cycles:list", kwargs={"slug": org.slug}),
        },
    )
