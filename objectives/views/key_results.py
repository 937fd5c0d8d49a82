"""Key results, check-ins and the My check-ins page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from core.forms import add_service_errors, offer_overwrite
from core.idempotency import FormAlreadySaved, form_save_once, form_token_new
from core.validation import StaleVersionError
from kpis.models import Kpi
from objectives import forecast_text, forecasts, selectors, services
from objectives.access import (
    access_key_result_for_check_in,
    access_key_result_for_edit,
    access_objective_for_edit,
)
from objectives.approvals import approvals_on
from objectives.checkin_context import pace
from objectives.forms import CheckInForm, KeyResultForm
from objectives.models import (
    KeyResult,
    KeyResultKind,
    Objective,
)
from objectives.views._common import (
    _render_krs,
)
from objectives.views.approvals import keep_reason
from orgs import permissions
from orgs.ownership import member_or_404
from orgs.tenancy import get_scoped_or_404, get_visible_or_404, org_view, scoped

# --- key results ----------------------------------------------------------------------------


@org_view
@require_POST
def key_result_create(request: HttpRequest, objective_id: int) -> HttpResponse:
    org = request.org
    objective = access_objective_for_edit(request.membership, objective_id)
    form = keep_reason(KeyResultForm(request.POST, org=org), objective)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.key_result_create(
                objective=objective,
                actor=request.user,
                **_kr_definition(org, data),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if request.htmx:
                return _render_krs(request, objective.pk)
            messages.success(request, _("Key result added."))
            return redirect("objectives:detail", slug=org.slug, objective_id=objective.pk)
    if request.htmx:
        return _render_krs(request, objective.pk, kr_form=form)
    messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("objectives:detail", slug=org.slug, objective_id=objective.pk)


def _kr_definition(org: Any, data: dict[str, Any]) -> dict[str, Any]:
    """The key-result form's cleaned data as service arguments (owner and KPI scoped to the organisation)."""
    return {
        "title": data["title"],
        "owner": member_or_404(org, data["owner"]),
        "kind": data["kind"],
        "unit": "" if data["kind"] == KeyResultKind.MILESTONE else data["unit"],
        "start_value": data["start_value"],
        "target_value": data["target_value"],
        "weight": data["weight"],
        "kpi": get_scoped_or_404(Kpi, org, pk=data["kpi"]) if data["kpi"] else None,
        "reason": data.get("reason") or None,  # after approval, what sends it back to review needs one
    }


@org_view
@require_http_methods(["GET", "POST"])
def key_result_edit(request: HttpRequest, kr_id: int) -> HttpResponse:
    org = request.org
    kr = access_key_result_for_edit(request.membership, kr_id)
    objective = kr.objective
    form = KeyResultForm(  # the reason field: see keep_reason below
        request.POST or None,
        org=org,
        initial={
            "title": kr.title,
            "owner": kr.owner_id,
            "kind": kr.kind,
            "unit": kr.unit,
            "start_value": kr.start_value,
            "target_value": kr.target_value,
            "weight": kr.weight,
            "kpi": kr.kpi_id,
            "version": kr.version,
        },
    )
    keep_reason(form, objective)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.key_result_update(
                key_result=kr,
                actor=request.user,
                expected_version=data["version"],
                **_kr_definition(org, data),
            )
        except StaleVersionError as exc:
            add_service_errors(form, exc)
            offer_overwrite(form, version=scoped(KeyResult, org).get(pk=kr.pk).version)
            status = 409
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Key result saved."))
            return redirect("objectives:detail", slug=org.slug, objective_id=objective.pk)
    context = {"form": form, "kr": kr, "objective": objective}
    return render(request, "objectives/key_result_form.html", context, status=status)


@org_view
@require_http_methods(["GET", "POST"])
def key_result_delete(request: HttpRequest, kr_id: int) -> HttpResponse:
    kr = access_key_result_for_edit(request.membership, kr_id)
    objective = kr.objective
    back = reverse("objectives:detail", kwargs={"slug": request.org.slug, "objective_id": objective.pk})
    if request.method == "POST":
        try:
            services.key_result_delete(key_result=kr, actor=request.user, reason=request.POST.get("reason"))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Key result deleted."))
        return redirect(back)
    return render(
        request,
        "orgs/confirm_delete.html",
        {
            "title": _("Delete the key result “%(title)s”?") % {"title": kr.title},
            "explanation": _("Its check-in history goes with it."),
            "cancel_url": back,
            "ask_reason": objective.approval_status == "approved" and approvals_on(objective),
        },
    )


@org_view
@require_POST
def key_result_check_in(request: HttpRequest, kr_id: int) -> HttpResponse:
    org, m = request.org, request.membership
    kr = access_key_result_for_check_in(m, kr_id)
    objective = kr.objective
    form = CheckInForm(request.POST, key_result=kr)

    def save() -> bool:
        if not form.is_valid():
            return False
        try:
            services.key_result_check_in(
                key_result=kr,
                actor=request.user,
                value=form.cleaned_data["value"],
                confidence=form.cleaned_data["confidence"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return False
        return True

    # The form's one-time token (as on My check-ins): a double-click saves once, and the
    # second answer says the check-in was already saved.
    already = False
    try:
        saved = form_save_once(request, org_id=org.pk, scope=f"check-in:{kr.pk}", save=save, spent=bool)
    except FormAlreadySaved:
        saved = already = True
    if request.htmx:
        kr.refresh_from_db()
        kr.objective = Objective.objects.select_related("cycle").get(pk=kr.objective_id)
        return render(
            request,
            "objectives/_checkin_row.html",
            {"kr": kr, "form": form if not saved else None, "saved": saved, "already": already},
            status=200 if saved else 400,
        )
    if already:
        messages.info(request, _("This check-in was already saved: the form was sent twice."))
    elif saved:
        messages.success(request, _("Check-in saved."))
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("objectives:detail", kwargs={"slug": org.slug, "objective_id": objective.pk})
    return redirect(target)


# --- my check-ins ---------------------------------------------------------------------------


def _check_in_rows(org: Any, rows: list[dict[str, Any]]) -> None:
    """Add what each row needs beside the inputs: the expected value by today, the last
    check-in (value, note, author, date) and its change since the one before, and where it
    is on course to land. Two queries for every row together."""
    today = org.today()
    recent = selectors.recent_check_ins(org=org, key_result_ids=[r["kr"].pk for r in rows])
    found = forecasts.forecasts_for(org=org, key_results=[r["kr"] for r in rows]) if rows else {}
    for row in rows:
        kr = row["kr"]
        f = found[kr.pk]
        row["forecast"] = f if f.method != "none" else None
        row["forecast_line"] = forecast_text.explain(f, kr)
        row["on_course"] = forecast_text.on_course(f)
        latest = recent.get(kr.pk, [])
        row["last"] = latest[0] if latest else None
        row["change"] = latest[0].value - latest[1].value if len(latest) > 1 else None
        row["pace"] = pace(
            kind=kr.kind,
            start=kr.start_value,
            target=kr.target_value,
            current=kr.current_value,
            cycle_start=kr.objective.cycle.start_date,
            cycle_end=kr.objective.cycle.end_date,
            on=today,
            activated_on=kr.objective.activated_on(org),
        )


def _already_saved(request: HttpRequest) -> HttpResponse:
    messages.info(request, _("These check-ins were already saved: the form was sent twice."))
    return redirect("objectives:my_check_ins", slug=request.org.slug)


def _my_check_in_forms(request: HttpRequest, krs: Any) -> tuple[list[dict[str, Any]], list[KeyResult]]:
    """A form per key result; on a POST, each row that changed is checked in (a row with
    an error keeps what was typed). The rows, and the key results saved."""
    rows: list[dict[str, Any]] = []
    saved: list[KeyResult] = []
    for kr in krs:
        prefix = f"kr{kr.pk}"
        initial = {"value": kr.current_value, "confidence": kr.confidence or 5}
        row_saved = False
        if request.method == "POST":
            form = CheckInForm(request.POST, prefix=prefix, key_result=kr, initial=initial)
            if form.has_changed():
                if form.is_valid():
                    try:
                        services.key_result_check_in(
                            key_result=kr,
                            actor=request.user,
                            value=form.cleaned_data["value"],
                            confidence=form.cleaned_data["confidence"],
                            note=form.cleaned_data["note"],
                        )
                        row_saved = True
                        saved.append(kr)
                        kr.refresh_from_db()
                        form = CheckInForm(
                            prefix=prefix,
                            key_result=kr,
                            initial={"value": kr.current_value, "confidence": kr.confidence},
                        )
                    except ValidationError as exc:
                        add_service_errors(form, exc)
            else:
                form = CheckInForm(prefix=prefix, key_result=kr, initial=initial)
        else:
            form = CheckInForm(prefix=prefix, key_result=kr, initial=initial)
        rows.append({"kr": kr, "form": form, "saved": row_saved})
    return rows, saved


@org_view
@require_http_methods(["GET", "POST"])
def my_check_ins(request: HttpRequest) -> HttpResponse:
    """Every key result the person owns, on one screen, last values prefilled, with
    the context to judge the new value (pace, last change, last note).
    One submit saves every row that changed; rows left untouched are skipped; a row
    with an error (or an unusual value waiting for confirmation) keeps what was typed
    and the others are saved — the page says which."""
    org, m = request.org, request.membership
    if request.method == "POST":
        permissions.require(permissions.can_write(m), _("Viewers cannot check in."))
    krs = selectors.my_key_results(org=org, user=request.user, seen_by=m) if permissions.can_write(m) else []
    if request.method != "POST":
        rows, saved = _my_check_in_forms(request, krs)
    else:
        # The form's one-time token: a second submission of one rendering (a double-click,
        # a resent form) saves nothing.
        try:
            rows, saved = form_save_once(
                request,
                org_id=org.pk,
                scope="my-check-ins",
                save=lambda: _my_check_in_forms(request, krs),
                spent=lambda result: bool(result[1]),
            )
        except FormAlreadySaved:
            return _already_saved(request)
    errors = any(r["form"].errors for r in rows)
    if request.method == "POST":
        n = len(saved)
        if saved and not errors:
            messages.success(
                request,
                ngettext("%(n)d check-in saved. Thank you!", "%(n)d check-ins saved. Thank you!", n) % {"n": n},
            )
            return redirect("objectives:my_check_ins", slug=org.slug)
        if saved:
            messages.success(
                request,
                ngettext("%(n)d check-in saved: %(titles)s.", "%(n)d check-ins saved: %(titles)s.", n)
                % {"n": n, "titles": ", ".join(f"“{kr.title}”" for kr in saved)},
            )
        if not saved and not errors:
            messages.info(request, _("Nothing changed, so nothing was saved."))
            return redirect("objectives:my_check_ins", slug=org.slug)
    _check_in_rows(org, rows)
    return render(
        request,
        "objectives/my_check_ins.html",
        {"rows": rows, "has_errors": errors, "saved_count": len(saved), "once": form_token_new()},
        status=400 if errors else 200,
    )


@org_view
def key_result_history(request: HttpRequest, kr_id: int) -> HttpResponse:
    """A key result's recent check-ins on one line (the htmx "history" on My check-ins)."""
    kr = get_visible_or_404(KeyResult, request.membership, pk=kr_id)
    history = selectors.check_in_history(org=request.org, key_result=kr)
    template = "objectives/_history_line.html" if request.htmx else "objectives/history.html"
    return render(request, template, {"kr": kr, "history": history})
