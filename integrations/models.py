"""The rows of check-ins from outside the web app: the chat workspaces an organisation
connected, the chat accounts linked to its members (never by a display name: by a
one-time link the member opens while signed in), the reply addresses of reminder
e-mails, each delivery received (so that a retry saves nothing twice) and the phones
that take push notifications."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from orgs.models import TenantModel


class Platform(models.TextChoices):
    SLACK = "slack", _("Slack")
    TEAMS = "teams", _("Microsoft Teams")
    EMAIL = "email", _("E-mail")
    WEB = "web", _("Sent from the installed app after being offline")


class ChatInstallation(TenantModel):
    """A Slack workspace (``external_id``: its team id) or a Microsoft Teams tenant (its
    tenant id) that sends this organisation's people's check-ins. Slack's signing secret
    and bot token are encrypted at rest (``core.secrets``)."""

    platform = models.CharField(_("platform"), max_length=8, choices=Platform.choices)
    external_id = models.CharField(_("workspace or tenant id"), max_length=100)
    signing_secret = models.TextField(blank=True, editable=False)
    bot_token = models.TextField(blank=True, editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "external_id"], name="integrations_one_installation"),
        ]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} {self.external_id}"


class ChatLink(TenantModel):
    """A chat account (``external_user`` in workspace ``external_team``) that speaks for a member."""

    platform = models.CharField(max_length=8, choices=Platform.choices)
    external_team = models.CharField(max_length=100)
    external_user = models.CharField(max_length=200)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # Teams: where to post to this person (the last verified activity's service URL and
    # conversation), so the weekly reminder card can be sent to them.
    service_url = models.CharField(max_length=300, blank=True)
    conversation = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "external_team", "external_user"], name="integrations_one_link_per_account"
            ),
        ]


class LinkRequest(TenantModel):
    """The one-time link a chat account is sent to tie it to a member: only its hash is
    kept; it is spent (``used_at``) by the first member who confirms it, and expires."""

    platform = models.CharField(max_length=8, choices=Platform.choices)
    external_team = models.CharField(max_length=100)
    external_user = models.CharField(max_length=200)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)


class ReplyAddress(TenantModel):
    """The reply address of one reminder e-mail: the person it was sent to and its key
    results in the order they were numbered, so that "2: 4,5" names the same key result
    when the reply comes back. The token in the address is random and signed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=40, unique=True)
    key_results = models.JSONField(default=list)
    created_at = models.DateTimeField()


class InboundDelivery(TenantModel):
    """One message received (a Slack interaction, a Teams activity, an e-mail), by the
    id the platform gave it: its row is written in the transaction of its check-ins, so a
    retried delivery finds it and saves nothing more. ``answer`` is what was replied."""

    platform = models.CharField(max_length=8, choices=Platform.choices)
    key = models.CharField(max_length=255)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    answer = models.JSONField(default=dict)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "platform", "key"], name="integrations_one_delivery"),
        ]


class PushSubscription(TenantModel):
    """A browser (a phone with the app installed) that takes this member's reminders as
    push notifications (the Web Push endpoint and its keys)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    endpoint = models.URLField(max_length=1000)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "endpoint"], name="integrations_one_push_endpoint"),
        ]
