"""Demo KPIs: the marketing, finance and HR examples of the seed (DESIGN §1), with
12+ periods of history each, in English (northwind) and Vietnamese (saomai).

Each KPI's history drifts from a start value to a chosen last value, with a
little deterministic noise (``random.Random`` seeded by the organisation), so
the library shows a mix of green, amber and red on every run.
"""

from __future__ import annotations

import random
from datetime import date

from django.db import transaction

from kpis import periods, services
from kpis.demo_content import DEMO_KPIS, DemoKpi
from kpis.models import Kpi
from orgs.models import Membership, Organization, Team, TeamMember, User


def _history(spec: DemoKpi, rng: random.Random) -> list[float]:
    """``spec.periods`` values drifting from start to end, the last one exactly ``end``."""
    n = spec.periods
    out = []
    for i in range(n):
        base = spec.start + (spec.end - spec.start) * i / (n - 1)
        wobble = 0.0 if i == n - 1 else base * spec.noise * (rng.random() * 2 - 1)
        out.append(round(base + wobble, spec.decimals))
    return out


def _reporter(org: Organization, kpi: Kpi, fallback: User) -> User:
    """Who records the values: the owner, or a manager of the owning team."""
    if kpi.owner_user is not None:
        return kpi.owner_user
    if kpi.owner_team_id:
        tm = (
            TeamMember.objects.filter(organization=org, team_id=kpi.owner_team_id, is_manager=True)
            .select_related("user")
            .first()
        )
        if tm is not None:
            return tm.user
    return fallback


@transaction.atomic
def seed_kpis(org: Organization, *, today: date | None = None) -> list[Kpi]:
    """Create the demo KPIs of a demo organisation (``northwind`` or ``saomai``) with
    their history, ending with the last complete period. Other organisations, and
    organisations that already have KPIs, are left untouched."""
    specs = DEMO_KPIS.get(org.slug)
    if not specs or Kpi.objects.filter(organization=org).exists():
        return []
    today = today or org.today()
    fsm = org.fiscal_year_start_month
    rng = random.Random(f"{org.slug}:kpis")  # noqa: S311 — demo data, not security
    admin = Membership.objects.filter(organization=org, role="admin").select_related("user").order_by("id").first()
    actor = admin.user if admin else None
    teams = {t.name: t for t in Team.objects.filter(organization=org)}
    created: list[Kpi] = []
    for spec in specs:
        kind, _sep, ref = spec.owner.partition(":")
        team = teams.get(ref) if kind == "team" else None
        user = User.objects.filter(email=ref, memberships__organization=org).first() if kind == "person" else None
        if (kind == "team" and team is None) or (kind == "person" and user is None):
            kind, team, user = "company", None, None
        current = periods.period_start(today, frequency=spec.frequency, fiscal_year_start_month=fsm)
        last = periods.shift(current, frequency=spec.frequency, periods=-1)  # the last complete period
        first = periods.shift(last, frequency=spec.frequency, periods=-(spec.periods - 1))
        kpi = services.kpi_create(
            org=org,
            actor=actor,
            name=spec.name,
            description=spec.why,
            how_measured=spec.how,
            owner_type=kind,
            owner_team=team,
            owner_user=user,
            unit=spec.unit,
            direction=spec.direction,
            target=spec.target,
            target_low=spec.low,
            target_high=spec.high,
            amber_threshold=spec.amber,
            frequency=spec.frequency,
            perspective=spec.perspective,
            tracking_since=first,
        )
        reporter = _reporter(org, kpi, actor) if actor else None
        for i, value in enumerate(_history(spec, rng)):
            services.measurement_record(
                kpi=kpi,
                actor=reporter,
                period=periods.shift(first, frequency=spec.frequency, periods=i),
                value=value,
                today=today,
            )
        created.append(kpi)
    return created
