from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from notifications.models import Notification, OutboxMessage, OutboxStatus
from notifications.subjects import open_q, seen_q
from orgs.models import Membership, Organization, User


def notifications_for(*, org: Organization, user: User, membership: Membership | None = None) -> QuerySet[Notification]:
    """The person's notifications they may still see: one about an objective, key result or
    KPI since hidden from them is left out (``notifications.subjects``). Without a
    membership in ``org`` only those about nothing in particular remain (fails closed)."""
    m = membership
    if m is None:
        m = Membership.objects.filter(organization=org, user=user).select_related("organization").first()
    mine = Notification.objects.filter(organization=org, recipient=user)
    if m is None:
        return mine.filter(subject_type="")
    return mine.filter(seen_q(m))


def unread_count(*, org: Organization, user: User, membership: Membership | None = None) -> int:
    return notifications_for(org=org, user=user, membership=membership).filter(read_at__isnull=True).count()


def _unread_where(condition: Q) -> Coalesce:
    unread = (
        Notification.objects.filter(
            condition, organization=OuterRef("organization"), recipient=OuterRef("user"), read_at__isnull=True
        )
        .order_by()
        .values("recipient")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(unread, output_field=IntegerField()), 0)


def unread_count_annotation() -> Coalesce:
    """A membership's unread notifications about nothing in particular or about what everyone
    in the organisation sees, as an annotation over memberships: the bell costs no query of its
    own (``orgs.tenancy.request_memberships``) unless ``unread_restricted_annotation`` is not 0."""
    return _unread_where(open_q())


def unread_restricted_annotation() -> Coalesce:
    """The membership's other unread notifications: about a team-only or private objective or
    KPI (or one since deleted). Whether the person may see them is read per person."""
    return _unread_where(~open_q())


@dataclass
class Undelivered:
    """What the outbox could not send, for the organisation's admins."""

    given_up: list[OutboxMessage]  # the latest ones given up
    given_up_total: int
    waiting: int  # failed at least once, retried by the sweep


def undelivered(*, org: Organization, limit: int = 20) -> Undelivered:
    """Three queries, whatever the number of rows."""
    failed = OutboxMessage.objects.filter(organization=org, status=OutboxStatus.FAILED)
    return Undelivered(
        given_up=list(failed.select_related("channel").order_by("-next_attempt_at", "-id")[:limit]),
        given_up_total=failed.count(),
        waiting=OutboxMessage.objects.filter(organization=org, status=OutboxStatus.PENDING, attempts__gt=0).count(),
    )
