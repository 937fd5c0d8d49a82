"""Scorecard pages: the list, the scorecard with its four perspectives and the editor."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core import spreadsheet
from core.forms import add_service_errors
from core.ids import parse_id
from kpis import periods
from kpis.models import Kpi, Perspective, period_label
from orgs import permissions
from orgs.forms import team_choices
from orgs.models import Membership, Team
from orgs.tenancy import get_scoped_or_404, org_view, scoped
from scorecards import exports, selectors, services
from scorecards.forms import COMPANY, ScorecardCreateForm, ScorecardSettingsForm
from scorecards.models import PERSPECTIVE_WEIGHT_FIELDS, Scorecard, ScorecardItem
from scorecards.scoring import PERSPECTIVES
from scorecards.selectors.restricted import for_reader


def can_edit(m: Membership, scorecard: Scorecard) -> bool:
    return scorecard.editable_by(m)


def _scorecard(request: HttpRequest, scorecard_id: int) -> Scorecard:
    return get_scoped_or_404(Scorecard, request.org, pk=scorecard_id)


def _with_items(request: HttpRequest, scorecard_id: int) -> tuple[Scorecard, list[ScorecardItem]]:
    try:
        return selectors.scorecard_with_items(org=request.org, scorecard_id=scorecard_id)
    except Scorecard.DoesNotExist:
        raise Http404 from None


def _editable(request: HttpRequest, scorecard_id: int) -> Scorecard:
    scorecard = _scorecard(request, scorecard_id)
    permissions.require(
        can_edit(request.membership, scorecard),
        _("Only admins, and managers of the owning team, change this scorecard."),
    )
    return scorecard


def _owner_options(request: HttpRequest) -> list[tuple[str, str]]:
    """The owners the caller may create a scorecard for."""
    m = request.membership
    options = [(COMPANY, _("Company"))] if permissions.is_admin(m) else []
    for pk, name in team_choices(request.org):
        if permissions.can_manage_team(m, pk):
            options.append((f"team:{pk}", name))
    return options


def _owner_team(request: HttpRequest, value: str) -> Team | None:
    if value == COMPANY:
        return None
    kind, _sep, ident = value.partition(":")
    if kind != "team" or parse_id(ident) is None:
        raise Http404
    return get_scoped_or_404(Team, request.org, pk=parse_id(ident))


def _default_name(team: Team | None) -> str:
    return _("%(team)s scorecard") % {"team": team.name} if team else _("Company scorecard")


# --- list and creation --------------------------------------------------------------------------


@org_view
def scorecard_list(request: HttpRequest) -> HttpResponse:
    """Every scorecard with its overall score and its four perspective scores."""
    org = request.org
    rows = selectors.scorecard_list(org=org)
    owners = _owner_options(request) if permissions.can_write(request.membership) else []
    has_company = any(r.scorecard.owner_team_id is None for r in rows)
    return render(
        request,
        "scorecards/scorecard_list.html",
        {
            "rows": rows,
            "owners": owners,
            "can_create": bool(owners),
            "can_create_company": any(v == COMPANY for v, _label in owners) and not has_company,
            "kpi_count": scoped(Kpi, org).filter(active=True).count(),
            "perspectives": PERSPECTIVES,
        },
    )


@org_view
@require_http_methods(["GET", "POST"])
def scorecard_create(request: HttpRequest) -> HttpResponse:
    org = request.org
    owners = _owner_options(request)
    permissions.require(
        permissions.can_write(request.membership) and bool(owners),
        _("Admins create the company's scorecard, managers their teams'."),
    )
    posted_owner = request.POST.get("owner", "") if request.method == "POST" else ""
    if posted_owner and posted_owner not in dict(owners):
        _owner_team(request, posted_owner)  # another organisation's team, or none: 404
        permissions.require(False, _("Admins create the company's scorecard, managers their teams'."))
    initial_owner = request.GET.get("owner") if request.GET.get("owner") in dict(owners) else owners[0][0]
    form = ScorecardCreateForm(
        request.POST or None,
        owners=owners,
        initial={"owner": initial_owner, "name": _default_name(_owner_team(request, initial_owner))},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        team = _owner_team(request, data["owner"])
        try:
            scorecard = services.scorecard_create(
                org=org,
                actor=request.user,
                name=data["name"],
                owner_team=team,
                frequency=data["frequency"],
                from_library=data["from_library"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return _created(request, scorecard)
    return render(request, "scorecards/scorecard_form.html", {"form": form}, status=400 if form.errors else 200)


def _created(request: HttpRequest, scorecard: Scorecard) -> HttpResponse:
    count = ScorecardItem.objects.filter(scorecard=scorecard).count()
    if count:
        messages.success(
            request,
            _("Scorecard %(name)s created with %(n)d KPIs from the library.") % {"name": scorecard.name, "n": count},
        )
        return redirect("scorecards:scorecard", slug=request.org.slug, scorecard_id=scorecard.pk)
    messages.success(request, _("Scorecard %(name)s created. Now add its KPIs.") % {"name": scorecard.name})
    return redirect("scorecards:scorecard_edit", slug=request.org.slug, scorecard_id=scorecard.pk)


@org_view
@require_POST
def scorecard_from_library(request: HttpRequest) -> HttpResponse:
    """One step: a scorecard named after its owner, holding every active KPI of that owner."""
    owner = request.POST.get("owner", COMPANY)
    team = _owner_team(request, owner)
    permissions.require(
        permissions.can_write(request.membership) and permissions.can_manage_team(request.membership, team),
        _("Admins create the company's scorecard, managers their teams'."),
    )
    try:
        scorecard = services.scorecard_create(
            org=request.org, actor=request.user, name=_default_name(team), owner_team=team, from_library=True
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("scorecards:scorecard_list", slug=request.org.slug)
    return _created(request, scorecard)


# --- the scorecard ------------------------------------------------------------------------------


def _as_of(request: HttpRequest) -> date | None:
    raw = request.GET.get("as_of", "").strip()
    if not raw:
        return None
    try:
        day = periods.parse_period(raw)
    except ValueError:
        messages.warning(request, _("“%(value)s” is not a date; showing the latest period instead.") % {"value": raw})
        return None
    if not periods.is_report_day(day):
        messages.warning(
            request,
            _("%(value)s is out of range (%(first)s to %(last)s); showing the latest period instead.")
            % {
                "value": raw[:40],
                "first": periods.EARLIEST.isoformat(),
                "last": periods.LAST_REPORT_DAY.isoformat(),
            },
        )
        return None
    return day


@org_view
def scorecard_detail(request: HttpRequest, scorecard_id: int) -> HttpResponse:
    """Four perspective panels (score, RAG, trend), each with its KPIs and the cycle's
    objectives. Queries: a fixed number whatever the number of KPIs and objectives."""
    org = request.org
    scorecard, items = _with_items(request, scorecard_id)
    view = selectors.scorecard_view(
        scorecard=scorecard,
        org=org,
        as_of=_as_of(request),
        items=items,
        with_objectives=True,
        cycle_id=parse_id(request.GET.get("cycle") or ""),
    )
    view = for_reader(view, request.membership)
    return render(
        request,
        "scorecards/scorecard_detail.html",
        {
            "view": view,
            "scorecard": scorecard,
            "as_of_label": period_label(
                view.as_of, frequency=scorecard.frequency, fiscal_year_start_month=org.fiscal_year_start_month
            ),
            "as_of_choices": selectors.as_of_choices(scorecard=scorecard, org=org),
            "can_edit": can_edit(request.membership, scorecard),
        },
    )


@org_view
def scorecard_export(request: HttpRequest, scorecard_id: int, fmt: str) -> HttpResponse:
    """The scorecard as the page shows it for the same ``as_of`` period, as CSV or XLSX."""
    org = request.org
    scorecard, items = _with_items(request, scorecard_id)
    view = selectors.scorecard_view(scorecard=scorecard, org=org, as_of=_as_of(request), items=items)
    view = for_reader(view, request.membership)
    period = period_label(
        view.as_of, frequency=scorecard.frequency, fiscal_year_start_month=org.fiscal_year_start_month
    )
    return spreadsheet.download(
        exports.scorecard_rows(view, period=period),
        fmt=fmt,
        filename=exports.filename(scorecard.name, view.as_of.isoformat(), fmt),
        sheet=scorecard.name,
    )


# --- the editor ---------------------------------------------------------------------------------


def _editor(
    request: HttpRequest,
    scorecard: Scorecard,
    *,
    settings_form: ScorecardSettingsForm | None = None,
    rows: list[dict[str, Any]] | None = None,
    row_errors: dict[int, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    items = list(
        ScorecardItem.objects.filter(organization=request.org, scorecard=scorecard)
        .select_related("kpi", "kpi__owner_team", "kpi__owner_user")
        .order_by("position", "id")
    )
    if rows is None:
        rows = [{"kpi": i.kpi, "perspective": i.perspective, "weight": f"{i.weight:g}"} for i in items]
    on_card = {i.kpi_id for i in items}
    candidates = [
        k
        for k in selectors.eligible_kpis(scorecard=scorecard)
        .select_related("owner_team", "owner_user")
        .order_by("name")
        if k.pk not in on_card
    ]
    groups = [
        {"perspective": p, "label": selectors.PERSPECTIVE_LABELS[p], "rows": [r for r in rows if r["perspective"] == p]}
        for p in PERSPECTIVES
    ]
    return render(
        request,
        "scorecards/scorecard_edit.html",
        {
            "scorecard": scorecard,
            "settings_form": settings_form
            or ScorecardSettingsForm(initial=ScorecardSettingsForm.initial_for(scorecard)),
            "groups": groups,
            "row_errors": row_errors or {},
            "candidates": candidates,
            "perspectives": Perspective.choices,
        },
        status=status,
    )


@org_view
@require_http_methods(["GET", "POST"])
def scorecard_edit(request: HttpRequest, scorecard_id: int) -> HttpResponse:
    """Settings (name, period, perspective weights, thresholds) on GET and POST; the
    items have their own form (``scorecard_items``)."""
    scorecard = _editable(request, scorecard_id)
    if request.method == "GET":
        return _editor(request, scorecard)
    form = ScorecardSettingsForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.scorecard_update(
                scorecard=scorecard,
                actor=request.user,
                name=data["name"],
                frequency=data["frequency"],
                perspective_weights={p: data[f] for p, f in PERSPECTIVE_WEIGHT_FIELDS.items()},
                green_at=data["green_at"] / 100,
                amber_at=data["amber_at"] / 100,
                settled_at=data["settled_at"] / 100 if data.get("settled_at") is not None else None,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Scorecard settings saved."))
            return redirect("scorecards:scorecard_edit", slug=request.org.slug, scorecard_id=scorecard.pk)
    return _editor(request, scorecard, settings_form=form, status=400)


@org_view
@require_POST
def scorecard_items(request: HttpRequest, scorecard_id: int) -> HttpResponse:
    """Save every item's perspective and weight at once. A bad weight changes nothing and
    shows the page again with what was typed and the error next to it."""
    scorecard = _editable(request, scorecard_id)
    items = {
        i.kpi_id: i
        for i in ScorecardItem.objects.filter(organization=request.org, scorecard=scorecard).select_related("kpi")
    }
    order = [parse_id(v) for v in request.POST.getlist("kpi")]
    rows: list[dict[str, Any]] = []
    errors: dict[int, str] = {}
    for kpi_id in order:
        if kpi_id not in items:
            raise Http404
        perspective = request.POST.get(f"perspective-{kpi_id}", "")
        weight = request.POST.get(f"weight-{kpi_id}", "")
        rows.append({"kpi": items[kpi_id].kpi, "perspective": perspective, "weight": weight})
        try:
            services.clean_weight(weight)
        except ValidationError as exc:
            errors[kpi_id] = " ".join(exc.messages)
        if perspective not in Perspective.values:
            errors[kpi_id] = _("Choose a balanced-scorecard perspective.")
    if not errors:
        try:
            services.scorecard_items_set(
                scorecard=scorecard,
                actor=request.user,
                items=[services.ItemSpec(kpi=r["kpi"], perspective=r["perspective"], weight=r["weight"]) for r in rows],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("KPIs and weights saved."))
            return redirect("scorecards:scorecard_edit", slug=request.org.slug, scorecard_id=scorecard.pk)
    return _editor(request, scorecard, rows=rows, row_errors=errors, status=400)


def _posted_kpi(request: HttpRequest, scorecard: Scorecard, raw: str | None = None) -> Kpi:
    """The posted KPI, among those that may go on this scorecard (404 otherwise: another
    organisation's, or another owner's)."""
    kpi_id = parse_id(raw if raw is not None else request.POST.get("kpi") or "")
    if kpi_id is None:
        raise Http404
    try:
        return selectors.eligible_kpis(scorecard=scorecard).get(pk=kpi_id)
    except Kpi.DoesNotExist:
        raise Http404 from None


@org_view
@require_POST
def scorecard_item_add(request: HttpRequest, scorecard_id: int) -> HttpResponse:
    scorecard = _editable(request, scorecard_id)
    kpi = _posted_kpi(request, scorecard)
    perspective = request.POST.get("perspective") or kpi.perspective
    try:
        services.scorecard_item_add(
            scorecard=scorecard,
            actor=request.user,
            kpi=kpi,
            perspective=perspective,
            weight=request.POST.get("weight") or 1,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(name)s added to the scorecard.") % {"name": kpi.name})
    return redirect(reverse("scorecards:scorecard_edit", args=[request.org.slug, scorecard.pk]) + "#items")


@org_view
@require_POST
def scorecard_item_move(request: HttpRequest, scorecard_id: int) -> HttpResponse:
    """Up, down or off the scorecard: the button pressed says which (``up:<kpi id>``, ``down:…``, ``remove:…``)."""
    scorecard = _editable(request, scorecard_id)
    action, _sep, raw_id = request.POST.get("action", "").partition(":")
    kpi = _posted_kpi(request, scorecard, raw_id)
    try:
        if action == "remove":
            services.scorecard_item_remove(scorecard=scorecard, actor=request.user, kpi=kpi)
            messages.success(request, _("%(name)s taken off the scorecard.") % {"name": kpi.name})
        elif action in ("up", "down"):
            services.scorecard_item_move(
                scorecard=scorecard, actor=request.user, kpi=kpi, offset=-1 if action == "up" else 1
            )
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(reverse("scorecards:scorecard_edit", args=[request.org.slug, scorecard.pk]) + "#items")


@org_view
@require_http_methods(["GET", "POST"])
def scorecard_delete(request: HttpRequest, scorecard_id: int) -> HttpResponse:
    scorecard = _editable(request, scorecard_id)
    if request.method == "POST":
        services.scorecard_delete(scorecard=scorecard, actor=request.user)
        messages.success(request, _("Scorecard %(name)s deleted.") % {"name": scorecard.name})
        return redirect("scorecards:scorecard_list", slug=request.org.slug)
    return render(
        request,
        "orgs/confirm_delete.html",
        {
            "title": _("Delete the scorecard “%(name)s”?") % {"name": scorecard.name},
            "explanation": _("Its KPIs and objectives stay; only the scorecard and its strategy map go."),
            "cancel_url": reverse("scorecards:scorecard", args=[request.org.slug, scorecard.pk]),
        },
    )
