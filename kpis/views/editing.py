"""Creating, editing and deleting a KPI."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from core.forms import add_service_errors, offer_overwrite
from core.validation import StaleVersionError
from kpis import services
from kpis.access import access_kpi_for_edit, check_kpi_create, check_kpi_owner_change
from kpis.forms import KpiForm
from kpis.models import Kpi, Perspective
from orgs import permissions
from orgs.ownership import default_owner, owner_from_ids
from orgs.tenancy import org_view, scoped
from orgs.visibility_forms import add_visibility_fields, visibility_arguments

# --- create / edit / delete --------------------------------------------------------------------


# A KPI template opens the form with these fields filled in (the user edits, then saves).
_PREFILL = ("name", "description", "how_measured", "unit", "direction", "target", "amber_threshold", "frequency")


def _new_kpi_initial(request: HttpRequest) -> dict[str, Any]:
    initial = default_owner(request)
    if request.GET.get("perspective") in Perspective.values:
        initial["perspective"] = request.GET["perspective"]
    for name in _PREFILL:
        value = request.GET.get(name, "")
        if value and len(value) <= 5000:
            initial[name] = value
    return initial


_FIELDS = (
    "name",
    "description",
    "how_measured",
    "unit",
    "direction",
    "target",
    "target_low",
    "target_high",
    "amber_threshold",
    "frequency",
    "perspective",
)


@org_view
@require_http_methods(["GET", "POST"])
def kpi_create(request: HttpRequest) -> HttpResponse:
    org, m = request.org, request.membership
    permissions.require(permissions.can_write(m), _("Viewers cannot create KPIs."))
    form = KpiForm(request.POST or None, org=org, initial=_new_kpi_initial(request))
    add_visibility_fields(form, org)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        owner_type, team, user = owner_from_ids(
            request.org, owner_type=data["owner_type"], owner_team=data["owner_team"], owner_user=data["owner_user"]
        )
        check_kpi_create(m, (owner_type, team, user))
        try:
            kpi = services.kpi_create(
                org=org,
                actor=request.user,
                owner_type=owner_type,
                owner_team=team,
                owner_user=user,
                active=True,
                tracking_since=data["tracking_since"],
                **form.origin_fields(),
                **visibility_arguments(data),
                **{k: data[k] for k in _FIELDS},
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("KPI %(name)s created. Record its first value below.") % {"name": kpi.name})
            return redirect("kpis:detail", slug=org.slug, kpi_id=kpi.pk)
    return render(request, "kpis/kpi_form.html", {"form": form, "kpi": None}, status=400 if form.errors else 200)


@org_view
@require_http_methods(["GET", "POST"])
def kpi_edit(request: HttpRequest, kpi_id: int) -> HttpResponse:
    org, m = request.org, request.membership
    kpi = access_kpi_for_edit(request.membership, kpi_id)
    initial = {k: getattr(kpi, k) for k in _FIELDS}
    initial.update(
        owner_type=kpi.owner_type,
        owner_team=kpi.owner_team_id,
        owner_user=kpi.owner_user_id,
        tracking_since=kpi.tracking_since,
        active=kpi.active,
        version=kpi.version,
        value_from="formula" if kpi.formula else "source" if kpi.source_id else "manual",
        source=kpi.source_id,
        source_query=kpi.source_query,
        source_period_column=kpi.source_period_column,
        formula=kpi.formula,
    )
    form = KpiForm(request.POST or None, org=org, initial=initial)
    add_visibility_fields(form, org, current=kpi)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        owner_type, team, user = owner_from_ids(
            request.org, owner_type=data["owner_type"], owner_team=data["owner_team"], owner_user=data["owner_user"]
        )
        check_kpi_owner_change(m, kpi, (owner_type, team, user))
        try:
            services.kpi_update(
                kpi=kpi,
                actor=request.user,
                owner_type=owner_type,
                owner_team=team,
                owner_user=user,
                active=data["active"],
                tracking_since=data["tracking_since"],
                expected_version=data["version"],
                **form.origin_fields(),
                **visibility_arguments(data),
                **{k: data[k] for k in _FIELDS},
            )
        except StaleVersionError as exc:
            add_service_errors(form, exc)
            offer_overwrite(form, version=scoped(Kpi, org).get(pk=kpi.pk).version)
            return render(request, "kpis/kpi_form.html", {"form": form, "kpi": kpi}, status=409)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("KPI saved."))
            return redirect("kpis:detail", slug=org.slug, kpi_id=kpi.pk)
    recent = list(kpi.measurements.select_related("author").order_by("-period")[:6])
    return render(
        request, "kpis/kpi_form.html", {"form": form, "kpi": kpi, "recent": recent}, status=400 if form.errors else 200
    )


@org_view
@require_http_methods(["GET", "POST"])
def kpi_delete(request: HttpRequest, kpi_id: int) -> HttpResponse:
    kpi = access_kpi_for_edit(request.membership, kpi_id)
    if request.method == "POST":
        services.kpi_delete(kpi=kpi, actor=request.user)
        messages.success(request, _("KPI %(name)s deleted.") % {"name": kpi.name})
        return redirect("kpis:library", slug=request.org.slug)
    count = kpi.measurements.count()
    return render(
        request,
        "orgs/confirm_delete.html",
        {
            "title": _("Delete the KPI “%(name)s”?") % {"name": kpi.name},
            "explanation": ngettext(
                "Its %(count)d recorded value is deleted too. To keep the history, make it inactive instead.",
                "Its %(count)d recorded values are deleted too. To keep the history, make it inactive instead.",
                count,
            )
            % {"count": count},
            "cancel_url": reverse("kpis:detail", kwargs={"slug": request.org.slug, "kpi_id": kpi.pk}),
        },
    )
