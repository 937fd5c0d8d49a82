from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConversationsConfig(AppConfig):
    name = "conversations"
    verbose_name = _("Conversations on objectives and check-ins")

    def ready(self) -> None:
        from conversations.receivers import add_conversation_to_objective_page
        from objectives.extensions import objective_detail_context

        objective_detail_context.connect(add_conversation_to_objective_page, dispatch_uid="conversations.detail")

        from conversations.receivers import notify_check_in_mentions
        from objectives.signals import check_in_mentions

        check_in_mentions.connect(notify_check_in_mentions, dispatch_uid="conversations.check_in_mentions")

        from activity.selectors import register_hidden_entries
        from conversations.restricted import hidden_activity

        register_hidden_entries(hidden_activity)
