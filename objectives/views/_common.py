"""What the objective pages share: permissions, the detail context, lookups."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from activity.selectors import activity_for_objective
from objectives import forecast_text, forecasts, selectors, services
from objectives.access import can_check_in
from objectives.alignment import contributors_of
from objectives.approvals import approval_panel
from objectives.extensions import objective_detail_context
from objectives.forms import InitiativeForm, KeyResultForm
from objectives.models import (
    MAX_KEY_RESULTS,
    MIN_KEY_RESULTS_TO_ACTIVATE,
    KeyResult,
    KeyResultKind,
    Objective,
    ObjectiveSnapshot,
    ObjectiveStatus,
)
from objectives.restricted import hidden_objectives, restricted_label, shows_count_only
from objectives.views.approvals import keep_reason
from orgs.models import Membership
from orgs.tenancy import scoped


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


def _forecast_chart(
    request: HttpRequest, objective: Objective, krs: list[KeyResult], chart: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Sets each key result's ``forecast`` and its line in words (an open cycle only), and gives
    the chart's dashed projections from each latest point to the cycle's end, with their 90 %
    bands (from the check-ins already loaded: no query)."""
    cycle = objective.cycle
    if cycle is None or cycle.is_closed or objective.status == ObjectiveStatus.CANCELLED:
        return []
    found = forecasts.forecasts_for(org=request.org, key_results=krs, loaded=True)
    end = cycle.end_date.isoformat()
    extra: list[dict[str, Any]] = []
    for i, kr in enumerate(krs):
        f = found[kr.pk]
        kr.forecast = f  # type: ignore[attr-defined]  # read by the template beside the key result
        kr.forecast_line = forecast_text.explain(f, kr)  # type: ignore[attr-defined]  # likewise
        points = chart[i]["points"]
        if f.method in ("none", "final") or not points or points[-1][0] >= end:
            continue
        last = points[-1]
        label = _("%(title)s: forecast") % {"title": kr.title}
        for style, value in (("band_low", f.progress_low), ("band_high", f.progress_high), ("projection", f.progress)):
            extra.append({"label": label, "of": i, "style": style, "points": [last, [end, round(value * 100, 1)]]})
    return extra


def _detail_context(request: HttpRequest, objective: Objective) -> dict[str, Any]:
    context = _objective_context(request, objective)
    # The floors above add their parts of the page (conversations: comments, reactions).
    context["approval"] = approval_panel(request.membership, objective)
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
    chart += _forecast_chart(request, objective, krs, chart)
    fed_by = contributors_of([kr.pk for kr in krs if kr.kind == KeyResultKind.ALIGNED])
    for kr in krs:
        kr.can_check_in = (
            objective.is_editable
            and objective.status != ObjectiveStatus.CANCELLED
            and kr.kind != KeyResultKind.ALIGNED  # it follows the objectives contributing to it
            and can_check_in(m, kr, objective)
        )
        kr.fed_by = fed_by.get(kr.pk, [])
        for link in kr.fed_by:  # a contributor the reader may not see: "1 restricted objective"
            link.restricted = _restricted_name(m, link.child)  # type: ignore[attr-defined]  # read by the page
    return {
        "objective": objective,
        "key_results": krs,
        "editable": editable,
        "can_add_kr": editable and len(krs) < MAX_KEY_RESULTS,
        "max_krs": MAX_KEY_RESULTS,
        "min_krs": MIN_KEY_RESULTS_TO_ACTIVATE,
        "kr_form": keep_reason(
            KeyResultForm(org=request.org, initial={"owner": objective.owner_user_id or request.user.pk}), objective
        ),
        # Ids of its own: the key result form beside it also has a title and an owner.
        "initiative_form": InitiativeForm(org=request.org, objective=objective, auto_id="id_initiative_%s"),
        "initiatives": list(objective.initiatives.all()),
        "children": list(objective.children.all()),
        "history": history[:50],
        "chart": chart,
        "trend": [{"label": str(_("Objective progress")), "points": trend_points}] if trend_points else [],
        "calibration": (
            forecast_text.calibration_lines(forecasts.calibration(org=request.org))
            if any(getattr(kr, "forecast", None) for kr in krs)
            else []
        ),
        "activity": activity_for_objective(
            org=request.org, objective_id=objective.pk, key_result_ids=[kr.pk for kr in krs]
        ),
    }


def _render_krs(request: HttpRequest, objective_id: int, status: int = 200, kr_form: Any = None) -> HttpResponse:
    objective = selectors.objective_detail(seen_by=request.membership, objective_id=objective_id)
    context = _detail_context(request, objective)
    if kr_form is not None:
        context["kr_form"] = kr_form
    return render(request, "objectives/_key_results.html", context, status=status)


def _restricted_name(m: Membership, objective: Objective) -> str:
    """The neutral name of an objective ``m`` may not see ("1 restricted objective, 40%"), else ""."""
    if objective.pk not in hidden_objectives(m):
        return ""
    return restricted_label(1, None if shows_count_only(m) else objective.progress)
