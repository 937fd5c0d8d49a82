from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from notifications.models import Notification
from orgs.models import Organization, User


@transaction.atomic
def notification_mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def notification_mark_all_read(*, org: Organization, user: User) -> int:
    return Notification.objects.filter(organization=org, recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
