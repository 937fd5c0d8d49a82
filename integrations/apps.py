from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    """Check-ins that arrive from Slack, Microsoft Teams and e-mail replies, and the web
    app installed on a phone (manifest, service worker, web push). Below the reminders,
    which put the numbered key results and the reply address into the reminder they send;
    above the conversations, and so above the hot path whose check-in service every
    message goes through."""

    name = "integrations"
    verbose_name = _("Chat and e-mail check-ins")

    def ready(self) -> None:
        from integrations.services.push import push_deliver
        from notifications.models import OutboxKind
        from notifications.outbox import register_sender

        register_sender(OutboxKind.PUSH, push_deliver)
