from __future__ import annotations

from django.db.models import QuerySet

from notifications.models import Notification
from orgs.models import Organization, User


def notifications_for(*, org: Organization, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(organization=org, recipient=user)


def unread_count(*, org: Organization, user: User) -> int:
    return notifications_for(org=org, user=user).filter(read_at__isnull=True).count()
