"""A cycle with restricted objectives, key results, check-ins, notes and a KPI, each carrying a
unique marker string, for the tests that walk every aggregate document (DESIGN §3, Visibility).

``world_a``'s member (in Marketing) may see none of the restricted things; the admin sees all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from kpis.models import Kpi
from objectives.models import KeyResult, Objective
from objectives.services.check_ins import key_result_check_in
from orgs.models import User
from orgs.visibility import Visibility
from tests.factories import MembershipFactory, UserFactory, place
from tests.kpis.kpi_factories import make_kpi, record
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective

# The strings that must never reach a person who may not see them.
MARKERS = {
    "private_title": "Zqx acquisition of Blorptech",
    "team_title": "Zqx restructure Finance quietly",
    "root_title": "Zqx sell the Hanoi office",
    "kr_title": "Zqx sign the term sheet",
    "note": "Zqx lawyers say the price is fine",
    "owner": "Quillon Vasquez-Marr",
    "kpi_name": "Zqx burn multiple",
    "kpi_note": "Zqx runway note",
}


@dataclass
class RestrictedWorld:
    cycle: object
    company: Objective  # open to everyone, with a private child and an open child
    open_child: Objective
    private: Objective  # owned by the secret owner, aligned to `company`
    team_only: Objective  # Finance's, aligned to `company`
    root: Objective  # a private company objective: counts in the company's progress
    kr: KeyResult
    kpi: Kpi
    secret_owner: User
    markers: dict[str, str] = field(default_factory=lambda: dict(MARKERS))


def _progress(objective: Objective, value: float) -> None:
    Objective.objects.filter(pk=objective.pk).update(progress=value)
    objective.progress = value


def build(w) -> RestrictedWorld:
    """Seeds ``w`` (an ``OrgWorld``). Progress is set by hand: company objectives 0.4 (open) and
    0.8 (the private root), so the company's progress is 0.6 for everyone."""
    cycle = make_cycle(w.org, start=timezone.now().date().replace(day=1), days=91)
    secret = UserFactory(email="quillon@alpha.test", name=MARKERS["owner"])
    MembershipFactory(organization=w.org, user=secret, role="member")
    place(w.other_team, secret)
    company = make_objective(w.org, cycle, title="Grow revenue", krs=1, kr_owner=w.admin, status="active")
    open_child = make_objective(
        w.org, cycle, title="Open child", owner_type="team", team=w.team, parent=company, status="active"
    )
    private = make_objective(
        w.org, cycle, title=MARKERS["private_title"], owner_type="person", user=secret, parent=company,
        status="active", weight=3.0,
    )  # fmt: skip
    team_only = make_objective(
        w.org, cycle, title=MARKERS["team_title"], owner_type="team", team=w.other_team, parent=company,
        status="active",
    )  # fmt: skip
    root = make_objective(w.org, cycle, title=MARKERS["root_title"], status="active")
    kr = make_kr(private, title=MARKERS["kr_title"], owner=secret)
    make_kr(root, title=MARKERS["kr_title"] + " too", owner=w.admin)
    Objective.objects.filter(pk__in=[private.pk, root.pk]).update(visibility=Visibility.PRIVATE)
    Objective.objects.filter(pk=team_only.pk).update(visibility=Visibility.TEAM)
    key_result_check_in(key_result=kr, actor=secret, value=5, confidence=7, note=MARKERS["note"])
    for o, value in ((company, 0.4), (open_child, 0.3), (private, 0.5), (team_only, 0.2), (root, 0.8)):
        _progress(o, value)
    kpi = make_kpi(w.org, name=MARKERS["kpi_name"], owner_type="person", user=secret, since=date(2024, 1, 1))
    Kpi.objects.filter(pk=kpi.pk).update(visibility=Visibility.PRIVATE)
    record(kpi, timezone.now().date().replace(day=1), 40, actor=secret, note=MARKERS["kpi_note"],
           today=timezone.now().date())  # fmt: skip
    for o in (private, team_only, root):
        o.refresh_from_db()
    return RestrictedWorld(cycle, company, open_child, private, team_only, root, kr, kpi, secret)
