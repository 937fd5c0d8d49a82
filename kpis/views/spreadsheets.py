"""Measurements in and out as CSV: the import with its preview, and the export."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from core.forms import add_service_errors
from core.ids import parse_id
from core.numbers import format_input, separators
from core.spreadsheet import csv_writer
from kpis import selectors, services
from kpis.csvfile import MAX_IMPORT_BYTES, safe_cell
from kpis.forms import ImportConfirmForm, ImportUploadForm
from kpis.models import Kpi
from orgs import permissions
from orgs.models import Membership
from orgs.tenancy import org_view

# --- CSV import and export ---------------------------------------------------------------------------


def _allowed(m: Membership) -> Any:
    """Per-KPI permission for the import, memoised by owner (one answer per owner)."""
    cache: dict[tuple[str, int | None, int | None], bool] = {}

    def allowed(kpi: Kpi) -> bool:
        key = (kpi.owner_type, kpi.owner_team_id, kpi.owner_user_id)
        if key not in cache:
            cache[key] = kpi.editable_by(m)
        return cache[key]

    return allowed


def _preview_page(request: HttpRequest, preview: Any, confirm: ImportConfirmForm, *, status: int = 200) -> HttpResponse:
    return render(
        request,
        "kpis/import.html",
        {
            "preview": preview,
            "confirm": confirm,
            "upload": ImportUploadForm(),
            "new_count": preview.count("new"),
            "correction_count": preview.count("correction"),
            "unchanged_count": preview.count("unchanged"),
            "bad_count": len(preview.bad),
            "good_count": len(preview.good),
            "flagged_count": len(preview.flagged),
        },
        status=status,
    )


def _upload_page(request: HttpRequest, *, errors: list[str]) -> HttpResponse:
    """The upload form again, with the reasons the file cannot be read at its top."""
    upload = ImportUploadForm(data={}, files={})
    upload.full_clean()
    upload.errors.clear()  # an empty bound form would say "required"; say why instead
    for message in errors:
        upload.add_error(None, message)
    return render(request, "kpis/import.html", {"upload": upload}, status=400)


@org_view
@require_http_methods(["GET", "POST"])
def measurement_import(request: HttpRequest) -> HttpResponse:
    """Upload a CSV → preview with a row-by-row report → confirm. Nothing is written
    until the confirmation; with bad rows, nothing unless "only the good rows" is ticked."""
    org, m = request.org, request.membership
    permissions.require(permissions.can_write(m), _("Viewers cannot import measurements."))
    allowed = _allowed(m)
    if request.method == "GET":
        return render(request, "kpis/import.html", {"upload": ImportUploadForm()})
    if "content" in request.POST:
        confirm = ImportConfirmForm(request.POST)
        if not confirm.is_valid():
            messages.error(request, _("The upload was lost; choose the file again."))
            return redirect("kpis:import", slug=org.slug)
        content = confirm.cleaned_data["content"]
        try:
            result = services.measurement_import(
                org=org,
                actor=request.user,
                data=content,
                only_good_rows=confirm.cleaned_data["only_good_rows"],
                confirm_unusual=confirm.cleaned_data["confirm_unusual"],
                allowed=allowed,
            )
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"file": exc.messages}
            if "rows" not in errors:
                # The content sent back is unusable as a whole (edited, empty, too big): start
                # again from the upload form with the reason, as for a bad upload.
                return _upload_page(request, errors=errors.get("file", exc.messages))
            preview = services.measurement_import_preview(org=org, data=content, allowed=allowed)
            confirm.add_error(None, errors["rows"])
            return _preview_page(request, preview, confirm, status=400)
        parts = [
            ngettext("%(n)d new value", "%(n)d new values", result.created) % {"n": result.created},
            ngettext("%(n)d correction", "%(n)d corrections", result.corrected) % {"n": result.corrected},
            ngettext("%(n)d unchanged", "%(n)d unchanged", result.unchanged) % {"n": result.unchanged},
            ngettext("%(n)d row skipped", "%(n)d rows skipped", result.skipped) % {"n": result.skipped},
        ]
        messages.success(request, _("Import done: %(parts)s.") % {"parts": ", ".join(parts)})
        return redirect("kpis:library", slug=org.slug)
    upload = ImportUploadForm(request.POST, request.FILES)
    if upload.is_valid():
        file = upload.cleaned_data["file"]
        if file.size > MAX_IMPORT_BYTES:
            upload.add_error("file", _("The file is larger than 1 MB; split it into smaller files."))
        else:
            data = file.read()
            try:
                preview = services.measurement_import_preview(org=org, data=data, filename=file.name, allowed=allowed)
            except ValidationError as exc:
                add_service_errors(upload, exc)
            else:
                text = data.decode("utf-8-sig")
                confirm = ImportConfirmForm(initial={"content": text, "filename": file.name})
                return _preview_page(request, preview, confirm)
    return render(request, "kpis/import.html", {"upload": upload}, status=400)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _number_cell(value: float) -> str:
    """In the reader's convention without thousands separators, as the import reads it back
    (a Vietnamese export writes 4,5; never a shape the import would find ambiguous)."""
    return format_input(value).replace(separators()[1], "")


@org_view
def measurement_export(request: HttpRequest) -> HttpResponse:
    """Every measurement (``?kpi=<id>`` repeats to narrow), as CSV that the import reads back."""
    org = request.org
    kpi_ids = [i for i in (parse_id(v) for v in request.GET.getlist("kpi")) if i]
    rows = selectors.measurement_export(org=org, kpi_ids=kpi_ids or None)
    tz = org.tzinfo

    def stream() -> Iterator[str]:
        writer = csv_writer(_Echo())  # text quoted, formulas neutralised whatever the separator
        yield "\ufeff"  # so spreadsheets read the UTF-8 (Vietnamese names) correctly
        yield writer.writerow(["kpi", "period", "value", "note", "kpi_id", "unit", "status", "author", "recorded_at"])
        for m in rows.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    safe_cell(m.kpi.name),
                    m.period.isoformat(),
                    _number_cell(m.value),
                    safe_cell(m.note),
                    m.kpi_id,
                    safe_cell(m.kpi.unit),
                    m.kpi.status_for(m.value) or "",
                    safe_cell(m.author.display_name) if m.author else "",
                    timezone.localtime(m.updated_at, tz).isoformat(timespec="seconds"),
                ]
            )

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    stamp = org.today().isoformat()
    response["Content-Disposition"] = f'attachment; filename="{org.slug}-kpi-measurements-{stamp}.csv"'
    return response
