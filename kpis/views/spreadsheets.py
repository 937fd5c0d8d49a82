"""Measurements in and out as CSV: the export, and the way into the import."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from core.ids import parse_id
from core.numbers import format_input, separators
from core.spreadsheet import csv_convention, csv_writer
from kpis import selectors
from kpis.csvfile import safe_cell
from kpis.models import Measurement
from orgs.tenancy import org_view
from orgs.visibility import visible_filter

# --- CSV import and export ---------------------------------------------------------------------------


@org_view
@require_GET
def measurement_import(request: HttpRequest) -> HttpResponse:
    """Values from a file go through the organisation's import (its ``measurements`` kind:
    the dry run row by row, then apply), chosen for the person; a KPI in ``?kpi=`` stays named."""
    query = {"kind": "measurements"}
    if kpi_id := parse_id(request.GET.get("kpi", "")):
        query["kpi"] = str(kpi_id)
    return redirect(f"{reverse('transfer:import', args=[request.org.slug])}?{urlencode(query)}")


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
    rows = rows.filter(visible_filter(request.membership, Measurement, prefix="kpi__"))  # DESIGN §3
    tz = org.tzinfo

    # The reader's convention (";" and a decimal comma in Vietnamese), read now: the stream
    # runs after the view has returned.
    convention = csv_convention()

    def stream() -> Iterator[str]:
        writer = csv_writer(_Echo(), convention)  # text quoted, formulas neutralised whatever the separator
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
