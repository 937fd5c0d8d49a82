"""The quality coach's pages: the quality page of a cycle and of the KPI library, the coach
panel of an objective (loaded by htmx), live advice while a form is being filled in, and
dismissing a finding with a reason, and undoing that."""

from __future__ import annotations

import dataclasses

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.ids import parse_id
from core.numbers import parse_number, unit_aliases
from cycles.selectors import cycle_list, default_cycle
from objectives.models import Objective
from orgs import permissions
from orgs.tenancy import org_view, visible
from rituals import coach, quality, services
from rituals.restricted import visible_findings


@org_view
def quality_page(request: HttpRequest) -> HttpResponse:
    org = request.org
    cycles = list(cycle_list(org=org))
    wanted = request.GET.get("cycle")
    cycle = next((c for c in cycles if c.pk == parse_id(wanted)), None) if wanted else default_cycle(org=org)
    if wanted and cycle is None:
        raise Http404
    report = quality.cycle_quality(org=org, cycle=cycle) if cycle else None
    objectives = (
        {o.pk: o for o in visible(Objective, request.membership).filter(pk__in=list(report.scores))}
        if report is not None
        else {}
    )
    kpi_report = quality.kpi_library_quality(org=org)
    # The scores count everything; the findings and rows are those the reader may see (DESIGN §3).
    if report is not None:
        report = dataclasses.replace(report, findings=visible_findings(request.membership, cycle, report.findings))
    kpi_report = dataclasses.replace(
        kpi_report, findings=visible_findings(request.membership, None, kpi_report.findings)
    )
    return render(
        request,
        "rituals/quality.html",
        {
            "cycles": cycles,
            "cycle": cycle,
            "report": report,
            "objective_scores": sorted(
                ((objectives[pk], score) for pk, score in report.scores.items() if pk in objectives),
                key=lambda pair: pair[1],
            )
            if report
            else [],
            "kpi_report": kpi_report,
            "can_dismiss": services.coach_dismissable(
                membership=request.membership,
                objects=[
                    (f.object_type, f.object_id) for f in [*(report.findings if report else []), *kpi_report.findings]
                ],
            ),
        },
    )


@org_view
def objective_coach(request: HttpRequest, objective_id: int) -> HttpResponse:
    """The coach panel of an objective's page (a partial, loaded after the page)."""
    objective = visible(Objective, request.membership).filter(pk=objective_id).first()
    if objective is None:
        raise Http404
    report = quality.objective_quality(org=request.org, objective=objective)
    return render(
        request,
        "rituals/_coach.html",
        {
            "report": report,
            "findings": report.findings,
            "can_dismiss": services.coach_dismissable(
                membership=request.membership, objects=[(f.object_type, f.object_id) for f in report.findings]
            ),
            "next": request.GET.get("next") or "",
        },
    )


def _number(value: str, unit: str = "") -> float | None:
    """A number as the form being filled in reads it: in the active language's convention
    (``1,200,000``, Vietnamese ``1.000.000``), with a percent sign or a currency allowed.
    What the form would refuse counts as no number."""
    if not (value or "").strip():
        return None
    try:
        return parse_number(value, units=unit_aliases(unit or "", percent=True, currency=True))
    except ValidationError:
        return None


@org_view
@require_POST
def coach_check(request: HttpRequest) -> HttpResponse:
    """Advice on what is being typed (htmx, on blur): an objective, a key result or a KPI form."""
    data = request.POST
    kind = data.get("coach", "")
    findings: list[coach.Finding] = []
    if kind == "objective":
        title = data.get("title", "")
        if title.strip():
            findings = [
                f
                for f in coach.check_objective(
                    coach.ObjectiveFacts(
                        title=title,
                        owner_type=data.get("owner_type", "company"),
                        aligned=bool(data.get("parent")),
                        # The key results are added on the next screen: do not judge their number yet.
                        key_results=[coach.KeyResultFacts(title="", owner_id=0, target=1)] * coach.MIN_KEY_RESULTS,
                    )
                )
                if f.object_type == "objective"
            ]
    elif kind == "key_result":
        title = data.get("title", "")
        if title.strip():
            findings = coach.check_key_result(
                coach.KeyResultFacts(
                    title=title,
                    owner_id=parse_id(data.get("owner", "")),
                    kind=data.get("kind", "number"),
                    unit=data.get("unit", ""),
                    start=_number(data.get("start_value", ""), data.get("unit", "")),
                    target=_number(data.get("target_value", ""), data.get("unit", "")),
                )
            )
    elif kind == "kpi":
        name = data.get("name", "")
        if name.strip():
            findings = coach.check_kpi(
                coach.KpiFacts(
                    name=name,
                    unit=data.get("unit", ""),
                    how_measured=data.get("how_measured", ""),
                    description=data.get("description", ""),
                    frequency=data.get("frequency") or None,
                    direction=data.get("direction", "higher_is_better"),
                    amber_threshold=_number(data.get("amber_threshold", ""), data.get("unit", "")),
                )
            )
    return render(request, "rituals/_coach_live.html", {"findings": findings})


def _back(request: HttpRequest) -> HttpResponse:
    """Back to the page the finding was on (``next``, when it is on this site), else the quality page."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("objectives:quality", slug=request.org.slug)


def _require_dismissal_allowed(request: HttpRequest) -> None:
    """Advice on an objective, key result, KPI or owner is dismissed (or the dismissal undone)
    only by someone who may edit it."""
    allowed = services.coach_dismissal_allowed(
        membership=request.membership,
        object_type=request.POST.get("object_type", ""),
        object_id=request.POST.get("object_id", ""),
    )
    permissions.require(allowed, _("Only those who may edit it can dismiss advice on it, or undo that."))


@org_view
@require_POST
def coach_dismiss(request: HttpRequest) -> HttpResponse:
    data = request.POST
    _require_dismissal_allowed(request)
    try:
        services.coach_dismiss(
            org=request.org,
            actor=request.user,
            code=data.get("code", ""),
            object_type=data.get("object_type", ""),
            object_id=data.get("object_id", ""),
            reason=data.get("reason", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Advice dismissed; the reason is on record."))
    return _back(request)


@org_view
@require_POST
def coach_undismiss(request: HttpRequest) -> HttpResponse:
    """Undo a dismissal: the advice counts again (logged, with the reason it had been dismissed for)."""
    data = request.POST
    _require_dismissal_allowed(request)
    try:
        services.coach_undismiss(
            org=request.org,
            actor=request.user,
            code=data.get("code", ""),
            object_type=data.get("object_type", ""),
            object_id=data.get("object_id", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Dismissal undone: the advice counts in the score again."))
    return _back(request)
