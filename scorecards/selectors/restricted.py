"""A scorecard as one reader may read it (DESIGN §3, Visibility): its scores — overall, per
perspective, trends — are the same for everyone, computed over every KPI; a KPI or an objective
the reader may not see leaves its perspective's rows and is counted there instead ("1
restricted KPI", "1 restricted objective, 40%"), never named. The strategy map's arrows to or
from something the reader may not see are left out."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.utils.translation import ngettext

from objectives.restricted import hidden_kpis, hidden_objectives, restricted_row
from orgs.models import Membership
from scorecards.models import StrategyLink
from scorecards.selectors.scores import ScorecardView


def restricted_kpis_label(count: int) -> str:
    return ngettext("%(n)d restricted KPI", "%(n)d restricted KPIs", count) % {"n": count}


def for_reader(view: ScorecardView, m: Membership) -> ScorecardView:
    """A copy of ``view`` without the KPIs and objectives ``m`` may not see; each perspective
    gets ``restricted_kpis`` (a label or "") and ``restricted_objectives`` (a neutral row or None)."""
    kpis = hidden_kpis(m)
    objectives = hidden_objectives(m)
    perspectives = []
    for p in view.perspectives:
        gone = [iv for iv in p.items if iv.kpi.pk in kpis]
        hidden = [o for o in p.objectives if o.pk in objectives]
        copy = dataclasses.replace(
            p,
            items=[iv for iv in p.items if iv.kpi.pk not in kpis],
            objectives=[o for o in p.objectives if o.pk not in objectives],
            restricted_kpis=restricted_kpis_label(len(gone)) if gone else "",
            restricted_objectives=restricted_row(m, [(o.progress, objectives[o.pk]) for o in hidden]),
        )
        perspectives.append(copy)
    return dataclasses.replace(view, perspectives=perspectives)


def visible_links(links: list[StrategyLink], m: Membership) -> list[StrategyLink]:
    """The strategy map's arrows between things ``m`` may see."""
    kpis = hidden_kpis(m)
    objectives = hidden_objectives(m)
    if not kpis and not objectives:
        return links

    def seen(link: Any) -> bool:
        return (
            link.source_kpi_id not in kpis
            and link.target_kpi_id not in kpis
            and link.source_objective_id not in objectives
            and link.target_objective_id not in objectives
        )

    return [link for link in links if seen(link)]
