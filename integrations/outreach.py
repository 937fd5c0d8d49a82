"""The weekly check-in reminder outside e-mail: the interactive Slack message, the Teams
card and the push notification. Called by the reminder sweep after its claims commit (once per claim)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from integrations import slack, teams
from integrations.services.push import push_send
from orgs.models import Organization


def check_in_reminders_send(*, org_id: int, user_ids: list[int]) -> None:
    slack.send_reminders(org_id=org_id, user_ids=user_ids)
    teams.send_reminders(org_id=org_id, user_ids=user_ids)
    org = Organization.objects.get(pk=org_id)
    with translation.override(org.language):
        push_send(
            org_id=org_id,
            user_ids=user_ids,
            title=_("Time to check in"),
            body=_("Update your key results for this week."),
            url=reverse("objectives:my_check_ins", kwargs={"slug": org.slug}),
            tag="check-in",
        )
