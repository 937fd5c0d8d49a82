"""The end-of-cycle pages: the close review (grades, retrospectives, their review, the close),
carry-over, the backlog, the printable report with the quarter statistics, and the exports."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from core import spreadsheet
from core.ids import parse_id
from cycles.models import Cycle, CycleStatus
from objectives import services as okr_services
from objectives.models import KeyResult, Objective
from objectives.restricted import hidden_objectives, restricted_row
from orgs import permissions
from orgs.tenancy import get_scoped_or_404, get_visible_or_404, org_view, scoped, visible
from rituals import exports, review, services
from rituals.services.grades import can_grade
from rituals.services.retrospectives import can_review, reviewable_ids, unacknowledged


def _review_context(request: HttpRequest, cycle: Cycle, **extra: Any) -> dict[str, Any]:
    m = request.membership
    objectives = review.review_objectives(org=request.org, cycle=cycle)
    reviewable = reviewable_ids(m, [o.pk for o in objectives]) if cycle.status == CycleStatus.ACTIVE else set()
    for o in objectives:
        o.can_write_retro = cycle.status == CycleStatus.ACTIVE and o.editable_by(m)
        o.can_review = o.pk in reviewable
        for kr in o.krs:
            kr.objective = o  # already loaded: can_grade reads it without a query
            kr.can_grade = cycle.status == CycleStatus.ACTIVE and can_grade(m, kr)
    pending = [o for o in objectives if not (o.retro and o.retro.is_acknowledged)]
    return {
        "cycle": cycle,
        "objectives": objectives,
        "pending": pending,
        "can_close": cycle.status == CycleStatus.ACTIVE and permissions.can_manage_cycles(m),
        "targets": review.next_cycles(org=request.org, cycle=cycle),
        "unfinished_ids": {o.pk for o in review.unfinished(objectives)},
        "errors": {},
        **extra,
    }


def _first_or_404(qs: Any) -> Any:
    found = qs.first()
    if found is None:
        raise Http404
    return found


def _cycle(request: HttpRequest, cycle_id: int) -> Cycle:
    return get_scoped_or_404(Cycle, request.org, pk=cycle_id)


@org_view
@require_http_methods(["GET", "POST"])
def cycle_close(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """GET: the review page. POST: close the cycle (planners; ``force`` for admins)."""
    cycle = _cycle(request, cycle_id)
    if request.method == "GET":
        if cycle.status == CycleStatus.PLANNING:
            messages.info(
                request, _("%(name)s has not started yet: there is nothing to review.") % {"name": cycle.name}
            )
            return redirect("cycles:list", slug=request.org.slug)
        return render(request, "rituals/cycle_close.html", _review_context(request, cycle))
    m = request.membership
    permissions.require(permissions.can_manage_cycles(m), _("Only admins close cycles."))
    force = request.POST.get("force") == "1"
    if force:
        permissions.require(permissions.is_admin(m), _("Only admins close a cycle with unacknowledged retrospectives."))
    message = request.POST.get("closing_message", "")
    try:
        services.cycle_close(cycle=cycle, actor=request.user, closing_message=message, force=force)
    except ValidationError as exc:
        context = _review_context(request, cycle, close_errors=exc.messages, closing_message=message)
        return render(request, "rituals/cycle_close.html", context, status=400)
    messages.success(request, _("%(name)s is closed. Its grades and retrospectives are kept.") % {"name": cycle.name})
    return redirect("objectives:cycle_close", slug=request.org.slug, cycle_id=cycle.pk)


def _objective_block(
    request: HttpRequest,
    objective: Objective,
    *,
    status: int = 200,
    errors: dict[str, list[str]] | None = None,
    typed: dict[str, str] | None = None,
) -> HttpResponse:
    """Re-render one objective of the review page (htmx) or the whole page. On a refusal the
    typed values come back with the message next to the field: nothing typed is lost."""
    cycle = objective.cycle
    context = _review_context(request, cycle)
    block = next((o for o in context["objectives"] if o.pk == objective.pk), None)
    if block is not None:
        block.errors = errors or {}
        block.typed = typed or {}
        for kr in block.krs:
            kr.error = block.errors.get(f"kr-{kr.pk}")
            if kr.error:
                kr.typed_grade = block.typed.get("grade", "")
                kr.typed_note = block.typed.get("note", "")
    if request.htmx:
        if block is None:
            raise Http404
        context["o"] = block
        return render(request, "rituals/_close_objective.html", context, status=status)
    if status == 200:
        return redirect(
            reverse("objectives:cycle_close", args=[request.org.slug, cycle.pk]) + f"#objective-{objective.pk}"
        )
    return render(request, "rituals/cycle_close.html", context, status=status)


def _typed_grade(request: HttpRequest, kr_id: int) -> tuple[str, str]:
    """The grade and note typed for one key result: the page's one form names them per key
    result (``grade-<id>``); a form of its own just ``grade``."""
    post = request.POST
    grade = post.get(f"grade-{kr_id}", post.get("grade", ""))
    return grade, post.get(f"grade_note-{kr_id}", post.get("grade_note", ""))


@org_view
@require_POST
def cycle_grades(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """Save every grade and note of the page with one button: the ones changed are saved, the
    refused ones come back as typed with their message, next to the others saved."""
    cycle = _cycle(request, cycle_id)
    context = _review_context(request, cycle)
    saved, refused = 0, 0
    for o in context["objectives"]:
        for kr in o.krs:
            if not kr.can_grade or f"grade-{kr.pk}" not in request.POST:
                continue
            grade, note = _typed_grade(request, kr.pk)
            if not _grade_changed(kr, grade, note):
                continue
            try:
                services.key_result_grade(key_result=kr, actor=request.user, grade=grade, note=note)
            except ValidationError as exc:
                kr.error, kr.typed_grade, kr.typed_note = exc.messages, grade, note
                refused += 1
            else:
                saved += 1
    if refused:
        context["grades_errors"] = True
        return render(request, "rituals/cycle_close.html", context, status=400)
    messages.success(
        request,
        ngettext("%(n)d grade saved.", "%(n)d grades saved.", saved) % {"n": saved}
        if saved
        else _("Nothing to save: every grade is as it was."),
    )
    return redirect("objectives:cycle_close", slug=request.org.slug, cycle_id=cycle.pk)


def _grade_changed(kr: KeyResult, grade: str, note: str) -> bool:
    """Whether what is typed differs from what the page showed (a grade shown as 0.7 typed 0,7 has not)."""
    try:
        typed = float(grade.strip().replace(",", "."))
    except ValueError:
        return True  # the service says what is wrong with it
    return round(typed, 1) != round(kr.shown_grade, 1) or note.strip() != (kr.grade_note or "")


@org_view
@require_POST
def key_result_grade(request: HttpRequest, kr_id: int) -> HttpResponse:
    kr = _first_or_404(visible(KeyResult, request.membership).select_related("objective__cycle").filter(pk=kr_id))
    permissions.require(can_grade(request.membership, kr), _("Only the key result's owner or a manager grades it."))
    grade, note = _typed_grade(request, kr.pk)
    try:
        services.key_result_grade(key_result=kr, actor=request.user, grade=grade, note=note)
    except ValidationError as exc:
        errors = {f"kr-{kr.pk}": exc.messages}
        typed = {"grade": grade, "note": note}
        return _objective_block(request, kr.objective, status=400, errors=errors, typed=typed)
    return _objective_block(request, kr.objective)


@org_view
@require_POST
def retrospective_save(request: HttpRequest, objective_id: int) -> HttpResponse:
    objective = _first_or_404(visible(Objective, request.membership).select_related("cycle").filter(pk=objective_id))
    permissions.require(
        objective.editable_by(request.membership), _("Only the objective's owner writes its retrospective.")
    )
    fields = {k: request.POST.get(k, "") for k in ("went_well", "went_badly", "learned")}
    try:
        services.retrospective_save(objective=objective, actor=request.user, **fields)
    except ValidationError as exc:
        typed = fields
        return _objective_block(request, objective, status=400, errors={"retro": exc.messages}, typed=typed)
    return _objective_block(request, objective)


@org_view
@require_POST
def retrospective_review(request: HttpRequest, objective_id: int) -> HttpResponse:
    objective = _first_or_404(visible(Objective, request.membership).select_related("cycle").filter(pk=objective_id))
    permissions.require(
        can_review(request.membership, objective),
        _("Only the owner's manager (an admin for company objectives) reviews it."),
    )
    comment = request.POST.get("comment", "")
    acknowledge = request.POST.get("acknowledge") == "1"
    try:
        services.retrospective_review(objective=objective, actor=request.user, acknowledge=acknowledge, comment=comment)
    except ValidationError as exc:
        typed = {"comment": comment}
        return _objective_block(request, objective, status=400, errors={"review": exc.messages}, typed=typed)
    return _objective_block(request, objective)


# --- carry-over and the backlog ------------------------------------------------------------


@org_view
@require_POST
def carry_over(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """Copy the ticked objectives, with their ticked key results, into an open cycle or the backlog."""
    org, m = request.org, request.membership
    cycle = _cycle(request, cycle_id)
    ids = [i for i in (parse_id(v) for v in request.POST.getlist("objective")) if i is not None]
    kr_ids = [i for i in (parse_id(v) for v in request.POST.getlist("key_result")) if i is not None]
    objectives = list(scoped(Objective, org).filter(cycle=cycle, pk__in=ids).select_related("owner_team", "owner_user"))
    for o in objectives:
        permissions.require(o.editable_by(m), _("You cannot carry over “%(title)s”.") % {"title": o.title})
    raw_target = request.POST.get("target", "")
    target = None
    if raw_target != "backlog":
        target_id = parse_id(raw_target)
        target = scoped(Cycle, org).filter(pk=target_id).first() if target_id else None
        if target is None:
            messages.error(request, _("Choose the cycle to carry over into, or the backlog."))
            return redirect(reverse("objectives:cycle_close", args=[org.slug, cycle.pk]) + "#carry-over")
    try:
        copies = services.objectives_carry_over(
            org=org, actor=request.user, objectives=objectives, key_result_ids=kr_ids, target=target
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(reverse("objectives:cycle_close", args=[org.slug, cycle.pk]) + "#carry-over")
    where = target.name if target else _("the backlog")
    messages.success(
        request,
        ngettext(
            "%(count)d objective carried over into %(where)s as a draft.",
            "%(count)d objectives carried over into %(where)s as drafts.",
            len(copies),
        )
        % {"count": len(copies), "where": where},
    )
    if target is None:
        return redirect("objectives:backlog", slug=org.slug)
    return redirect(reverse("objectives:cycle", args=[org.slug]) + f"?cycle={target.pk}")


@org_view
def backlog(request: HttpRequest) -> HttpResponse:
    org, m = request.org, request.membership
    objectives = list(
        visible(Objective, m)
        .filter(cycle__isnull=True)
        .select_related("owner_team", "owner_user", "carried_from__cycle")
        .prefetch_related("key_results")
        .order_by("-created_at", "-id")
    )
    for o in objectives:
        o.can_plan = o.editable_by(m)
    return render(
        request,
        "rituals/backlog.html",
        {"objectives": objectives, "targets": review.next_cycles(org=org)},
    )


@org_view
@require_POST
def plan_objective(request: HttpRequest, objective_id: int) -> HttpResponse:
    """Move a backlog objective into an open cycle (it stays a draft)."""
    org = request.org
    objective = get_visible_or_404(Objective, request.membership, pk=objective_id, cycle__isnull=True)
    permissions.require(objective.editable_by(request.membership), _("You cannot plan this objective."))
    target_id = parse_id(request.POST.get("cycle", ""))
    target = scoped(Cycle, org).filter(pk=target_id).first() if target_id else None
    if target is None:
        messages.error(request, _("Choose the cycle to plan “%(title)s” into.") % {"title": objective.title})
        return redirect("objectives:backlog", slug=org.slug)
    try:
        okr_services.objective_update(objective=objective, actor=request.user, cycle=target)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("objectives:backlog", slug=org.slug)
    messages.success(
        request, _("“%(title)s” is planned into %(cycle)s.") % {"title": objective.title, "cycle": target.name}
    )
    return redirect("objectives:detail", slug=org.slug, objective_id=objective.pk)


# --- the report, its statistics and the exports --------------------------------------------


@org_view
def cycle_report(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """The printable report of a cycle: closing message, statistics, every grade and retrospective."""
    org = request.org
    cycle = _cycle(request, cycle_id)
    objectives = review.review_objectives(org=org, cycle=cycle)
    stats = review.cycle_statistics(org=org, cycle=cycle, objectives=objectives)  # over all of them
    hidden = hidden_objectives(request.membership, cycle_id=cycle.pk)
    context = {
        "cycle": cycle,
        "objectives": [o for o in objectives if o.pk not in hidden],
        "restricted": restricted_row(
            request.membership, [(o.progress, hidden[o.pk]) for o in objectives if o.pk in hidden]
        ),
        "never_shown": [kr for kr in stats.never_checked_in if kr.objective_id not in hidden],
        "stats": stats,
        "pending": unacknowledged(cycle=cycle),
    }
    return render(request, "rituals/cycle_report.html", context)


@org_view
def cycle_export(request: HttpRequest, cycle_id: int, fmt: str) -> HttpResponse:
    cycle = _cycle(request, cycle_id)
    hidden = hidden_objectives(request.membership, cycle_id=cycle.pk)
    objectives = [o for o in review.review_objectives(org=request.org, cycle=cycle) if o.pk not in hidden]
    rows = exports.cycle_rows(objectives, cycle=cycle)
    return spreadsheet.download(rows, fmt=fmt, filename=exports.filename(cycle.name, fmt), sheet=cycle.name)
