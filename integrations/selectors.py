"""Reads shared by the chat and e-mail check-ins: which key results a person is asked
about, in which order (their numbers), and who a chat account speaks for."""

from __future__ import annotations

from django.db.models import QuerySet

from integrations.models import ChatInstallation, ChatLink
from objectives.models import KeyResult
from objectives.selectors import my_key_results
from orgs.models import Membership, Organization, User


def numbered_key_results(*, org: Organization, user: User) -> list[KeyResult]:
    """The key results the person owns that take check-ins, in the My check-ins page's
    order: number 1 is the first. The same list in the reminder, the chat form and the
    reply's reading (an e-mail keeps the ids it was sent with: ``ReplyAddress``)."""
    return my_key_results(org=org, user=user)


def key_results_by_ids(*, org: Organization, ids: list[int]) -> list[KeyResult]:
    """The key results ``ids`` of ``org`` in that order (one missing, or another
    organisation's, is simply absent)."""
    rows = {
        kr.pk: kr
        for kr in KeyResult.objects.filter(organization=org, pk__in=ids).select_related("objective", "objective__cycle")
    }
    return [rows[i] for i in ids if i in rows]


def installation_for(*, platform: str, external_id: str) -> ChatInstallation | None:
    """The active installation of a Slack workspace or Teams tenant (it names the organisation)."""
    return (
        ChatInstallation.objects.filter(platform=platform, external_id=external_id, active=True)
        .select_related("organization")
        .first()
    )


def installations(*, org: Organization) -> QuerySet[ChatInstallation]:
    return ChatInstallation.objects.filter(organization=org).order_by("platform", "external_id")


def linked_membership(*, installation: ChatInstallation, external_user: str) -> Membership | None:
    """The member a chat account was linked to, still a member of the organisation."""
    link = ChatLink.objects.filter(
        organization=installation.organization,
        platform=installation.platform,
        external_team=installation.external_id,
        external_user=external_user,
    ).first()
    if link is None:
        return None
    return (
        Membership.objects.filter(organization=installation.organization, user_id=link.user_id)
        .select_related("user", "organization")
        .first()
    )
