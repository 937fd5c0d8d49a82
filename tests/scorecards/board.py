"""A small organisation whose dashboard figures are computed by hand (see ``build_board``),
and a bulk builder for the query-count tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from cycles.models import Cycle
from kpis import periods
from kpis import services as kpi_services
from kpis.models import Kpi, Measurement
from objectives import services
from objectives.models import CheckIn, KeyResult, Objective, ObjectiveSnapshot, TeamSnapshot
from orgs.models import Team, TeamMember
from scorecards import services as sc_services
from scorecards.models import Scorecard
from tests.conftest import OrgWorld
from tests.kpis.kpi_factories import make_kpi
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective


@dataclass
class Board:
    today: date
    cycle: Cycle
    company: Objective  # 55 %, on track (expected 50 %), 20 % a week ago
    team: Objective  # Growth's, 0 %, off track, 40 % a week ago
    person: Objective  # the member's, 30 %, at risk
    kr1: KeyResult  # 10 → 60 of 100: +50 points in the week
    kr2: KeyResult  # 5 of 10 twenty days ago, nothing since: 14+ days without a check-in
    stale_never: KeyResult  # created a month ago, never checked in
    red: Kpi
    green: Kpi
    late: Kpi


def build_board(world: OrgWorld) -> Board:
    org = world.org
    org.reminder_grace_days = 0
    org.save(update_fields=["reminder_grace_days"])
    today = org.today()
    cycle = make_cycle(org, start=today - timedelta(days=45), days=91)  # expected today: 45/90 = 50 %
    now = timezone.now()
    began = now - timedelta(days=45)  # every objective active since the cycle began: its pace is the cycle's

    company = make_objective(org, cycle, title="Grow revenue")
    kr1 = make_kr(company, title="Revenue", owner=world.member, target=100)
    kr2 = make_kr(company, title="New markets", owner=world.manager, target=10)
    services.objective_set_status(objective=company, actor=world.admin, status="active", at=began)
    services.key_result_check_in(
        key_result=kr1, actor=world.member, value=10, confidence=8, at=now - timedelta(days=20)
    )
    services.key_result_check_in(
        key_result=kr2, actor=world.manager, value=5, confidence=8, at=now - timedelta(days=20)
    )
    services.key_result_check_in(key_result=kr1, actor=world.member, value=60, confidence=8, at=now - timedelta(days=3))
    KeyResult.objects.filter(pk__in=[kr1.pk, kr2.pk]).update(created_at=now - timedelta(days=40))

    team = make_objective(org, cycle, title="Launch the referral loop", owner_type="team", team=world.sub_team)
    stale_never = make_kr(team, title="Referral sign-ups", owner=world.manager)
    make_kr(team, title="Referral partners", owner=world.manager)
    services.objective_set_status(objective=team, actor=world.admin, status="active", at=began)
    KeyResult.objects.filter(pk=stale_never.pk).update(created_at=now - timedelta(days=30))

    person = make_objective(org, cycle, title="Master automation", owner_type="person", user=world.member)
    kr_a = make_kr(person, title="Flows shipped", owner=world.member, target=100)
    make_kr(person, title="Hours saved", owner=world.member, target=100)
    services.objective_set_status(objective=person, actor=world.admin, status="active", at=began)
    services.key_result_check_in(key_result=kr_a, actor=world.member, value=60, confidence=9)

    week_ago = today - timedelta(days=7)
    ObjectiveSnapshot.objects.bulk_create(
        [
            ObjectiveSnapshot(
                organization=org, objective=company, cycle=cycle, date=week_ago, progress=0.2, confidence=8
            ),
            ObjectiveSnapshot(organization=org, objective=team, cycle=cycle, date=week_ago, progress=0.4, confidence=7),
            ObjectiveSnapshot(
                organization=org, objective=company, cycle=cycle, date=today - timedelta(days=30), progress=0.05
            ),
        ]
    )

    last_month = periods.shift(periods.period_start(today, frequency="monthly"), frequency="monthly", periods=-1)
    red = make_kpi(org, name="Net margin", perspective="financial", target=100, amber=80)
    green = make_kpi(org, name="NPS", perspective="customer", target=100, amber=80)
    late = make_kpi(org, name="Cycle time", perspective="internal_process", frequency="weekly")
    kpi_services.measurement_record(kpi=red, actor=None, period=last_month, value=50, today=today)
    kpi_services.measurement_record(kpi=green, actor=None, period=last_month, value=120, today=today)
    return Board(today, cycle, company, team, person, kr1, kr2, stale_never, red, green, late)


def build_bulk(world: OrgWorld, *, objectives: int, kpis: int, teams: int = 12) -> Cycle:
    """A big organisation fast: nested teams with people, ``objectives`` objectives (a third
    company-level, a third of teams, a third of people; aligned in chains) with two key
    results and a check-in each, two days of snapshots, and ``kpis`` KPIs with measurements."""
    org = world.org
    today = org.today()
    cycle = Cycle.objects.filter(organization=org).first() or make_cycle(org, start=today - timedelta(days=40), days=91)
    made_teams = Team.objects.bulk_create(
        [Team(organization=org, name=f"Team {i:03d}", parent=world.team if i % 3 else None) for i in range(teams)]
    )
    people = [world.member, world.manager, world.admin, world.viewer]
    TeamMember.objects.bulk_create(
        [TeamMember(organization=org, team=t, user=people[i % len(people)]) for i, t in enumerate(made_teams)],
        ignore_conflicts=True,
    )
    start = Objective.objects.filter(organization=org).count()
    rows = []
    for i in range(start, start + objectives):
        kind = ("company", "team", "person")[i % 3]
        rows.append(
            Objective(
                organization=org,
                cycle=cycle,
                title=f"Objective {i}",
                owner_type=kind,
                owner_team=made_teams[i % teams] if kind == "team" else None,
                owner_user=people[i % len(people)] if kind == "person" else None,
                status="active",
                progress=(i % 10) / 10,
                confidence=(i % 10) + 1,
            )
        )
    made = Objective.objects.bulk_create(rows)
    for i, o in enumerate(made):  # chains: each aligned to one made a little before it
        o.parent = made[i - 7] if i >= 7 and o.owner_type != "company" else None
    Objective.objects.bulk_update(made, ["parent"], batch_size=500)
    krs = KeyResult.objects.bulk_create(
        [
            KeyResult(
                organization=org,
                objective=o,
                title=f"KR {j}",
                owner=people[j],
                target_value=10,
                current_value=j * 3,
                progress=j * 0.3,
            )
            for o in made
            for j in range(2)
        ]
    )
    then = timezone.now() - timedelta(days=20)
    CheckIn.objects.bulk_create(
        [CheckIn(organization=org, key_result=k, value=1, confidence=6, created_at=then) for k in krs]
    )
    ObjectiveSnapshot.objects.bulk_create(
        [
            ObjectiveSnapshot(organization=org, objective=o, cycle=cycle, date=d, progress=0.1, confidence=5)
            for o in made
            for d in (today - timedelta(days=10), today - timedelta(days=3))
        ],
        ignore_conflicts=True,
    )
    TeamSnapshot.objects.bulk_create(
        [
            TeamSnapshot(organization=org, team=t, cycle=cycle, date=today - timedelta(days=3), progress=0.2)
            for t in made_teams
        ]
    )
    made_kpis = Kpi.objects.bulk_create(
        [
            Kpi(
                organization=org,
                name=f"KPI {start}-{i}",
                owner_type="company",
                target=100,
                amber_threshold=80,
                frequency=("weekly", "monthly")[i % 2],
                perspective=("financial", "customer", "internal_process", "learning_growth")[i % 4],
                tracking_since=date(2024, 1, 1),
            )
            for i in range(kpis)
        ]
    )
    Measurement.objects.bulk_create(
        [
            Measurement(organization=org, kpi=k, period=date(2026, m, 1), value=40 + 10 * m)
            for k in made_kpis
            for m in (8, 9, 10)
        ]
    )
    return cycle


def company_card_of_every_kpi(world: OrgWorld) -> Scorecard:
    """The company scorecard (made if missing) holding every KPI of the organisation, each in
    its own perspective: the dashboard's scorecard panel then grows with the KPI library."""
    card = Scorecard.objects.filter(organization=world.org, owner_team__isnull=True).first()
    if card is None:
        card = sc_services.scorecard_create(org=world.org, actor=None, name="Company scorecard")
    sc_services.scorecard_items_set(
        scorecard=card,
        actor=None,
        items=[
            sc_services.ItemSpec(kpi=k, perspective=k.perspective)
            for k in Kpi.objects.filter(organization=world.org).order_by("id")
        ],
    )
    return card
