"""A KPI's page: trend, history, activity and the inline record form."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from activity.selectors import activity_for
from core.forms import add_service_errors
from core.idempotency import FormAlreadySaved, form_save_once
from core.numbers import format_quantity
from core.provenance import Origin
from kpis import periods, selectors, services
from kpis.access import access_kpi, access_kpi_for_recording
from kpis.forms import MeasurementForm, period_choices
from kpis.models import HISTORY_PERIODS, Kpi, period_label
from orgs.tenancy import org_view

# --- detail, trend and the inline record form -----------------------------------------------------


def _default_period(kpi: Kpi, history: list[Any], choices: list[tuple[str, str]], fsm: int) -> str | None:
    """The period after the latest value (usually the one just due), capped at the
    current one; with no value yet, the last complete period."""
    if not choices:
        return None
    offered = [value for value, _label in choices]  # newest first
    if not history:
        return offered[1] if len(offered) > 1 else offered[0]
    following = periods.shift(history[-1].period, frequency=kpi.frequency).isoformat()
    return following if following in offered else offered[0]


def _chart(kpi: Kpi, history: list[Any]) -> dict[str, Any]:
    """Data for static/js/kpi-chart.js: labels, values, statuses, target lines and bands."""
    return {
        "labels": [m.label for m in history],
        "values": [m.value for m in history],
        "statuses": [m.status for m in history],
        "unit": kpi.unit,
        "targets": [t for t in (kpi.target, kpi.target_low, kpi.target_high) if t is not None],
        "bands": [{"from": low, "to": high, "kind": kind} for low, high, kind in kpi.bands()],
        "text": {
            "value": kpi.name,
            "target": _("Target"),
            "amber": _("Amber band"),
            "green": _("Target range"),
        },
    }


def _origin_label(origin: Any) -> str:
    """The activity log names where a value came from, unless a person typed it."""
    if not origin or origin == Origin.MANUAL or origin not in Origin.values:
        return ""
    return str(Origin(origin).label)


def _activity_rows(entries: list[Any], kpi: Kpi, fsm: int) -> list[dict[str, Any]]:
    """Activity entries in words: who recorded or corrected what, old value included."""
    verbs = {
        "kpi.created": _("created the KPI"),
        "kpi.updated": _("changed the KPI"),
        "measurement.recorded": _("recorded"),
        "measurement.corrected": _("corrected"),
        "measurement.deleted": _("deleted the value of"),
    }
    rows = []
    for e in entries:
        state = e.after or e.before or {}
        label = ""
        if e.verb.startswith("measurement.") and state.get("period"):
            try:
                label = period_label(
                    date.fromisoformat(state["period"]), frequency=kpi.frequency, fiscal_year_start_month=fsm
                )
            except ValueError:
                label = state["period"]
        rows.append(
            {
                "entry": e,
                # Never the verb's code: a verb this history has no words for is a change to the KPI.
                "text": verbs.get(e.verb, verbs["kpi.updated"]),
                "period": label,
                "old": (e.before or {}).get("value") if e.verb != "kpi.updated" else None,
                "new": (e.after or {}).get("value") if e.verb != "kpi.updated" else None,
                "fields": sorted((e.after or {}).keys()) if e.verb == "kpi.updated" else [],
                "origin": _origin_label((e.after or {}).get("origin")),
            }
        )
    return rows


def _detail_context(
    request: HttpRequest, kpi: Kpi, *, form: MeasurementForm | None = None, saved: str = ""
) -> dict[str, Any]:
    org = request.org
    fsm = org.fiscal_year_start_month
    today = org.today()
    history = selectors.measurement_history(kpi=kpi)
    for m in history:
        m.status = kpi.status_for(m.value)
        m.label = period_label(m.period, frequency=kpi.frequency, fiscal_year_start_month=fsm)
    kpi.recent_measurements = history[::-1][:HISTORY_PERIODS]
    choices = period_choices(kpi, fiscal_year_start_month=fsm, today=today)
    if form is None:
        wanted = request.GET.get("period", "")
        default = wanted if any(wanted == v for v, _label in choices) else _default_period(kpi, history, choices, fsm)
        latest = kpi.latest
        form = MeasurementForm(choices=choices, unit=kpi.unit, initial={"period": default})
        if wanted and latest is not None:
            match = next((m for m in history if m.period.isoformat() == wanted), None)
            if match is not None:
                form.initial.update(value=match.value, note=match.note)
    return {
        "kpi": kpi,
        "history": history[::-1],
        "chart": _chart(kpi, history),
        "can_record": kpi.editable_by(request.membership),
        "form": form,
        "saved": saved,
        "today": today,
        "current_period": kpi.period_of(today, fiscal_year_start_month=fsm),
        "activity": _activity_rows(
            list(activity_for(org=org, target_type="kpis.kpi", target_id=kpi.pk, limit=30)), kpi, fsm
        ),
    }


@org_view
def kpi_detail(request: HttpRequest, kpi_id: int) -> HttpResponse:
    kpi = access_kpi(request.membership, kpi_id)
    return render(request, "kpis/kpi_detail.html", _detail_context(request, kpi))


@org_view
@require_POST
def measurement_record(request: HttpRequest, kpi_id: int) -> HttpResponse:
    """Record (or correct) a value. An htmx request gets the refreshed KPI body — with
    the errors in the form when there are some, still as a 200 so htmx swaps it in."""
    org = request.org
    kpi = access_kpi_for_recording(request.membership, kpi_id)
    fsm = org.fiscal_year_start_month
    form = MeasurementForm(
        request.POST,
        unit=kpi.unit,
        choices=period_choices(kpi, fiscal_year_start_month=fsm, today=org.today()),
    )

    def save() -> str:
        """What to tell the person about the value saved ("" when nothing was)."""
        if not form.is_valid():
            return ""
        data = form.cleaned_data
        try:
            result = services.measurement_record(
                kpi=kpi,
                actor=request.user,
                period=data["period"],
                value=data["value"],
                note=data["note"] or None,
                confirmed=data["confirm"],
            )
        except services.UnusualMeasurement as exc:
            add_service_errors(form, exc)
            form.needs_confirmation = True  # the page shows "Yes, this value is right"
            return ""
        except ValidationError as exc:
            add_service_errors(form, exc)
            return ""
        label = period_label(result.measurement.period, frequency=kpi.frequency, fiscal_year_start_month=fsm)
        if result.created:
            return _("Value for %(period)s recorded.") % {"period": label}
        if result.changed:
            return _("%(period)s corrected from %(old)s; the old value is kept in the activity log.") % {
                "period": label,
                "old": format_quantity(result.previous, kpi.unit),
            }
        return _("%(period)s already had this value; nothing changed.") % {"period": label}

    # The form's one-time token (as on My check-ins): the second request of a double-click
    # saves nothing and says the value was already saved, instead of "nothing changed".
    try:
        saved = form_save_once(request, org_id=org.pk, scope=f"measurement:{kpi.pk}", save=save, spent=bool)
    except FormAlreadySaved:
        saved = _("This value was already saved: the form was sent twice.")
    if request.htmx:
        context = _detail_context(request, kpi, form=None if saved else form, saved=saved)
        return render(request, "kpis/_kpi_body.html", context)
    if saved:
        messages.success(request, saved)
        return redirect("kpis:detail", slug=org.slug, kpi_id=kpi.pk)
    return render(request, "kpis/kpi_detail.html", _detail_context(request, kpi, form=form), status=400)


@org_view
def measurement_provenance(request: HttpRequest, kpi_id: int) -> HttpResponse:
    """Where the KPI's value for ``?period=`` came from: the box a page's ⓘ opens, loaded on
    the click (the scorecard, whose figures are read in bulk without it)."""
    kpi = access_kpi(request.membership, kpi_id)
    try:
        day = periods.parse_period(request.GET.get("period", ""))
    except ValueError:
        raise Http404 from None
    start = kpi.period_of(day, fiscal_year_start_month=request.org.fiscal_year_start_month)
    measurement = kpi.measurements.select_related("author").filter(period=start).first()
    if measurement is None:
        raise Http404
    return render(request, "includes/_provenance_box.html", {"item": measurement})
