"""Reads of OKRs shared by pages, the API and tasks; query counts are decided here."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import F, Prefetch, QuerySet, Window
from django.db.models.functions import RowNumber

from cycles.models import Cycle, CycleStatus
from objectives.models import CheckIn, Initiative, KeyResult, KeyResultKind, Objective, ObjectiveStatus
from orgs.models import Membership, Organization, User
from orgs.ownership import OwnerType, owner_is_member
from orgs.selectors import TeamNode, flatten_tree, team_tree
from orgs.tenancy import visible
from orgs.visibility import visible_scope


def objective_queryset_base(*, org: Organization, seen_by: Membership | None) -> QuerySet[Objective]:
    """The organisation's objectives, or those ``seen_by`` may see."""
    return visible(Objective, seen_by) if seen_by is not None else Objective.objects.filter(organization=org)


def objective_queryset(*, org: Organization, seen_by: Membership | None = None) -> QuerySet[Objective]:
    """Objectives with what every list shows, in a fixed number of queries. ``seen_by``: only
    those that member may see (every list shown to a person passes it; ``None`` is for
    totals, which count every objective)."""
    return (
        objective_queryset_base(org=org, seen_by=seen_by)
        .select_related("organization", "cycle", "owner_team", "owner_user", "parent", "carried_from__cycle")
        .annotate(owner_is_member=owner_is_member())
        .prefetch_related(
            Prefetch("key_results", queryset=KeyResult.objects.filter(organization=org).select_related("owner"))
        )
    )


@dataclass
class TeamSection:
    node: TeamNode
    objectives: list[Objective] = field(default_factory=list)


@dataclass
class PersonSection:
    user: User
    objectives: list[Objective] = field(default_factory=list)


@dataclass
class CycleOkrs:
    cycle: Cycle
    company: list[Objective]
    teams: list[TeamSection]
    people: list[PersonSection]
    count: int


def cycle_okrs(
    *, org: Organization, cycle: Cycle, include_cancelled: bool = False, seen_by: Membership | None = None
) -> CycleOkrs:
    """The cycle's OKRs (those ``seen_by`` may see) grouped company → teams (in tree order)
    → people. Four queries whatever the number of objectives."""
    qs = objective_queryset(org=org, seen_by=seen_by).filter(cycle=cycle).order_by("id")
    if not include_cancelled:
        qs = qs.exclude(status=ObjectiveStatus.CANCELLED)
    objectives = list(qs)
    nodes = flatten_tree(team_tree(org=org))
    by_team: dict[int, list[Objective]] = {}
    by_person: dict[int, list[Objective]] = {}
    company: list[Objective] = []
    users: dict[int, User] = {}
    for o in objectives:
        if o.owner_type == OwnerType.COMPANY:
            company.append(o)
        elif o.owner_type == OwnerType.TEAM and o.owner_team_id is not None:
            by_team.setdefault(o.owner_team_id, []).append(o)
        elif o.owner_user is not None:
            by_person.setdefault(o.owner_user.pk, []).append(o)
            users[o.owner_user.pk] = o.owner_user
    teams = [TeamSection(node=n, objectives=by_team.get(n.team.pk, [])) for n in nodes if by_team.get(n.team.pk)]
    people = [
        PersonSection(user=users[uid], objectives=objs)
        for uid, objs in sorted(by_person.items(), key=lambda kv: users[kv[0]].display_name.lower())
    ]
    return CycleOkrs(cycle=cycle, company=company, teams=teams, people=people, count=len(objectives))


def objective_detail(*, seen_by: Membership, objective_id: int) -> Objective:
    """One objective with key results (and their recent check-ins), initiatives and the
    aligned children ``seen_by`` may see; ``Objective.DoesNotExist`` when the objective is
    another organisation's or hidden from them (``orgs.visibility``)."""
    org = seen_by.organization
    return (
        visible(Objective, seen_by)
        .select_related("organization", "cycle", "owner_team", "owner_user", "parent", "carried_from__cycle")
        .annotate(owner_is_member=owner_is_member())
        .prefetch_related(
            Prefetch(
                "key_results",
                queryset=KeyResult.objects.filter(organization=org)
                .select_related("owner", "kpi")
                .prefetch_related(
                    Prefetch(
                        "check_ins",
                        queryset=CheckIn.objects.filter(organization=org)
                        .select_related("author")
                        .order_by("created_at", "id"),
                    )
                ),
            ),
            Prefetch(
                "initiatives",
                queryset=Initiative.objects.filter(organization=org).select_related("owner", "key_result"),
            ),
            Prefetch(
                "children",
                queryset=visible(Objective, seen_by)
                .select_related("organization", "owner_team", "owner_user", "cycle")
                .annotate(owner_is_member=owner_is_member())
                .order_by("id"),
            ),
        )
        .get(pk=objective_id)
    )


def my_key_results(*, org: Organization, user: User, seen_by: Membership | None = None) -> list[KeyResult]:
    """Key results the person owns in open cycles whose objectives still take check-ins
    (and that ``seen_by``, the person's membership on their pages, may see)."""
    base = KeyResult.objects.filter(organization=org)
    if seen_by is not None:
        base = base.filter(visible_scope(seen_by, KeyResult))
    return list(
        base.filter(
            owner=user,
            objective__cycle__status__in=[CycleStatus.ACTIVE, CycleStatus.PLANNING],
            objective__status__in=[ObjectiveStatus.ACTIVE, ObjectiveStatus.DRAFT],
        )
        .exclude(kind=KeyResultKind.ALIGNED)  # it follows its contributors: no check-ins
        .select_related("objective", "objective__cycle", "objective__owner_team", "objective__owner_user")
        .order_by("objective__cycle__start_date", "objective_id", "position", "id")
    )


def recent_check_ins(
    *, org: Organization, key_result_ids: list[int], per_key_result: int = 2
) -> dict[int, list[CheckIn]]:
    """The latest ``per_key_result`` check-ins of each key result, newest first, with
    their authors: one query whatever the number of key results (a window function)."""
    if not key_result_ids:
        return {}
    ranked = (
        CheckIn.objects.filter(organization=org, key_result_id__in=key_result_ids)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("key_result_id")],
                order_by=[F("created_at").desc(), F("id").desc()],
            )
        )
        .filter(rank__lte=per_key_result)
        .select_related("author")
        .order_by("key_result_id", "rank")
    )
    found: dict[int, list[CheckIn]] = {}
    for ci in ranked:
        found.setdefault(ci.key_result_id, []).append(ci)
    return found


def check_in_history(*, org: Organization, key_result: KeyResult, limit: int = 12) -> list[CheckIn]:
    """A key result's latest check-ins, oldest first (for the one-line history)."""
    rows = list(
        CheckIn.objects.filter(organization=org, key_result=key_result)
        .select_related("author")
        .order_by("-created_at", "-id")[:limit]
    )
    return rows[::-1]


def alignment_candidates(
    *, org: Organization, cycle: Cycle, exclude: Objective | None = None, seen_by: Membership | None = None
) -> QuerySet[Objective]:
    """Objectives one can align to: same cycle or a longer cycle containing it, not cancelled
    (and, with ``seen_by``, those that member may see)."""
    qs = (
        objective_queryset_base(org=org, seen_by=seen_by)
        .filter(cycle__start_date__lte=cycle.start_date, cycle__end_date__gte=cycle.end_date)
        .exclude(status=ObjectiveStatus.CANCELLED)
        .select_related("organization", "owner_team", "owner_user", "cycle")
        .annotate(owner_is_member=owner_is_member())
        .order_by("owner_type", "title")
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs
