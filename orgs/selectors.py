"""Reads shared by views, the API and tasks. Query counts are decided here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, QuerySet

from orgs.models import Invitation, Membership, Organization, Team, TeamMember, User


def team_list(*, org: Organization) -> QuerySet[Team]:
    return (
        Team.objects.filter(organization=org)
        .select_related("parent")
        .prefetch_related(Prefetch("memberships", queryset=TeamMember.objects.select_related("user")))
        .order_by("name")
    )


@dataclass
class TeamNode:
    team: Team
    depth: int
    managers: list[User] = field(default_factory=list)
    members: list[User] = field(default_factory=list)
    children: list[TeamNode] = field(default_factory=list)


def team_tree(*, org: Organization) -> list[TeamNode]:
    """The team forest, roots first, children sorted by name; three queries in all."""
    teams = list(team_list(org=org))
    nodes = {t.pk: TeamNode(team=t, depth=0) for t in teams}
    for t in teams:
        for tm in t.memberships.all():
            (nodes[t.pk].managers if tm.is_manager else nodes[t.pk].members).append(tm.user)
    roots: list[TeamNode] = []
    for t in teams:
        node = nodes[t.pk]
        if t.parent_id and t.parent_id in nodes:
            nodes[t.parent_id].children.append(node)
        else:
            roots.append(node)

    def set_depth(items: list[TeamNode], depth: int) -> None:
        for n in items:
            n.depth = depth
            set_depth(n.children, depth + 1)

    set_depth(roots, 0)
    return roots


def flatten_tree(roots: list[TeamNode]) -> list[TeamNode]:
    out: list[TeamNode] = []

    def walk(items: list[TeamNode]) -> None:
        for n in items:
            out.append(n)
            walk(n.children)

    walk(roots)
    return out


def member_list(*, org: Organization) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organization=org)
        .select_related("user", "primary_team")
        .prefetch_related(
            Prefetch(
                "user__team_memberships",
                queryset=TeamMember.objects.filter(organization=org).select_related("team"),
                to_attr="org_team_memberships",
            )
        )
        .order_by("user__name", "user__email")
    )


def pending_invitations(*, org: Organization) -> QuerySet[Invitation]:
    from django.utils import timezone

    return Invitation.objects.filter(
        organization=org, accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()
    ).select_related("team", "invited_by")


def is_member(org: Organization, user: User | None) -> bool:
    """Does ``user`` belong to ``org`` (in any role)?"""
    return user is not None and Membership.objects.filter(organization=org, user=user).exists()


# --- the caller's organisations, read once per request --------------------------------------------

# Figures per membership that upper floors add to the one query that reads a user's
# memberships (the notification bell's unread count): name → a function returning the
# annotation (built at query time, so apps register without importing models early).
MEMBERSHIP_ANNOTATIONS: dict[str, Callable[[], Any]] = {}


def register_membership_annotation(name: str, build: Callable[[], Any]) -> None:
    """Called from an upper app's ``AppConfig.ready()``: ``build()`` is an expression over a
    membership row (``OuterRef("organization")``, ``OuterRef("user")``)."""
    MEMBERSHIP_ANNOTATIONS[name] = build


def memberships_query(*, figures: bool = True) -> QuerySet[Membership]:
    """Memberships with their organisation and (``figures``) the registered figures, by
    organisation name. The API needs no figures: they are for pages (the bell)."""
    annotations = {name: build() for name, build in MEMBERSHIP_ANNOTATIONS.items()} if figures else {}
    return (
        Membership.objects.select_related("organization").annotate(**annotations).order_by("organization__name", "id")
    )


LOADED_MEMBERSHIPS = "_okrkpi_loaded_memberships"


def user_memberships(*, user: User, figures: bool = True) -> list[Membership]:
    """Every organisation the user belongs to, with the membership, by name. One query.
    Request paths read them through ``orgs.tenancy.request_memberships`` (once per request)."""
    return list(memberships_query(figures=figures).filter(user=user))
