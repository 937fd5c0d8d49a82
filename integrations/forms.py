from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from integrations.models import Platform


class ConnectForm(forms.Form):
    platform = forms.ChoiceField(
        label=_("Platform"), choices=[(Platform.SLACK, Platform.SLACK.label), (Platform.TEAMS, Platform.TEAMS.label)]
    )
    external_id = forms.CharField(
        label=_("Workspace or tenant id"),
        max_length=100,
        help_text=_("Slack: the workspace's team id (T…). Teams: the Microsoft Entra tenant id."),
    )
    signing_secret = forms.CharField(
        label=_("Signing secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Slack only: Basic Information › App Credentials. Stored encrypted; never shown again."),
    )
    bot_token = forms.CharField(
        label=_("Bot token"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Slack only: OAuth & Permissions › Bot User OAuth Token (xoxb-…). Stored encrypted."),
    )
