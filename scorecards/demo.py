"""The demo organisations' company balanced scorecard: the monthly KPIs of the library in
their perspectives (all four hold some), perspective weights that put money first, the company objectives in
their perspectives and a few cause-and-effect links, so the dashboard's scorecard
panel and the strategy map show real data right after ``make run``.

The KPIs' own demo history (``kpis.demo``) gives the scores, the red/amber/green
and the sparklines. Runs after ``kpis.demo.seed_kpis`` and
``objectives.demo.seed_okrs``; an organisation that already has a company
scorecard, or no KPIs, is left untouched.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from kpis.demo_content import DEMO_KPIS
from kpis.models import Frequency, Kpi
from objectives.demo import CONTENT
from objectives.models import Objective
from objectives.services import objective_update
from orgs.models import Membership, Organization, User
from orgs.ownership import OwnerType
from scorecards import services
from scorecards.models import Scorecard
from scorecards.selectors import company_scorecard

NAMES = {"en": "Company scorecard", "vi": "Thẻ điểm cân bằng toàn công ty"}

# Money first, then the customers who bring it, the processes that serve them and the
# people who run those processes.
PERSPECTIVE_WEIGHTS = {"financial": 35, "customer": 30, "internal_process": 20, "learning_growth": 15}

# The headline KPIs count double within their perspective (index in the organisation's
# ``kpis.demo_content.DEMO_KPIS`` list, the same order in both languages).
HEADLINE_KPIS = {0: 2.0, 3: 2.0}

# The company objectives (``objectives.demo.CONTENT`` keys) and the perspective they serve.
OBJECTIVE_PERSPECTIVES = {"c1": "customer", "c2": "financial"}


@dataclass(frozen=True)
class DemoLink:
    """``source`` drives ``target``: ("kpi", index in DEMO_KPIS) or ("objective", key)."""

    source: tuple[str, int | str]
    target: tuple[str, int | str]


# Learning and growth → internal process → customer → financial.
LINKS = [
    DemoLink(("kpi", 10), ("kpi", 2)),  # better hires send more proposals
    DemoLink(("kpi", 10), ("kpi", 15)),  # better hires, less absenteeism
    DemoLink(("kpi", 2), ("objective", "c1")),  # proposals delight customers
    DemoLink(("kpi", 1), ("kpi", 3)),  # qualified leads drive net revenue growth
    DemoLink(("kpi", 8), ("kpi", 7)),  # collecting sooner frees cash
    DemoLink(("objective", "c1"), ("objective", "c2")),  # delighted customers grow profit
]


def _admin(org: Organization) -> User | None:
    m = Membership.objects.filter(organization=org, role="admin").select_related("user").order_by("id").first()
    return m.user if m else None


@transaction.atomic
def seed_scorecard(org: Organization) -> Scorecard | None:
    """Create the demo organisation's company scorecard through the services (each change in
    the activity log, as if an admin had built it). None when there is nothing to do."""
    specs = DEMO_KPIS.get(org.slug)
    if not specs or company_scorecard(org=org) is not None:
        return None
    kpis_by_name = {k.name: k for k in Kpi.objects.filter(organization=org, active=True)}
    # The monthly KPIs: a monthly scorecard then has every item's value each month (a
    # quarterly KPI's value counts only in the months of its own quarter).
    kpis = {
        i: kpis_by_name[s.name]
        for i, s in enumerate(specs)
        if s.name in kpis_by_name and s.frequency == Frequency.MONTHLY
    }
    if not kpis:
        return None
    actor = _admin(org)
    scorecard = services.scorecard_create(
        org=org,
        actor=actor,
        name=NAMES.get(org.language, NAMES["en"]),
        perspective_weights=PERSPECTIVE_WEIGHTS,
    )
    services.scorecard_items_set(
        scorecard=scorecard,
        actor=actor,
        items=[
            services.ItemSpec(kpi=kpi, perspective=kpi.perspective, weight=HEADLINE_KPIS.get(i, 1.0))
            for i, kpi in sorted(kpis.items())
        ],
    )
    objectives = _company_objectives(org)
    for key, perspective in OBJECTIVE_PERSPECTIVES.items():
        if key in objectives:
            objectives[key] = objective_update(objective=objectives[key], actor=actor, perspective=perspective)
    nodes: dict[str, dict[int | str, Kpi | Objective]] = {"kpi": dict(kpis), "objective": dict(objectives)}
    for link in LINKS:
        source = nodes[link.source[0]].get(link.source[1])
        target = nodes[link.target[0]].get(link.target[1])
        if source is not None and target is not None:
            services.strategy_link_create(scorecard=scorecard, actor=actor, source=source, target=target)
    return scorecard


def _company_objectives(org: Organization) -> dict[str, Objective]:
    """The demo's company objectives by their content key, found by title in the active cycle."""
    titles = {o.title: o.key for o in CONTENT.get(org.slug, []) if o.key in OBJECTIVE_PERSPECTIVES}
    found = Objective.objects.filter(organization=org, owner_type=OwnerType.COMPANY, title__in=titles).order_by(
        "-cycle__start_date", "id"
    )
    out: dict[str, Objective] = {}
    for objective in found:
        out.setdefault(titles[objective.title], objective)
    return out
