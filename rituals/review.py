"""Selectors of the end-of-cycle review: the close page, the quarter statistics, the exports.

A fixed number of queries whatever the size of the cycle (asserted in tests).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import mean

from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _

from cycles.models import Cycle, CycleStatus
from objectives import progress as progress_math
from objectives.models import Commitment, KeyResult, Objective, ObjectiveStatus, Retrospective
from orgs import permissions
from orgs.models import Membership, Organization, TeamMember
from rituals.services.grades import objective_grade
from rituals.services.retrospectives import reviewed_by

# Grade bands of the usual OKR reading: 0.0–0.3 red, 0.4–0.6 amber, 0.7–1.0 green.
BANDS = (("low", 0.0, 0.35), ("mid", 0.35, 0.65), ("high", 0.65, 1.01))


def review_objectives(*, org: Organization, cycle: Cycle) -> list[Objective]:
    """The cycle's objectives (cancelled ones aside) with owners, key results (and their owners)
    and retrospectives. Each key result gets ``suggested`` (its prefilled grade) and ``shown_grade``;
    each objective ``shown_grade`` (stored once closed, computed live before). Three queries."""
    objectives = list(
        Objective.objects.filter(organization=org, cycle=cycle)
        .exclude(status=ObjectiveStatus.CANCELLED)
        .select_related("owner_team", "owner_user", "carried_from__cycle")
        .prefetch_related(
            Prefetch(
                "key_results",
                queryset=KeyResult.objects.filter(organization=org).select_related("owner").order_by("position", "id"),
            ),
            Prefetch(
                "retrospective",
                queryset=Retrospective.objects.filter(organization=org).select_related("acknowledged_by", "author"),
            ),
        )
        .order_by("owner_type", "owner_team__name", "id")
    )
    for o in objectives:
        krs = list(o.key_results.all())
        for kr in krs:
            kr.suggested = progress_math.grade(kr.progress)
            kr.shown_grade = kr.grade if kr.grade is not None else kr.suggested
            kr.is_override = kr.grade is not None and abs(kr.grade - kr.suggested) > 1e-9
        o.krs = krs
        o.shown_grade = (
            o.grade if o.grade is not None else objective_grade([(kr.grade, kr.progress, kr.weight) for kr in krs])
        )
        try:
            o.retro = o.retrospective
        except Retrospective.DoesNotExist:
            o.retro = None
        o.is_achieved = o.shown_grade is not None and progress_math.achieved(
            grade=o.shown_grade, commitment=o.commitment
        )
    return objectives


def band_of(grade: float) -> str:
    for name, low, high in BANDS:
        if low <= grade < high:
            return name
    return "high"


@dataclass
class GradeGroup:
    label: str
    grades: list[float] = field(default_factory=list)
    key: str = ""  # the type's code (``committed``, ``aspirational``) for the per-type groups

    @property
    def count(self) -> int:
        return len(self.grades)

    @property
    def mean(self) -> float | None:
        return round(mean(self.grades), 2) if self.grades else None

    @property
    def bands(self) -> dict[str, int]:
        out = {name: 0 for name, _low, _high in BANDS}
        for g in self.grades:
            out[band_of(g)] += 1
        return out


@dataclass
class CycleStats:
    cycle: Cycle
    objectives: int
    achieved: int
    mean_grade: float | None
    by_team: list[GradeGroup]
    by_type: list[GradeGroup]
    never_checked_in: list[KeyResult]
    previous: CycleStats | None = None

    @property
    def not_achieved(self) -> int:
        return self.objectives - self.achieved

    @property
    def achieved_share(self) -> float | None:
        return self.achieved / self.objectives if self.objectives else None


def _team_of_people(org: Organization, user_ids: set[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    rows = (
        TeamMember.objects.filter(organization=org, user_id__in=user_ids)
        .select_related("team")
        .order_by("user_id", "team__name")
    )
    for tm in rows:
        out.setdefault(tm.user_id, tm.team.name)
    return out


def cycle_statistics(
    *, org: Organization, cycle: Cycle, objectives: list[Objective] | None = None, with_previous: bool = True
) -> CycleStats:
    """Quarter statistics: achieved vs not (by each objective's type), the grade distribution per
    team and per type, key results never checked in, and the previous cycle for comparison."""
    objectives = objectives if objectives is not None else review_objectives(org=org, cycle=cycle)
    people = _team_of_people(org, {o.owner_user_id for o in objectives if o.owner_type == "person"})
    teams: dict[str, GradeGroup] = {}
    types = {c.value: GradeGroup(str(c.label), key=c.value) for c in Commitment}
    never: list[KeyResult] = []
    grades = []
    achieved = 0
    for o in objectives:
        never += [kr for kr in o.krs if kr.last_check_in_at is None and kr.kpi_id is None]
        if o.shown_grade is None:
            continue
        grades.append(o.shown_grade)
        achieved += 1 if o.is_achieved else 0
        if o.owner_type == "company":
            label = _("Company")
        elif o.owner_type == "team":
            label = o.owner_team.name if o.owner_team else ""
        else:
            label = people.get(o.owner_user_id, _("No team"))
        teams.setdefault(label, GradeGroup(label)).grades.append(o.shown_grade)
        types[o.commitment].grades.append(o.shown_grade)
    previous = None
    if with_previous:
        before = (
            Cycle.objects.filter(organization=org, end_date__lt=cycle.start_date, kind=cycle.kind)
            .order_by("-end_date")
            .first()
        )
        if before is not None:
            previous = cycle_statistics(org=org, cycle=before, with_previous=False)
    return CycleStats(
        cycle=cycle,
        objectives=len(grades),
        achieved=achieved,
        mean_grade=round(mean(grades), 2) if grades else None,
        by_team=sorted(teams.values(), key=lambda g: g.label.lower()),
        by_type=[g for g in types.values() if g.grades],
        never_checked_in=never,
        previous=previous,
    )


def next_cycles(*, org: Organization, cycle: Cycle | None = None) -> list[Cycle]:
    """Open cycles an objective can be carried into (the current one excluded), soonest first."""
    qs = Cycle.objects.filter(organization=org).exclude(status=CycleStatus.CLOSED).order_by("start_date", "name")
    if cycle is not None:
        qs = qs.exclude(pk=cycle.pk)
    return list(qs)


def unfinished(objectives: list[Objective]) -> list[Objective]:
    """Objectives worth carrying over: not achieved by their type's bar."""
    return [o for o in objectives if not o.is_achieved]


# --- what the ritual asks of one person (the "To do" inbox) ----------------------------------

# Retrospectives are asked for from two weeks before the cycle ends until it is closed.
REVIEW_OPENS_DAYS_BEFORE_END = 14


def retrospectives_to_write(*, org: Organization, membership: Membership, today: date) -> list[Objective]:
    """Objectives ``membership`` owns whose retrospective is not written, in active cycles
    that end within ``REVIEW_OPENS_DAYS_BEFORE_END`` days (or have ended and wait to be
    closed). The owner of a personal objective is the person; of a team's, the team's own
    managers; of a company objective, the admins. One query."""
    if not permissions.can_write(membership):
        return []
    user = membership.user_id
    owned = Q(owner_type="person", owner_user_id=user) | Q(
        owner_type="team",
        owner_team_id__in=TeamMember.objects.filter(organization=org, user_id=user, is_manager=True).values("team_id"),
    )
    if permissions.is_admin(membership):
        owned |= Q(owner_type="company")
    missing = Q(retrospective__isnull=True) | Q(
        retrospective__went_well="", retrospective__went_badly="", retrospective__learned=""
    )
    return list(
        Objective.objects.filter(
            owned,
            missing,
            organization=org,
            cycle__status=CycleStatus.ACTIVE,
            cycle__start_date__lte=today,
            cycle__end_date__lte=today + timedelta(days=REVIEW_OPENS_DAYS_BEFORE_END),
        )
        .exclude(status=ObjectiveStatus.CANCELLED)
        .select_related("cycle")
        .order_by("cycle__end_date", "id")
    )


def retrospectives_to_review(*, org: Organization, membership: Membership) -> list[Retrospective]:
    """Written retrospectives of active cycles that wait for ``membership`` to acknowledge
    them as the reviewer (``retrospectives.reviewed_by``: the owner's manager; an admin for company
    objectives and for people without a manager), oldest first. One query (four for an admin)."""
    return list(
        Retrospective.objects.filter(
            organization=org,
            acknowledged_at__isnull=True,
            objective__cycle__status=CycleStatus.ACTIVE,
            objective__in=Objective.objects.filter(reviewed_by(membership), organization=org).exclude(
                status=ObjectiveStatus.CANCELLED
            ),
        )
        .exclude(went_well="", went_badly="", learned="")
        .select_related("objective__cycle", "author")
        .order_by("updated_at", "id")
    )
