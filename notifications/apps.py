from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications and reminders")

    def ready(self) -> None:
        from notifications.selectors import unread_count_annotation, unread_restricted_annotation
        from orgs.selectors import register_membership_annotation

        # The bell's count comes with the request's one read of the user's memberships; only
        # unread notifications about restricted objects need a read of their own (context_processors).
        register_membership_annotation("unread_notifications", unread_count_annotation)
        register_membership_annotation("unread_restricted", unread_restricted_annotation)

        from django.db.models.signals import post_delete, post_save

        from notifications.channels import forget_channels
        from notifications.models import Channel

        def channel_changed(sender: type, instance: Channel, **kwargs: object) -> None:
            forget_channels(instance.organization_id)

        # Every save or delete of a channel, whoever makes it (services, the admin site).
        post_save.connect(channel_changed, sender=Channel, weak=False, dispatch_uid="okrkpi-forget-channels-save")
        post_delete.connect(channel_changed, sender=Channel, weak=False, dispatch_uid="okrkpi-forget-channels-delete")
