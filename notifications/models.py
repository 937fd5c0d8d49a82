"""In-app notifications, each person's delivery preferences, chat and webhook
channels, and the claims that make every reminder and digest go out exactly once."""

from __future__ import annotations

import uuid
from datetime import time

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orgs.models import TenantModel


class NotificationKind(models.TextChoices):
    KPI_DUE = "kpi_due", _("KPI measurement due")
    KPI_OVERDUE = "kpi_overdue", _("KPI measurement overdue")
    CHECK_IN_DUE = "check_in_due", _("Weekly check-in")
    CHECK_IN_MISSED = "check_in_missed", _("Missed check-in")
    CHECK_IN_ESCALATED = "check_in_escalated", _("Missed check-in in your team")
    MENTION = "mention", _("Someone mentioned you")
    COMMENT = "comment", _("Comments on your check-ins and objectives")
    CHANNEL_PAUSED = "channel_paused", _("A delivery channel was paused")
    APPROVAL_WAITING = "approval_waiting", _("Objectives waiting for your review")
    APPROVAL_DECIDED = "approval_decided", _("Your objective approved or sent back for changes")
    # The composed weekly e-mails (sent by the reminders sweep), on or off.
    PLAN_WEEK = "plan_week", _("Monday: plan the week")
    TEAM_WEEK = "team_week", _("Monday: your teams' week")
    WINS = "wins", _("Friday: the week's wins")
    # Claims of buffered digests (subject "daily" or "weekly"); never a notification.
    DIGEST = "digest", _("Digest of notifications")


# Kinds that are themselves a weekly e-mail: a person turns them on or off.
DIGEST_KINDS = frozenset({NotificationKind.PLAN_WEEK, NotificationKind.TEAM_WEEK, NotificationKind.WINS})
# Kinds a person can choose a delivery for (the order of the preferences page).
CHOOSABLE_KINDS = [
    NotificationKind.MENTION,
    NotificationKind.COMMENT,
    NotificationKind.CHECK_IN_DUE,
    NotificationKind.CHECK_IN_MISSED,
    NotificationKind.CHECK_IN_ESCALATED,
    NotificationKind.KPI_DUE,
    NotificationKind.KPI_OVERDUE,
    NotificationKind.CHANNEL_PAUSED,
    NotificationKind.APPROVAL_WAITING,
    NotificationKind.APPROVAL_DECIDED,
    NotificationKind.PLAN_WEEK,
    NotificationKind.TEAM_WEEK,
    NotificationKind.WINS,
]


class Delivery(models.TextChoices):
    INSTANT = "instant", _("Instantly")
    DAILY = "daily", _("Daily digest")
    WEEKLY = "weekly", _("Weekly digest")
    OFF = "off", _("Off")


DEFAULT_DELIVERY: dict[str, str] = {
    NotificationKind.COMMENT: Delivery.DAILY,
    NotificationKind.PLAN_WEEK: Delivery.WEEKLY,
    NotificationKind.TEAM_WEEK: Delivery.WEEKLY,
    NotificationKind.WINS: Delivery.WEEKLY,
}  # every other kind: instantly


class MailDue(models.TextChoices):
    """What is left to e-mail about an in-app notification."""

    NONE = "", _("Nothing (sent, or in-app only)")
    HELD = "held", _("Held by quiet hours")
    DAILY = "daily", _("In the next daily digest")
    WEEKLY = "weekly", _("In the next weekly digest")


class Notification(TenantModel):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=24, choices=NotificationKind.choices)
    message = models.CharField(max_length=500)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    mail_due = models.CharField(max_length=8, choices=MailDue.choices, default="", db_default="", blank=True)
    # What it is about ("objective", "kr", "kpi" and its id; empty for nothing in particular):
    # it shows only while the recipient may see that (``notifications.subjects``).
    subject_type = models.CharField(max_length=16, default="", db_default="", blank=True)
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "recipient", "read_at"]),
            models.Index(fields=["organization", "mail_due"], name="notification_mail_due"),
        ]

    def __str__(self) -> str:
        return self.message


class ReminderClaim(TenantModel):
    """One row per reminder that went out: (kind, subject, period, recipient) is
    unique, so retries and overlapping sweeps can never send it twice."""

    kind = models.CharField(max_length=24, choices=NotificationKind.choices)
    subject = models.CharField(max_length=64, help_text="What it is about, e.g. 'kpi:12'.")
    period = models.DateField()
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    run = models.CharField(max_length=36, help_text="The sweep run that made the claim.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "subject", "period", "recipient"], name="uniq_reminder_claim"
            ),
        ]
        indexes = [models.Index(fields=["run"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject} {self.period} → {self.recipient_id}"


class ChannelClaim(TenantModel):
    """One row per digest posted to a chat or webhook channel: (channel, event, period) is
    unique, so overlapping sweeps and retried ones post it once. ``ReminderClaim`` is the
    same idea for people; a channel is not a person, so it gets its own table rather than a
    nullable recipient."""

    channel = models.ForeignKey("Channel", on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=24)
    period = models.DateField()
    run = models.CharField(max_length=36, help_text="The sweep run that made the claim.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "channel", "event", "period"], name="uniq_channel_claim"),
        ]
        indexes = [models.Index(fields=["run"], name="channel_claim_run")]

    def __str__(self) -> str:
        return f"{self.event} {self.period} → channel {self.channel_id}"


class NotificationSettings(TenantModel):
    """One person's choices in one organisation: a delivery per kind (missing
    kinds take ``DEFAULT_DELIVERY``) and a quiet-hours window in the
    organisation's time zone, during which nothing is e-mailed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    deliveries = models.JSONField(default=dict, blank=True)
    quiet_start = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet hours until"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "notification settings"
        constraints = [models.UniqueConstraint(fields=["organization", "user"], name="uniq_notification_settings")]

    def __str__(self) -> str:
        return f"settings of {self.user_id} in {self.organization_id}"

    def delivery_for(self, kind: str) -> str:
        return delivery_for(self.deliveries, kind)

    def is_quiet(self, local_time: time) -> bool:
        return is_quiet(self.quiet_start, self.quiet_end, local_time)


def delivery_for(deliveries: dict | None, kind: str) -> str:
    chosen = (deliveries or {}).get(str(kind))
    if chosen in Delivery.values:
        return chosen
    return DEFAULT_DELIVERY.get(kind, Delivery.INSTANT)


def is_quiet(start: time | None, end: time | None, local_time: time) -> bool:
    """Whether a local wall-clock time falls in [start, end); windows may wrap midnight."""
    if start is None or end is None or start == end:
        return False
    if start < end:
        return start <= local_time < end
    return local_time >= start or local_time < end


class ChannelKind(models.TextChoices):
    SLACK = "slack", _("Slack incoming webhook")
    TEAMS = "teams", _("Microsoft Teams webhook")
    WEBHOOK = "webhook", _("Generic JSON webhook (signed)")


class ChannelEvent(models.TextChoices):
    CHECK_IN = "check_in", _("Check-ins")
    COMMENT = "comment", _("Comments")
    CHECK_IN_MISSED = "check_in_missed", _("Missed check-ins (escalations)")
    KPI_OVERDUE = "kpi_overdue", _("Overdue KPI values (escalations)")
    WINS = "wins", _("Friday wins")
    APPROVAL_REQUESTED = "approval_requested", _("Objectives waiting for review")


class Channel(TenantModel):
    """Somewhere outside the app an organisation's events are posted to. The URL
    and the signing secret are write-only (the secret is shown once, at creation)."""

    kind = models.CharField(_("kind"), max_length=16, choices=ChannelKind.choices)
    name = models.CharField(_("name"), max_length=100)
    url = models.CharField(_("URL"), max_length=500)
    secret = models.CharField(max_length=64, editable=False)
    events = models.JSONField(_("events"), default=list)
    active = models.BooleanField(_("active"), default=True)
    restricted_safe = models.BooleanField(
        _("may carry restricted events"),
        default=False,
        help_text=_(
            "Events of team-only or private objectives and KPIs are posted only to channels marked safe for them."
        ),
    )
    failures = models.PositiveIntegerField(default=0, help_text="Messages given up on in a row.")
    last_error = models.CharField(max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["organization", "active"])]

    def __str__(self) -> str:
        return self.name

    @property
    def event_labels(self) -> list[str]:
        """The events it carries, as their (translated) names."""
        return [str(ChannelEvent(e).label) for e in self.events or [] if e in ChannelEvent.values]

    @property
    def url_hint(self) -> str:
        """Enough of the URL to recognise it, not enough to use it."""
        from urllib.parse import urlsplit

        host = urlsplit(self.url).hostname or ""
        return f"{host}/…" if host else "…"


class OutboxKind(models.TextChoices):
    EMAIL = "email", _("E-mail")
    CHANNEL = "channel", _("Channel post")
    PUSH = "push", _("Push notification")


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Given up")


class OutboxMessage(TenantModel):
    """One e-mail, channel post or push notification that must leave exactly once (``notifications.outbox``).
    It is written in the transaction that claims it (``ReminderClaim``, ``ChannelClaim``, or
    the notification itself), delivered after the commit, retried with backoff by a sweep
    while ``pending``, and given up (``failed``, shown to admins) after a bounded number of
    tries. ``delivery_id`` is stable across retries: it travels as the e-mail's Message-ID
    and as a header and JSON field of a post, so a receiver drops a redelivered duplicate."""

    kind = models.CharField(max_length=8, choices=OutboxKind.choices)
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    channel = models.ForeignKey(Channel, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    topic = models.CharField(max_length=24, help_text="The notification kind or channel event.")
    target = models.CharField(max_length=254, help_text="The address or channel name, for people to read.")
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=8, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # A sender takes rows with a conditional UPDATE that sets a lease (its token, until when):
    # two senders never hold one row, and a sender that died frees it when the lease ends.
    lease = models.CharField(max_length=36, blank=True, default="")
    sending_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["lease"], name="outbox_lease"),
            models.Index(fields=["organization", "status"], name="outbox_org_status"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.topic} → {self.target} ({self.status})"
