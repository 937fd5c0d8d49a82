"""OKR pages: the cycle's OKRs, objective detail, the planning flow (htmx),
my check-ins, and edit / cancel / delete with confirmation."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from activity.selectors import activity_for_objective
from cycles.models import Cycle, CycleStatus
from cycles.selectors import cycle_list, default_cycle
from kpis.models import Kpi
from objectives import selectors, services
from objectives.checkin_context import pace
from objectives.extensions import objective_detail_context
from objectives.forms import CheckInForm, InitiativeForm, KeyResultForm, ObjectiveForm
from objectives.models import (
    MAX_KEY_RESULTS,
    MIN_KEY_RESULTS_TO_ACTIVATE,
    Initiative,
    KeyResult,
    KeyResultKind,
    Objective,
    ObjectiveSnapshot,
    ObjectiveStatus,
)
from okrkpi.core.forms import add_service_errors, offer_overwrite
from okrkpi.core.ids import parse_id
from okrkpi.core.validation import StaleVersionError
from orgs import permissions
from orgs.models import Membership
from orgs.ownership import default_owner, member_or_404, owner_from_ids, require_can_own
from orgs.tenancy import get_scoped_or_404, org_view, scoped


def can_check_in(m: Membership, kr: KeyResult, objective: Objective) -> bool:
    return permissions.can_check_in(m, key_result_owner_id=kr.owner_id, objective_editable=objective.editable_by(m))


# --- the cycle's OKRs --------------------------------------------------------------------


@org_view
def cycle_okrs(request: HttpRequest) -> HttpResponse:
    org, m = request.org, request.membership
    cycles = list(cycle_list(org=org))
    cycle_id = request.GET.get("cycle")
    cycle = None
    if cycle_id:
        cycle = next((c for c in cycles if c.pk == parse_id(cycle_id)), None)
        if cycle is None:
            raise Http404
    cycle = cycle or default_cycle(org=org)
    data = selectors.cycle_okrs(org=org, cycle=cycle) if cycle else None
    return render(
        request,
        "objectives/cycle_okrs.html",
        {
            "cycles": cycles,
            "cycle": cycle,
            "okrs": data,
            "can_create": permissions.can_write(m),
        },
    )


# --- objective detail ----------------------------------------------------------------------


def _daily_points(kr: KeyResult, tz: tzinfo) -> list[list[Any]]:
    """A key result's progress per day for the chart: several check-ins on one day are
    one point, the day's last value (otherwise the line draws a vertical spike)."""
    by_day: dict[str, float] = {}
    for ci in sorted(kr.check_ins.all(), key=lambda c: (c.created_at, c.id)):
        by_day[timezone.localtime(ci.created_at, tz).date().isoformat()] = ci.value
    return [
        [
            day,
            round(
                services.key_result_progress_preview(
                    kind=kr.kind, start=kr.start_value, target=kr.target_value, current=value
                )
                * 100,
                1,
            ),
        ]
        for day, value in by_day.items()
    ]


def _detail_context(request: HttpRequest, objective: Objective) -> dict[str, Any]:
    context = _objective_context(request, objective)
    # The floors above add their parts of the page (conversations: comments, reactions).
    objective_detail_context.send(sender=Objective, request=request, objective=objective, context=context)
    return context


def _objective_context(request: HttpRequest, objective: Objective) -> dict[str, Any]:
    m = request.membership
    editable = objective.editable_by(m) and objective.is_editable
    krs = list(objective.key_results.all())
    chart = [{"label": kr.title, "points": _daily_points(kr, request.org.tzinfo)} for kr in krs]
    trend_points = [
        [d.isoformat(), round(p * 100, 1)]
        for d, p in scoped(ObjectiveSnapshot, request.org)
        .filter(objective=objective)
        .order_by("date")
        .values_list("date", "progress")[:400]
    ]
    history = sorted((ci for kr in krs for ci in kr.check_ins.all()), key=lambda ci: ci.created_at, reverse=True)
    for kr in krs:
        kr.can_check_in = (
            objective.is_editable and objective.status != ObjectiveStatus.CANCELLED and can_check_in(m, kr, objective)
        )
    return {
        "objective": objective,
        "key_results": krs,
        "editable": editable,
        "can_add_kr": editable and len(krs) < MAX_KEY_RESULTS,
        "max_krs": MAX_KEY_RESULTS,
        "min_krs": MIN_KEY_RESULTS_TO_ACTIVATE,
        "kr_form": KeyResultForm(org=request.org, initial={"owner": objective.owner_user_id or request.user.pk}),
        "initiative_form": InitiativeForm(org=request.org, objective=objective),
        "initiatives": list(objective.initiatives.all()),
        "children": list(objective.children.all()),
        "history": history[:50],
        "chart": chart,
        "trend": [{"label": str(_("Objective progress")), "points": trend_points}] if trend_points else [],
        "activity": activity_for_objective(
            org=request.org, objective_id=objective.pk, key_result_ids=[kr.pk for kr in krs]
        ),
    }


@org_view
def objective_detail(request: HttpRequest, objective_id: int) -> HttpResponse:
    try:
        objective = selectors.objective_detail(org=request.org, objective_id=objective_id)
    except Objective.DoesNotExist:
        raise Http404 from None
    return render(request, "objectives/objective_detail.html", _detail_context(request, objective))


def _render_krs(request: HttpRequest, objective_id: int, status: int = 200, kr_form: Any = None) -> HttpResponse:
    objective = selectors.objective_detail(org=request.org, objective_id=objective_id)
    context = _detail_context(request, objective)
    if kr_form is not None:
        context["kr_form"] = kr_form
    return render(request, "objectives/_key_results.html", context, status=status)


# --- planning flow -------------------------------------------------------------------------


def _objective_form(request: HttpRequest, *, objective: Objective | None, data: Any = None) -> ObjectiveForm:
    org = request.org
    cycles = [c for c in cycle_list(org=org) if c.status != CycleStatus.CLOSED]
    if objective is not None and objective.cycle is not None and objective.cycle not in cycles:
        cycles.append(objective.cycle)
    chosen = None
    raw = (data or {}).get("cycle") or request.GET.get("cycle")
    if raw and parse_id(raw):
        chosen = next((c for c in cycles if c.pk == parse_id(raw)), None)
    chosen = chosen or (objective.cycle if objective else None) or (cycles[0] if cycles else None)
    if objective is None and chosen is None:
        chosen = default_cycle(org=org)
    parents = list(selectors.alignment_candidates(org=org, cycle=chosen, exclude=objective)) if chosen else []
    initial: dict[str, Any] = {"cycle": chosen.pk if chosen else None}
    if objective is not None:
        initial.update(
            title=objective.title,
            description=objective.description,
            owner_type=objective.owner_type,
            owner_team=objective.owner_team_id,
            owner_user=objective.owner_user_id,
            parent=objective.parent_id,
            weight=objective.weight,
            perspective=objective.perspective,
            commitment=objective.commitment,
            version=objective.version,
        )
    else:
        initial["parent"] = request.GET.get("parent") or None
        initial.update(default_owner(request))
    backlog = objective is not None and objective.cycle_id is None
    if backlog and not (data or {}).get("cycle") and not request.GET.get("cycle"):
        initial["cycle"] = None
    return ObjectiveForm(data, org=org, cycles=cycles, parents=parents, initial=initial, backlog=backlog)


@org_view
@require_http_methods(["GET", "POST"])
def objective_create(request: HttpRequest) -> HttpResponse:
    org, m = request.org, request.membership
    permissions.require(permissions.can_write(m), _("Viewers cannot create objectives."))
    if not cycle_list(org=org).exclude(status=CycleStatus.CLOSED).exists():
        messages.info(request, _("Open a cycle first: objectives belong to a cycle."))
        return redirect("cycles:list", slug=org.slug)
    form = _objective_form(request, objective=None, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        owner_type, team, user = owner_from_ids(
            request.org, owner_type=data["owner_type"], owner_team=data["owner_team"], owner_user=data["owner_user"]
        )
        require_can_own(
            m,
            (owner_type, team, user),
            message=_("You can create objectives for yourself, and managers for the teams they manage."),
        )
        cycle = get_scoped_or_404(Cycle, org, pk=data["cycle"])
        parent = get_scoped_or_404(Objective, org, pk=data["parent"]) if data["parent"] else None
        try:
            objective = services.objective_create(
                org=org,
                actor=request.user,
                cycle=cycle,
                title=data["title"],
                description=data["description"],
                commitment=data["commitment"],
                owner_type=owner_type,
                owner_team=team,
                owner_user=user,
                parent=parent,
                weight=data["weight"],
                perspective=data["perspective"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Objective created as a draft. Add 2 to 5 key results, then activate it."))
            return redirect("objectives:detail", slug=org.slug, objective_id=objective.pk)
    return render(request, "objectives/objective_form.html", {"form": form, "objective": None})


def _editable_objective(request: HttpRequest, objective_id: int) -> Objective:
    objective = get_scoped_or_404(Objective, request.org, pk=objective_id)
    permissions.require(objective.editable_by(request.membership), _("You cannot change this objective."))
    return objective


@org_view
@require_http_methods(["GET", "POST"])
def objective_edit(request: HttpRequest, objective_id: int) -> HttpResponse:
    org, m = request.org, request.membership
    objective = _editable_objective(request, objective_id)
    form = _objective_form(request, objective=objective, data=request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        owner_type, team, user = owner_from_ids(
            request.org, owner_type=data["owner_type"], owner_team=data["owner_team"], owner_user=data["owner_user"]
        )
        require_can_own(m, (owner_type, team, user), message=_("You cannot give this objective to that owner."))
        parent = get_scoped_or_404(Objective, org, pk=data["parent"]) if data["parent"] else None
        try:
            services.objective_update(
                objective=objective,
                actor=request.user,
                title=data["title"],
                description=data["description"],
                owner_type=owner_type,
                owner_team=team,
                owner_user=user,
                parent=parent,
                weight=data["weight"],
                perspective=data["perspective"],
                commitment=data["commitment"],
                cycle=get_scoped_or_404(Cycle, org, pk=data["cycle"]) if data["cycle"] else None,
                expected_version=data["version"],
            )
        except StaleVersionError as exc:
            add_service_errors(form, exc)
            offer_overwrite(form, version=scoped(Objective, org).get(pk=objective.pk).version)
            status = 409
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Objective saved."))
            return redirect("objectives:detail", slug=org.slug, objective_id=objective.pk)
    return render(request, "objectives/objective_form.html", {"form": form, "objective": objective}, status=status)


@org_view
@require_POST
def objective_status(request: HttpRequest, objective_id: int) -> HttpResponse:
    objective = _editable_objective(request, objective_id)
    status = request.POST.get("status", "")
    try:
        services.objective_set_status(objective=objective, actor=request.user, status=status)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        labels = {
            "active": _("Objective activated."),
            "cancelled": _("Objective cancelled."),
            "closed": _("Objective closed."),
            "draft": _("Objective moved back to draft."),
        }
        messages.success(request, labels.get(status, _("Saved.")))
    return redirect("objectives:detail", slug=request.org.slug, objective_id=objective.pk)


@org_view
@require_http_methods(["GET", "POST"])
def objective_delete(request: HttpRequest, objective_id: int) -> HttpResponse:
    objective = _editable_objective(request, objective_id)
    if request.method == "POST":
        cycle_id = objective.cycle_id
        services.objective_delete(objective=objective, actor=request.user)
        messages.success(request, _("Objective %(title)s deleted.") % {"title": objective.title})
        return redirect(reverse("objectives:cycle", kwargs={"slug": request.org.slug}) + f"?cycle={cycle_id}")
    return render(
        request,
        "orgs/confirm_delete.html",
        {
            "title": _("Delete the objective “%(title)s”?") % {"title": objective.title},
            "explanation": _(
                "Its key results, check-ins and initiatives are deleted too; objectives aligned to it "
                "stay but lose their alignment. To keep the history, cancel it instead."
            ),
            "cancel_url": reverse("objectives:detail", kwargs={"slug": request.org.slug, "objective_id": objective.pk}),
        },
    )


# --- key results ----------------------------------------------------------------------------


@org_view
@require_POST
def key_result_create(request: HttpRequest, objective_id: int) -> HttpResponse:
    org = request.org
    objective = _editable_objective(request, objective_id)
    form = KeyResultForm(request.POST, org=org)
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
    }


def _kr(request: HttpRequest, kr_id: int) -> KeyResult:
    return get_scoped_or_404(KeyResult, request.org, pk=kr_id)


@org_view
@require_http_methods(["GET", "POST"])
def key_result_edit(request: HttpRequest, kr_id: int) -> HttpResponse:
    org = request.org
    kr = _kr(request, kr_id)
    objective = _editable_objective(request, kr.objective_id)
    form = KeyResultForm(
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
    kr = _kr(request, kr_id)
    objective = _editable_objective(request, kr.objective_id)
    back = reverse("objectives:detail", kwargs={"slug": request.org.slug, "objective_id": objective.pk})
    if request.method == "POST":
        try:
            services.key_result_delete(key_result=kr, actor=request.user)
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
        },
    )


@org_view
@require_POST
def key_result_check_in(request: HttpRequest, kr_id: int) -> HttpResponse:
    org, m = request.org, request.membership
    kr = get_scoped_or_404(KeyResult, org, pk=kr_id)
    objective = get_scoped_or_404(Objective, org, pk=kr.objective_id)
    permissions.require(can_check_in(m, kr, objective), _("Only the key result's owner can check in on it."))
    form = CheckInForm(request.POST, key_result=kr)
    saved = False
    if form.is_valid():
        try:
            services.key_result_check_in(
                key_result=kr,
                actor=request.user,
                value=form.cleaned_data["value"],
                confidence=form.cleaned_data["confidence"],
                note=form.cleaned_data["note"],
            )
            saved = True
        except ValidationError as exc:
            add_service_errors(form, exc)
    if request.htmx:
        kr.refresh_from_db()
        kr.objective = Objective.objects.select_related("cycle").get(pk=kr.objective_id)
        return render(
            request,
            "objectives/_checkin_row.html",
            {"kr": kr, "form": form if not saved else None, "saved": saved},
            status=200 if saved else 400,
        )
    if saved:
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
    check-in (value, note, author, date) and its change since the one before. One query
    for every row together."""
    today = org.today()
    recent = selectors.recent_check_ins(org=org, key_result_ids=[r["kr"].pk for r in rows])
    for row in rows:
        kr = row["kr"]
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
        )


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
    krs = selectors.my_key_results(org=org, user=request.user) if permissions.can_write(m) else []
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
        {"rows": rows, "has_errors": errors, "saved_count": len(saved)},
        status=400 if errors else 200,
    )


@org_view
def key_result_history(request: HttpRequest, kr_id: int) -> HttpResponse:
    """A key result's recent check-ins on one line (the htmx "history" on My check-ins)."""
    kr = get_scoped_or_404(KeyResult, request.org, pk=kr_id)
    history = selectors.check_in_history(org=request.org, key_result=kr)
    template = "objectives/_history_line.html" if request.htmx else "objectives/history.html"
    return render(request, template, {"kr": kr, "history": history})


# --- initiatives ----------------------------------------------------------------------------


@org_view
@require_POST
def initiative_create(request: HttpRequest, objective_id: int) -> HttpResponse:
    org = request.org
    objective = get_scoped_or_404(Objective, org, pk=objective_id)
    permissions.require(objective.editable_by(request.membership), _("You cannot change this objective."))
    form = InitiativeForm(request.POST, org=org, objective=objective)
    if form.is_valid():
        data = form.cleaned_data
        kr = get_scoped_or_404(KeyResult, org, pk=data["key_result"]) if data["key_result"] else None
        try:
            services.initiative_create(
                actor=request.user,
                objective=objective,
                key_result=kr,
                title=data["title"],
                owner=member_or_404(org, data["owner"]),
                status=data["status"],
                due_date=data["due_date"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Initiative added."))
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("objectives:detail", slug=org.slug, objective_id=objective.pk)


@org_view
@require_http_methods(["GET", "POST"])
def initiative_edit(request: HttpRequest, initiative_id: int) -> HttpResponse:
    org = request.org
    initiative = get_scoped_or_404(Initiative, org, pk=initiative_id)
    objective = get_scoped_or_404(Objective, org, pk=initiative.objective_id)
    allowed = objective.editable_by(request.membership) or (
        permissions.can_write(request.membership) and initiative.owner_id == request.user.pk
    )
    permissions.require(allowed, _("You cannot change this initiative."))
    form = InitiativeForm(
        request.POST or None,
        org=org,
        objective=objective,
        initial={
            "title": initiative.title,
            "key_result": initiative.key_result_id,
            "owner": initiative.owner_id,
            "status": initiative.status,
            "due_date": initiative.due_date,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        kr = get_scoped_or_404(KeyResult, org, pk=data["key_result"]) if data["key_result"] else None
        try:
            services.initiative_update(
                initiative=initiative,
                actor=request.user,
                title=data["title"],
                owner=member_or_404(org, data["owner"]),
                status=data["status"],
                due_date=data["due_date"],
                key_result=kr,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Initiative saved."))
            return redirect("objectives:detail", slug=org.slug, objective_id=objective.pk)
    return render(
        request, "objectives/initiative_form.html", {"form": form, "objective": objective, "initiative": initiative}
    )


@org_view
@require_http_methods(["GET", "POST"])
def initiative_delete(request: HttpRequest, initiative_id: int) -> HttpResponse:
    org = request.org
    initiative = get_scoped_or_404(Initiative, org, pk=initiative_id)
    objective = get_scoped_or_404(Objective, org, pk=initiative.objective_id)
    permissions.require(objective.editable_by(request.membership), _("You cannot change this objective."))
    back = reverse("objectives:detail", kwargs={"slug": org.slug, "objective_id": objective.pk})
    if request.method == "POST":
        services.initiative_delete(initiative=initiative, actor=request.user)
        messages.success(request, _("Initiative deleted."))
        return redirect(back)
    return render(
        request,
        "orgs/confirm_delete.html",
        {
            "title": _("Delete the initiative “%(title)s”?") % {"title": initiative.title},
            "explanation": "",
            "cancel_url": back,
        },
    )
