"""The weekly check-in reminder outside e-mail: the interactive Slack message, the Teams
card and the push notification. The pushes are outbox rows the reminder sweep writes with
its claims (``check_in_push_rows``), retried until sent; the Slack message and Teams card
are sent by the sweep after its claims commit (``check_in_reminders_send``: once per claim,
one try)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from integrations import slack, teams
from integrations.services.push import push_rows
from notifications.models import NotificationKind, OutboxMessage
from orgs.models import Organization, User


def check_in_reminders_send(*, org_id: int, user_ids: list[int]) -> None:
    slack.send_reminders(org_id=org_id, user_ids=user_ids)
    teams.send_reminders(org_id=org_id, user_ids=user_ids)


def _check_in_text(_user: User) -> tuple[str, str]:
    return _("Time to check in"), _("Update your key results for this week.")


def check_in_push_rows(*, org: Organization, user_ids: list[int]) -> list[OutboxMessage]:
    """The weekly reminder's push to each phone of ``user_ids`` (unsaved outbox rows)."""
    return push_rows(
        org=org,
        user_ids=user_ids,
        topic=NotificationKind.CHECK_IN_DUE,
        text=_check_in_text,
        url=reverse("objectives:my_check_ins", kwargs={"slug": org.slug}),
        tag="check-in",
    )
