from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications and reminders")

    def ready(self) -> None:
        from notifications.selectors import unread_count_annotation
        from orgs.selectors import register_membership_annotation

        # The bell's count comes with the request's one read of the user's memberships.
        register_membership_annotation("unread_notifications", unread_count_annotation)
