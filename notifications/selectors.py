from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from notifications.models import Notification, OutboxMessage, OutboxStatus
from orgs.models import Organization, User


def notifications_for(*, org: Organization, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(organization=org, recipient=user)


def unread_count(*, org: Organization, user: User) -> int:
    return notifications_for(org=org, user=user).filter(read_at__isnull=True).count()


def unread_count_annotation() -> Coalesce:
    """A membership's unread count (its organisation, its user), as an annotation over
    memberships: the bell costs no query of its own (``orgs.tenancy.request_memberships``)."""
    unread = (
        Notification.objects.filter(
            organization=OuterRef("organization"), recipient=OuterRef("user"), read_at__isnull=True
        )
        .order_by()
        .values("recipient")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(unread, output_field=IntegerField()), 0)


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
