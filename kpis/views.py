"""KPI pages: the library, KPI detail with its trend and measurements, the
inline (htmx) record form, create / edit / delete, CSV import and export."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from activity.selectors import activity_for
from core.forms import add_service_errors, offer_overwrite
from core.idempotency import FormAlreadySaved, form_save_once
from core.ids import parse_id
from core.numbers import format_input, format_quantity, separators
from core.spreadsheet import csv_writer
from core.validation import StaleVersionError
from kpis import periods, selectors, services
from kpis.csvfile import MAX_IMPORT_BYTES, safe_cell
from kpis.forms import ImportConfirmForm, ImportUploadForm, KpiForm, MeasurementForm, period_choices
from kpis.models import HISTORY_PERIODS, Kpi, Perspective, period_label
from orgs import permissions
from orgs.forms import people_choices, team_choices
from orgs.models import Membership
from orgs.ownership import OwnerType, default_owner, owner_from_ids, require_can_own
from orgs.tenancy import org_view, scoped


def _kpi(request: HttpRequest, kpi_id: int) -> Kpi:
    try:
        return selectors.kpi_detail(org=request.org, kpi_id=kpi_id)
    except Kpi.DoesNotExist:
        raise Http404 from None


def _editable_kpi(request: HttpRequest, kpi_id: int) -> Kpi:
    kpi = _kpi(request, kpi_id)
    permissions.require(
        kpi.editable_by(request.membership),
        _("Only admins, managers of the owning team and the owner can change this KPI."),
    )
    return kpi


# --- the library --------------------------------------------------------------------------------


def _owner_filter(raw: str) -> dict[str, Any]:
    """``company``, ``team:<id>`` or ``person:<id>`` → selector keyword arguments."""
    if raw == OwnerType.COMPANY:
        return {"owner_type": OwnerType.COMPANY}
    kind, _sep, ident = raw.partition(":")
    if kind == OwnerType.TEAM and parse_id(ident):
        return {"owner_team": parse_id(ident)}
    if kind == OwnerType.PERSON and parse_id(ident):
        return {"owner_user": parse_id(ident)}
    return {}


@org_view
def library(request: HttpRequest) -> HttpResponse:
    """Every KPI grouped by perspective, then owner, with its latest value, status and
    sparkline. A fixed number of queries whatever the number of KPIs."""
    org, m = request.org, request.membership
    owner = request.GET.get("owner", "")
    perspective = request.GET.get("perspective", "")
    show = request.GET.get("show", "active")
    filters = _owner_filter(owner)
    if perspective in Perspective.values:
        filters["perspective"] = perspective
    active = {"active": True, "inactive": False}.get(show)
    kpis = list(selectors.kpi_list(org=org, active=active, **filters))
    filtered = bool(filters) or show != "active"
    counts = {"green": 0, "amber": 0, "red": 0, "none": 0}
    for kpi in kpis:
        counts[kpi.status or "none"] += 1
    return render(
        request,
        "kpis/library.html",
        {
            "groups": selectors.kpi_library(org=org, kpis=kpis),
            "kpi_count": len(kpis),
            "counts": counts,
            "filtered": filtered,
            "owner": owner,
            "perspective": perspective,
            "show": show,
            "perspectives": Perspective.choices,
            "team_options": [(f"team:{pk}", name) for pk, name in team_choices(org)],
            "people_options": [(f"person:{pk}", name) for pk, name in people_choices(org)],
            "can_create": permissions.can_write(m),
            "today": org.today(),
            "history_periods": HISTORY_PERIODS,
        },
    )


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
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        owner_type, team, user = owner_from_ids(
            request.org, owner_type=data["owner_type"], owner_team=data["owner_team"], owner_user=data["owner_user"]
        )
        require_can_own(
            m,
            (owner_type, team, user),
            message=_("You can create KPIs for yourself, managers for the teams they manage, admins for the company."),
        )
        try:
            kpi = services.kpi_create(
                org=org,
                actor=request.user,
                owner_type=owner_type,
                owner_team=team,
                owner_user=user,
                active=True,
                tracking_since=data["tracking_since"],
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
    kpi = _editable_kpi(request, kpi_id)
    initial = {k: getattr(kpi, k) for k in _FIELDS}
    initial.update(
        owner_type=kpi.owner_type,
        owner_team=kpi.owner_team_id,
        owner_user=kpi.owner_user_id,
        tracking_since=kpi.tracking_since,
        active=kpi.active,
        version=kpi.version,
    )
    form = KpiForm(request.POST or None, org=org, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        owner_type, team, user = owner_from_ids(
            request.org, owner_type=data["owner_type"], owner_team=data["owner_team"], owner_user=data["owner_user"]
        )
        if (owner_type, team and team.pk, user and user.pk) != (kpi.owner_type, kpi.owner_team_id, kpi.owner_user_id):
            require_can_own(
                m,
                (owner_type, team, user),
                message=_("You can only hand a KPI to yourself, a team you manage or (admins) the company."),
            )
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
    return render(request, "kpis/kpi_form.html", {"form": form, "kpi": kpi}, status=400 if form.errors else 200)


@org_view
@require_http_methods(["GET", "POST"])
def kpi_delete(request: HttpRequest, kpi_id: int) -> HttpResponse:
    kpi = _editable_kpi(request, kpi_id)
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
                "text": verbs.get(e.verb, e.verb),
                "period": label,
                "old": (e.before or {}).get("value") if e.verb != "kpi.updated" else None,
                "new": (e.after or {}).get("value") if e.verb != "kpi.updated" else None,
                "fields": sorted((e.after or {}).keys()) if e.verb == "kpi.updated" else [],
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
    kpi = _kpi(request, kpi_id)
    return render(request, "kpis/kpi_detail.html", _detail_context(request, kpi))


@org_view
@require_POST
def measurement_record(request: HttpRequest, kpi_id: int) -> HttpResponse:
    """Record (or correct) a value. An htmx request gets the refreshed KPI body — with
    the errors in the form when there are some, still as a 200 so htmx swaps it in."""
    org = request.org
    kpi = _kpi(request, kpi_id)
    permissions.require(
        kpi.editable_by(request.membership),
        _("Only the KPI's owner, managers of its team and admins record its values."),
    )
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
