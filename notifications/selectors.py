from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from notifications.models import Notification
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
