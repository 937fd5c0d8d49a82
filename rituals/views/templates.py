"""The template library's pages: pick an OKR template, edit it in place and save it into a cycle
(or the backlog) in one step; KPI templates open the KPI form prefilled; an organisation saves its
own objectives as templates."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.forms import add_service_errors
from core.ids import parse_id
from cycles.models import Cycle, CycleStatus
from cycles.selectors import cycle_list
from kpis.models import Frequency
from objectives.access import check_objective_create
from objectives.forms import ObjectiveForm, follow_cycle, owner_refused, planned_next
from objectives.models import Objective, OkrTemplate
from objectives.selectors import alignment_candidates
from orgs import permissions
from orgs.ownership import default_owner, member_or_404, owner_from_ids
from orgs.tenancy import get_scoped_or_404, get_visible_or_404, org_view, scoped
from rituals import library, services
from rituals.forms import TemplateKeyResultFormSet, direction_of


@org_view
def template_library(request: HttpRequest) -> HttpResponse:
    org = request.org
    okrs = library.okr_templates()
    kpis = library.kpi_templates()
    functions: dict[str, dict[str, Any]] = {}
    for t in okrs:
        functions.setdefault(t.function, {"label": t.function_label, "okrs": [], "kpis": []})["okrs"].append(t)
    for k in kpis:
        entry = functions.setdefault(k.function, {"label": k.function_label, "okrs": [], "kpis": []})
        entry["kpis"].append(
            {"template": k, "query": urlencode(k.as_query()), "frequency": Frequency(k.frequency).label}
        )
    own = list(scoped(OkrTemplate, org).select_related("created_by"))
    for t in own:
        t.use_key = f"org-{t.pk}"
    return render(
        request,
        "rituals/templates.html",
        {
            "functions": list(functions.values()),
            "own": own,
            "cycle_id": parse_id(request.GET.get("cycle", "")),
            "can_write": permissions.can_write(request.membership),
            "is_admin": permissions.is_admin(request.membership),
        },
    )


def _template_initial(request: HttpRequest, key: str) -> dict[str, Any]:
    if key.startswith("org-"):
        own = scoped(OkrTemplate, request.org).filter(pk=parse_id(key[4:]) or 0).first()
        if own is None:
            raise Http404
        return {
            "title": own.title,
            "description": own.description,
            "commitment": own.commitment,
            "key_results": [
                {
                    "title": kr["title"],
                    "kind": kr.get("kind", "number"),
                    "unit": kr.get("unit", ""),
                    "start_value": kr.get("start"),
                    "target_value": kr.get("target"),
                }
                for kr in own.key_results
            ],
        }
    template = library.okr_template(key)
    if template is None:
        raise Http404
    return {
        "title": template.title,
        "description": template.description,
        "commitment": template.commitment,
        "key_results": [
            {"title": kr.title, "kind": kr.kind, "unit": kr.unit, "start_value": kr.start, "target_value": kr.target}
            for kr in template.key_results
        ],
    }


@org_view
@require_http_methods(["GET", "POST"])
def template_use(request: HttpRequest) -> HttpResponse:
    """The template (``?template=<key>``, ``org-<id>`` for the organisation's own), editable in place;
    one submit creates the objective and its key results."""
    org = request.org
    key = request.GET.get("template", "")
    permissions.require(permissions.can_write(request.membership), _("Viewers cannot create objectives."))
    initial = _template_initial(request, key)
    data = request.POST or None
    form = _template_objective_form(request, data, initial)
    rows = TemplateKeyResultFormSet(
        data,
        prefix="kr",
        form_kwargs={"org": org},
        initial=[
            {**kr, "owner": request.user.pk, "direction": direction_of(kr["start_value"], kr["target_value"])}
            for kr in initial["key_results"]
        ],
    )
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid() and rows.is_valid():
        try:
            objective = _create_from_template(request, form.cleaned_data, rows)
        except PermissionDenied as exc:
            owner_refused(form, exc)
            status = 403
        except ValidationError as exc:
            _template_errors(exc, form, rows)
        else:
            messages.success(
                request, _("“%(title)s” is planned from the template as a draft.") % {"title": objective.title}
            )
            return redirect("objectives:detail", slug=org.slug, objective_id=objective.pk)
    return render(request, "rituals/template_use.html", {"form": form, "rows": rows, "key": key}, status=status)


def _template_objective_form(request: HttpRequest, data: Any, initial: dict[str, Any]) -> ObjectiveForm:
    """The objective part of the template page: an open cycle (the one asked for, else the
    active one) or the backlog; no parent or weight."""
    cycles = [c for c in cycle_list(org=request.org) if c.status != CycleStatus.CLOSED]
    wanted = parse_id((data or {}).get("cycle") or request.GET.get("cycle", ""))
    chosen = next((c for c in cycles if c.pk == wanted), None)
    if chosen is None and not (data and "cycle" in data):
        chosen = planned_next(cycles)
    parents = list(alignment_candidates(org=request.org, cycle=chosen)) if chosen else []
    form = ObjectiveForm(
        data,
        org=request.org,
        cycles=cycles,
        parents=parents,
        backlog=True,
        chooser=request.membership,
        initial={
            **default_owner(request),
            "title": initial["title"],
            "description": initial["description"],
            "commitment": initial["commitment"],
            "cycle": chosen.pk if chosen else None,
            "weight": 1,
        },
    )
    form.fields.pop("weight")
    # Aligned to one objective or more: the first is the parent, the others contributions.
    parent = form.fields.pop("parent")
    form.fields["aligned_to"] = forms.TypedMultipleChoiceField(
        label=parent.label,
        coerce=int,
        required=False,
        choices=parent.choices[1:],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The objectives above that this one helps achieve: its progress counts towards each."),
    )
    follow_cycle(form, request.path)
    return form


def _create_from_template(request: HttpRequest, d: dict[str, Any], rows: Any) -> Objective:
    """The objective and its key results from the valid forms, once the caller may own it."""
    org, m = request.org, request.membership
    owner_type, team, user = owner_from_ids(
        org, owner_type=d["owner_type"], owner_team=d["owner_team"], owner_user=d["owner_user"]
    )
    check_objective_create(m, (owner_type, team, user))
    cycle = get_scoped_or_404(Cycle, org, pk=d["cycle"]) if d["cycle"] else None
    aligned = [get_visible_or_404(Objective, request.membership, pk=pk) for pk in d.get("aligned_to") or []]
    krs = []
    for row in rows.forms:
        r = row.cleaned_data
        if not (r.get("title") or "").strip():
            continue
        krs.append(
            {
                "title": r["title"],
                "owner": member_or_404(org, r["owner"]),
                "kind": r["kind"],
                "unit": r.get("unit", ""),
                "start": r.get("start_value"),
                "target": r.get("target_value"),
            }
        )
    return services.objective_create_from_template(
        parent=aligned[0] if aligned else None,
        also_aligned_to=aligned[1:],
        org=org,
        actor=request.user,
        cycle=cycle,
        title=d["title"],
        description=d["description"],
        commitment=d["commitment"],
        owner_type=owner_type,
        owner_team=team,
        owner_user=user,
        key_results=krs,
    )


def _template_errors(exc: ValidationError, form: ObjectiveForm, rows: Any) -> None:
    """The service's errors on the rows they name (``kr-<index>-<field>``), the rest on the form."""
    row_errors = {k: v for k, v in exc.message_dict.items() if k.startswith("kr-")}
    for key_name, errors in row_errors.items():
        _prefix, index, field = key_name.split("-", 2)
        target = rows.forms[int(index)] if int(index) < len(rows.forms) else None
        for message in errors:
            if target is not None and field in target.fields:
                target.add_error(field, message)
            else:
                form.add_error(None, message)
    other = {k: v for k, v in exc.message_dict.items() if not k.startswith("kr-")}
    if other:
        add_service_errors(form, ValidationError(other))


@org_view
@require_POST
def template_save(request: HttpRequest, objective_id: int) -> HttpResponse:
    objective = get_visible_or_404(Objective, request.membership, pk=objective_id)
    permissions.require(objective.editable_by(request.membership), _("You cannot save this objective as a template."))
    services.okr_template_save(objective=objective, actor=request.user)
    messages.success(request, _("Saved as one of your organisation's templates."))
    return redirect(reverse("objectives:templates", args=[request.org.slug]) + "#own")


@org_view
@require_POST
def template_delete(request: HttpRequest, template_id: int) -> HttpResponse:
    template = get_scoped_or_404(OkrTemplate, request.org, pk=template_id)
    permissions.require(
        permissions.is_admin(request.membership) or template.created_by_id == request.user.pk,
        _("Only its author or an admin deletes a template."),
    )
    services.okr_template_delete(template=template, actor=request.user)
    messages.success(request, _("Template deleted."))
    return redirect(reverse("objectives:templates", args=[request.org.slug]) + "#own")
