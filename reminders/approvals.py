"""Objectives waiting for review (DESIGN §3): in the reviewer's To do, and a reminder to the
reviewer once an objective has waited ``org.reminder_grace_days`` days (the organisation's
"before a reminder escalates" setting, 3 by default), once per objective, reviewer and day
(the sweep's claims make it exactly once).

The reviewer who is asked is the nearest one: for a person's objective the managers of the
owner's teams (or, where a team has none, of the team above), for a team's objective the
managers above that team, for a company objective, or where nobody manages, the admins.
Anyone ``objectives.approvals`` allows may still review it; only these are asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils.translation import gettext as _

from notifications.models import NotificationKind
from objectives.approvals import nearest_managers, waiting_for_review
from objectives.models import Objective, ObjectiveReview
from objectives.review_models import ReviewAction
from orgs import permissions
from orgs.models import Membership, Organization
from reminders.sweep import People, Wanted, people_of


@dataclass(frozen=True)
class Waiting:
    objective_id: int
    title: str
    owner: str
    since: datetime
    reviewers: frozenset[int]


def reviewers_of(owner_type: str, team_id: int | None, user_id: int | None, people: People) -> set[int]:
    """Who is asked to review an objective with this owner (the rule above), current writers only."""
    planners = {uid for uid, role in people.roles.items() if role in permissions.PLANNER_ROLES}
    managers_of = {team: ids & planners for team, ids in people.managers_of.items()}
    found: set[int] = set()
    if owner_type == "person" and user_id is not None:
        found = nearest_managers(people.teams_of.get(user_id, set()), managers_of, people.parent_of, exclude=user_id)
    elif owner_type == "team" and team_id is not None:
        parent = people.parent_of.get(team_id)
        found = nearest_managers([parent], managers_of, people.parent_of, exclude=None) if parent else set()
    return (found & people.writers) or people.admins


def waiting(org: Organization, people: People | None = None) -> list[Waiting]:
    """The organisation's objectives in review, each with since when and whom it waits for.
    Two queries, and the three of ``people_of`` when some wait and ``people`` is not given."""
    last_submitted = ObjectiveReview.objects.filter(
        objective=OuterRef("pk"), action__in=(ReviewAction.SUBMITTED, ReviewAction.REOPENED)
    ).order_by("-created_at", "-id")
    rows = list(
        Objective.objects.filter(waiting_for_review(org.pk))
        .annotate(since=Subquery(last_submitted.values("created_at")[:1]))
        .select_related("owner_team", "owner_user")
        .order_by("id")
    )
    if not rows:
        return []
    people = people or people_of(org)
    return [
        Waiting(
            o.pk,
            o.title,
            o.owner_label,
            o.since or o.updated_at,
            frozenset(reviewers_of(o.owner_type, o.owner_team_id, o.owner_user_id, people)),
        )
        for o in rows
    ]


def approval_wanted(org: Organization, today: date, people: People) -> list[Wanted]:
    """A reminder per reviewer for each objective waiting ``reminder_grace_days`` days or more,
    claimed per objective, reviewer and local day."""
    wanted: list[Wanted] = []
    for w in waiting(org, people):
        days = (today - w.since.astimezone(org.tzinfo).date()).days
        if days < org.reminder_grace_days:
            continue
        url = reverse("objectives:detail", kwargs={"slug": org.slug, "objective_id": w.objective_id})
        args = {"objective": w.title, "days": days}
        for uid in sorted(w.reviewers):
            wanted.append(
                Wanted(NotificationKind.APPROVAL_WAITING, f"objective:{w.objective_id}", today, uid, args, url)
            )
    return wanted


def approval_message(args: dict) -> str:
    return _("“%(objective)s” has waited %(days)d days for your review.") % args


def approval_items(org: Organization, membership: Membership) -> list[Waiting]:
    """The objectives waiting for ``membership``'s review (the To do's), oldest first."""
    return sorted((w for w in waiting(org) if membership.user_id in w.reviewers), key=lambda w: w.since)
