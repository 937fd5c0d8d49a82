"""The import and export pages under the organisation's settings (admins only).

Import: upload a file and say what it holds → the dry run, with the mapping of its
columns (change it and check again) and the row-by-row report → apply, all or
nothing or only the valid rows. A big file is checked and applied in the background;
the page shows its progress bar until it is done.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.forms import add_service_errors
from core.ids import parse_id
from kpis.models import Kpi
from orgs import permissions
from orgs.models import Membership
from orgs.tenancy import get_scoped_or_404, org_view
from transfer import exporting, services
from transfer.forms import ApplyForm, ImportForm, MappingForm, PeopleForm
from transfer.kinds.registry import columns_of
from transfer.models import ImportKind, ImportRun, ImportStatus
from transfer.reading import read_table
from transfer.run_messages import shown_dry_run


def _admin(request: HttpRequest) -> None:
    permissions.require(permissions.is_admin(request.membership), _("Only admins import and export the organisation."))


# What a member who is not an admin may import: values into the KPIs they may record
# (the KPI library's "Import CSV" leads here; each row is checked against its KPI).
MEMBER_KINDS = (ImportKind.MEASUREMENTS,)


def _importer(request: HttpRequest) -> None:
    m = request.membership
    permissions.require(permissions.is_admin(m) or permissions.can_write(m), _("Viewers cannot import measurements."))


def _run(request: HttpRequest, import_id: int) -> ImportRun:
    """A run the person may see: any of the organisation's for an admin; otherwise only
    their own runs of a member's kind (another's is 404, as another organisation's)."""
    _importer(request)
    run = get_scoped_or_404(ImportRun, request.org, pk=import_id)
    if not permissions.is_admin(request.membership) and (
        run.kind not in MEMBER_KINDS or run.created_by_id != request.user.pk
    ):
        raise Http404
    return run


@org_view
@require_http_methods(["GET", "POST"])
def export_page(request: HttpRequest) -> HttpResponse:
    """The page with its downloads: ``?format=json`` streams the document, ``zip`` builds
    the CSV files; a POST prepares either in the background behind an expiring link."""
    _admin(request)
    fmt = request.GET.get("format", "") or request.POST.get("format", "")
    if request.method == "POST" and fmt in ("json", "zip"):
        token = exporting.export_prepare(org=request.org, fmt=fmt)
        return redirect(f"{reverse('transfer:export_download', args=[request.org.slug])}?t={token}")
    if fmt in ("json", "zip"):
        return services.export_response(org=request.org, fmt=fmt)
    return render(request, "transfer/export.html")


@org_view
@require_GET
def export_download(request: HttpRequest) -> HttpResponseBase:
    """A prepared export: the file once written, a page that waits for it until then."""
    _admin(request)
    try:
        path = exporting.export_file(org=request.org, token=request.GET.get("t", ""))
    except exporting.LinkExpired:
        return render(request, "transfer/export_link.html", {"expired": True}, status=410)
    if path is None:
        if request.htmx:
            return HttpResponse(status=204)
        return render(request, "transfer/export_link.html", {"expired": False})
    if request.htmx:  # ready: the page reloads and the browser downloads it
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    filename = services.export_filename(request.org, path.suffix.lstrip("."))
    return FileResponse(path.open("rb"), as_attachment=True, filename=filename)


@org_view
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    _importer(request)
    admin = permissions.is_admin(request.membership)
    kinds = None if admin else MEMBER_KINDS
    initial = {"kind": request.GET.get("kind", "") or ("" if admin else ImportKind.MEASUREMENTS)}
    form = ImportForm(request.POST or None, request.FILES or None, initial=initial, kinds=kinds)
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        try:
            run = services.import_run_create(
                org=request.org,
                actor=request.user,
                kind=form.cleaned_data["kind"],
                data=f.read(),
                filename=f.name,
                options={"base_url": request.build_absolute_uri("/")},
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("transfer:import_run", request.org.slug, run.pk)
    runs = ImportRun.objects.filter(organization=request.org).select_related("created_by").defer("data")
    if not admin:
        runs = runs.filter(kind__in=MEMBER_KINDS, created_by=request.user)
    runs = runs[:10]
    kpi_id = parse_id(request.GET.get("kpi", ""))
    kpi = Kpi.objects.filter(organization=request.org, pk=kpi_id).first() if kpi_id else None
    context = {"form": form, "runs": runs, "kpi": kpi}
    return render(request, "transfer/import.html", context, status=400 if form.errors else 200)


def _headers(run: ImportRun) -> list[str]:
    try:
        return read_table(bytes(run.data), run.filename).headers
    except ValidationError:
        return []


@org_view
@require_GET
def import_run(request: HttpRequest, import_id: int) -> HttpResponse:
    """A run: its progress while it works, then its dry run or its result. htmx polls
    the progress part (``_run_status.html``) until the run is done."""
    run = services.import_run_progress(_run(request, import_id))
    run.dry_run = shown_dry_run(run.dry_run)  # for the page only, never saved
    busy = run.status in (ImportStatus.QUEUED, ImportStatus.CHECKING, ImportStatus.APPLYING)
    if request.htmx and busy is False and request.GET.get("poll"):
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"  # done: show the whole page with its report
        return response
    if request.htmx and request.GET.get("poll"):
        return render(request, "transfer/_run_status.html", {"run": run, "busy": busy})
    columns = columns_of(run.kind)
    mapping = MappingForm(columns=columns, headers=_headers(run) if columns else [], initial=run.mapping)
    context = {
        "run": run,
        "busy": busy,
        "mapping_form": mapping,
        "apply_form": ApplyForm(kind=run.kind),
        "columns": columns,
        "people_form": _people_form(run),
    }
    return render(request, "transfer/import_run.html", context)


def _people_form(run: ImportRun, data: Any = None) -> PeopleForm:
    options = (run.mapping or {}).get("__options__") or {}
    chosen = options.get("owners") or {}
    unknown = sorted({*(run.dry_run.get("unknown_people") or []), *chosen})
    members = [
        (m.user_id, f"{m.user.display_name} <{m.user.email}>")
        for m in Membership.objects.filter(organization=run.organization).select_related("user").order_by("user__name")
    ]
    initial = {"invite": options.get("invite", False)}
    initial |= {f"person_{n}": chosen.get(text, "") for n, text in enumerate(unknown)}
    return PeopleForm(data, unknown=unknown, members=members, initial=initial)


@org_view
@require_POST
def import_people(request: HttpRequest, import_id: int) -> HttpResponse:
    """Map the people the file names who are not members, or invite them; check again."""
    run = _run(request, import_id)
    form = _people_form(run, request.POST)
    if form.is_valid():
        try:
            services.import_run_set_people(run=run, owners=form.owners(), invite=form.cleaned_data["invite"])
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
    return redirect("transfer:import_run", request.org.slug, run.pk)


@org_view
@require_POST
def import_remap(request: HttpRequest, import_id: int) -> HttpResponse:
    run = _run(request, import_id)
    form = MappingForm(request.POST, columns=columns_of(run.kind), headers=_headers(run))
    if form.is_valid():
        services.import_run_remap(run=run, mapping={k: v for k, v in form.cleaned_data.items() if v})
    return redirect("transfer:import_run", request.org.slug, run.pk)


@org_view
@require_POST
def import_apply(request: HttpRequest, import_id: int) -> HttpResponse:
    run = _run(request, import_id)
    form = ApplyForm(request.POST, kind=run.kind)
    form.is_valid()
    try:
        if form.cleaned_data.get("confirm_unusual"):
            run = services.import_run_confirm_unusual(run=run)
        run = services.import_run_apply(
            run=run, actor=request.user, only_valid=form.cleaned_data.get("only_valid", False)
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        if run.status == ImportStatus.APPLIED:
            messages.success(request, _("The file was imported."))
    return redirect("transfer:import_run", request.org.slug, run.pk)
