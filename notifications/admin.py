from django.contrib import admin

from core.admin import ReadOnlyAdmin
from notifications.models import Notification, OutboxMessage, ReminderClaim


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["id", "organization", "recipient", "kind", "created_at", "read_at"]
    list_filter = ["organization"]


@admin.register(ReminderClaim)
class ReminderClaimAdmin(ReadOnlyAdmin):
    list_display = ["id", "organization", "kind", "subject", "period", "recipient"]
    list_filter = ["kind"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """E-mails and posts of the outbox: what waits, what was sent, what was given up (the
    minutely sweep retries and gives up; an edit here would bypass its lease)."""

    list_display = ["id", "organization", "kind", "topic", "target", "status", "attempts", "next_attempt_at"]
    list_filter = ["status", "kind"]
    search_fields = ["target", "delivery_id"]
