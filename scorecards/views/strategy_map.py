"""The strategy map page and its links."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.ids import parse_id
from kpis.models import Kpi, period_label
from objectives.models import Objective
from orgs.tenancy import get_scoped_or_404, org_view
from scorecards import selectors, services, strategy_map
from scorecards.models import Scorecard, StrategyLink
from scorecards.selectors.restricted import for_reader, visible_links
from scorecards.views.scorecards import _as_of, _editable, _with_items, can_edit


@org_view
def strategy_map_page(request: HttpRequest, scorecard_id: int) -> HttpResponse:
    org = request.org
    scorecard, items = _with_items(request, scorecard_id)
    view = selectors.scorecard_view(
        scorecard=scorecard,
        org=org,
        as_of=_as_of(request),
        items=items,
        with_objectives=True,
        cycle_id=parse_id(request.GET.get("cycle") or ""),
        cycle_list=False,
    )
    view = for_reader(view, request.membership)
    links = visible_links(selectors.scorecard_links(scorecard=scorecard), request.membership)
    drawing = strategy_map.build(view=view, links=links, slug=org.slug)
    return render(
        request,
        "scorecards/scorecard_map.html",
        {
            "view": view,
            "scorecard": scorecard,
            "drawing": drawing,
            "svg": strategy_map.render_svg(drawing),
            "as_of_label": period_label(
                view.as_of, frequency=scorecard.frequency, fiscal_year_start_month=org.fiscal_year_start_month
            ),
            "can_edit": can_edit(request.membership, scorecard),
        },
    )


def _node(request: HttpRequest, scorecard: Scorecard, raw: str) -> Kpi | Objective:
    """``kpi:<id>`` or ``objective:<id>`` of this organisation; 404 for anything else."""
    kind, _sep, ident = (raw or "").partition(":")
    pk = parse_id(ident)
    if pk is None or kind not in ("kpi", "objective"):
        raise Http404
    model: type[Kpi] | type[Objective] = Kpi if kind == "kpi" else Objective
    return get_scoped_or_404(model, request.org, pk=pk)


@org_view
@require_POST
def strategy_link_add(request: HttpRequest, scorecard_id: int) -> HttpResponse:
    scorecard = _editable(request, scorecard_id)
    source = _node(request, scorecard, request.POST.get("source", ""))
    target = _node(request, scorecard, request.POST.get("target", ""))
    try:
        services.strategy_link_create(scorecard=scorecard, actor=request.user, source=source, target=target)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Link added: %(a)s drives %(b)s.") % {"a": _label(source), "b": _label(target)})
    return redirect("scorecards:scorecard_map", slug=request.org.slug, scorecard_id=scorecard.pk)


def _label(node: Kpi | Objective) -> str:
    return node.name if isinstance(node, Kpi) else node.title


@org_view
@require_POST
def strategy_link_remove(request: HttpRequest, scorecard_id: int, link_id: int) -> HttpResponse:
    scorecard = _editable(request, scorecard_id)
    link = get_scoped_or_404(StrategyLink, request.org, pk=link_id, scorecard=scorecard)
    services.strategy_link_delete(link=link, actor=request.user)
    messages.success(request, _("Link removed."))
    return redirect("scorecards:scorecard_map", slug=request.org.slug, scorecard_id=scorecard.pk)
