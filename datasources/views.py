"""Pages: the source list (with each source's last run, last error and state), the form,
"Test connection", and a KPI's "Pull now" button."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.forms import add_service_errors
from core.numbers import format_number
from datasources import services
from datasources.forms import DataSourceForm, SourceTestForm
from datasources.models import DataSource, PullStatus, SourceKind, SourcePull
from datasources.schedule import next_runs
from kpis.access import access_kpi, check_kpi_recording
from kpis.models import Kpi
from orgs import permissions
from orgs.tenancy import get_scoped_or_404, org_view, scoped


def _require_admin(request: HttpRequest) -> None:
    permissions.require(permissions.is_admin(request.membership), _("Only admins manage data sources."))


def _config_errors(form: DataSourceForm, exc: ValidationError) -> None:
    """The service names the config as a whole; the page shows it on the field that holds it."""
    if hasattr(exc, "error_dict") and "config" in exc.message_dict:
        field = "dsn" if form.cleaned_data.get("kind") == SourceKind.SQL else "url"
        form.add_error(field, exc.message_dict["config"])
        rest = {k: v for k, v in exc.message_dict.items() if k != "config"}
        if rest:
            add_service_errors(form, ValidationError(rest))
        return
    add_service_errors(form, exc)


@org_view
def source_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = DataSourceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.source_create(
                org=request.org,
                actor=request.user,
                name=data["name"],
                kind=data["kind"],
                config=form.config(),
                language=data["language"],
                period_column=data["period_column"],
            )
        except ValidationError as exc:
            _config_errors(form, exc)
        else:
            if created.kind == SourceKind.WEBHOOK:
                request.session["datasources.new_secret"] = {
                    "id": created.pk,
                    "secret": services.source_config(created)["secret"],
                }
            messages.success(request, _("Data source added. Test it, then link KPIs to it."))
            return redirect("datasources:edit", slug=request.org.slug, source_id=created.pk)
    sources = list(scoped(DataSource, request.org).order_by("name", "id"))
    counts = {s.pk: 0 for s in sources}
    for source_id in scoped(Kpi, request.org).filter(source__isnull=False).values_list("source_id", flat=True):
        counts[source_id] = counts.get(source_id, 0) + 1
    runs = next_runs(sources)
    for s in sources:
        s.kpi_count = counts.get(s.pk, 0)  # type: ignore[attr-defined]  # shown in the list
        s.next_run = runs[s.pk]  # type: ignore[attr-defined]  # shown in the list
    return render(
        request,
        "datasources/list.html",
        {"sources": sources, "form": form},
        status=400 if request.method == "POST" else 200,
    )


def _edit_context(request: HttpRequest, source: DataSource, form: DataSourceForm, **extra: Any) -> dict[str, Any]:
    shown = request.session.pop("datasources.new_secret", None) if request.method == "GET" else None
    kpis = list(scoped(Kpi, request.org).filter(source=source).order_by("name"))
    endpoint = ""
    if source.kind == SourceKind.WEBHOOK:
        from django.urls import reverse

        endpoint = request.build_absolute_uri(reverse("api-source-webhook", kwargs={"token": source.token}))
    return {
        "source": source,
        "form": form,
        "test_form": extra.pop("test_form", None)
        or SourceTestForm(initial={"query": kpis[0].source_query if kpis else ""}),
        "kpis": kpis,
        "endpoint": endpoint,
        "new_secret": shown["secret"] if shown and shown.get("id") == source.pk else None,
        "next_run": next_runs([source])[source.pk],
        **extra,
    }


@org_view
def source_edit(request: HttpRequest, source_id: int) -> HttpResponse:
    _require_admin(request)
    source = get_scoped_or_404(DataSource, request.org, pk=source_id)
    initial = {
        "name": source.name,
        "kind": source.kind,
        "language": source.language,
        "period_column": source.period_column,
    }
    form = DataSourceForm(request.POST or None, initial=initial)
    form.fields["kind"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.source_update(
                source=source,
                actor=request.user,
                name=data["name"],
                config={k: v for k, v in form.config().items() if v},
                language=data["language"],
                period_column=data["period_column"],
                active=request.POST.get("active") == "on",
            )
        except ValidationError as exc:
            _config_errors(form, exc)
        else:
            messages.success(request, _("Data source saved."))
            return redirect("datasources:edit", slug=request.org.slug, source_id=source.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "datasources/edit.html", _edit_context(request, source, form), status=status)


@org_view
@require_POST
def source_test_page(request: HttpRequest, source_id: int) -> HttpResponse:
    """ "Test connection": the pull for the current period, nothing saved."""
    _require_admin(request)
    source = get_scoped_or_404(DataSource, request.org, pk=source_id)
    test_form = SourceTestForm(request.POST)
    result = None
    if test_form.is_valid():
        result = services.source_test(source=source, query=test_form.cleaned_data["query"])
    form = DataSourceForm(
        initial={
            "name": source.name,
            "kind": source.kind,
            "language": source.language,
            "period_column": source.period_column,
        }
    )
    form.fields["kind"].disabled = True
    context = _edit_context(request, source, form, test_form=test_form, result=result)
    if result is not None and result.value is not None:
        context["result_number"] = format_number(result.value)
    template = "datasources/_test_result.html" if request.htmx else "datasources/edit.html"
    return render(request, template, context)


@org_view
@require_POST
def source_delete(request: HttpRequest, source_id: int) -> HttpResponse:
    _require_admin(request)
    source = get_scoped_or_404(DataSource, request.org, pk=source_id)
    services.source_delete(source=source, actor=request.user)
    messages.success(request, _("Data source deleted. Its KPIs keep their values and are typed by hand again."))
    return redirect("datasources:list", slug=request.org.slug)


def demo_sheet(request: HttpRequest) -> HttpResponse:
    """The demo organisations' finance sheet, served by the app itself (public demo numbers,
    no login): ``make run`` pulls from it like from a published Google Sheet."""
    from django.utils import timezone

    from datasources.demo import demo_sheet as sheet

    return HttpResponse(sheet(timezone.localdate()), content_type="text/csv; charset=utf-8")


@org_view
@require_POST
def kpi_pull(request: HttpRequest, kpi_id: int) -> HttpResponse:
    """ "Pull now" on a KPI's page: its current period, from its source."""
    kpi = access_kpi(request.membership, kpi_id)
    check_kpi_recording(request.membership, kpi)
    outcome = services.kpi_pull_now(kpi=kpi, actor=request.user)
    if outcome.status == PullStatus.FAILED:
        messages.error(request, _("The pull failed: %(error)s") % {"error": outcome.error})
    elif outcome.status == PullStatus.CONFLICT:
        messages.warning(
            request,
            _("The source says %(value)s, but a person typed this period's value: it was kept.")
            % {"value": format_number(outcome.value)},
        )
    else:
        messages.success(request, _("Pulled %(value)s from the source.") % {"value": format_number(outcome.value)})
    return redirect("kpis:detail", slug=request.org.slug, kpi_id=kpi.pk)


@org_view
@require_POST
def pull_resolve(request: HttpRequest, kpi_id: int, pull_id: int) -> HttpResponse:
    """The KPI owner takes the pulled value, keeps the typed one, or tries a failed pull again."""
    kpi = access_kpi(request.membership, kpi_id)
    check_kpi_recording(request.membership, kpi)
    pull = get_scoped_or_404(SourcePull, request.org, pk=pull_id, kpi=kpi)
    action = request.POST.get("action", "")
    if action not in ("take", "keep", "retry"):
        messages.error(request, _("Choose what to do with this pull."))
    else:
        outcome = services.pull_resolve(pull=pull, actor=request.user, action=action)
        if outcome.status == PullStatus.FAILED:
            messages.error(request, _("The pull failed again."))
        else:
            messages.success(request, _("Done."))
    return redirect("kpis:detail", slug=request.org.slug, kpi_id=kpi.pk)
