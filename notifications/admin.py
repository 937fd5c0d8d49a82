from django.contrib import admin

from notifications.models import Notification, OutboxMessage, ReminderClaim

admin.site.register(Notification)
admin.site.register(ReminderClaim)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """E-mails and posts of the outbox: what waits, what was sent, what was given up."""

    list_display = ["id", "organization", "kind", "topic", "target", "status", "attempts", "next_attempt_at"]
    list_filter = ["status", "kind"]
    search_fields = ["target", "delivery_id"]
    readonly_fields = ["delivery_id", "created_at", "sent_at"]
