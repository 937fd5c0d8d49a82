"""API resources ``notifications/`` (the caller's own; set ``read_at`` to mark one read),
``channels/`` (admins: chat and webhook delivery) and ``deliveries/`` (admins: the outbox of
e-mails and posts, to see what waits and what was given up)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request

from notifications import channels
from notifications.models import Channel, ChannelEvent, ChannelKind, Notification, OutboxMessage, OutboxStatus
from notifications.subjects import seen_q
from orgs import permissions
from orgs.tenancy import OrgScopedViewSet


class NotificationSerializer(serializers.ModelSerializer):
    read_at = serializers.DateTimeField(
        allow_null=True, required=False, help_text="Set (any time, or now) to mark read; null to mark unread."
    )

    class Meta:
        model = Notification
        fields = ["id", "kind", "message", "url", "created_at", "read_at"]
        read_only_fields = ["id", "kind", "message", "url", "created_at"]


class NotificationViewSet(OrgScopedViewSet):
    """Only the caller's notifications; filter unread ones with ``?unread=1``."""

    model = Notification
    serializer_class = NotificationSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]
    permission_classes = OrgScopedViewSet.permission_classes[:1]  # viewers may mark their own as read

    def refine_queryset(self, qs: QuerySet) -> QuerySet:
        # Only those the caller may still see: one about an objective or KPI since hidden is a 404.
        qs = qs.filter(recipient=self.request.user).filter(seen_q(self.membership)).order_by("-created_at", "-id")
        if self.request.query_params.get("unread") in ("1", "true"):
            qs = qs.filter(read_at__isnull=True)
        return qs

    def perform_update(self, serializer: NotificationSerializer) -> None:
        read_at = serializer.validated_data.get("read_at", timezone.now())
        if read_at is not None and read_at > timezone.now():
            read_at = timezone.now()
        serializer.save(read_at=read_at)


# --- channels (admins only) -----------------------------------------------------------


class WebhookUrlField(serializers.CharField):
    """Takes the whole address; gives back only enough of it to recognise the channel."""

    def to_representation(self, value: str) -> str:
        return Channel(url=value).url_hint


class ChannelSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=ChannelKind.choices)
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    url = WebhookUrlField(
        max_length=500,
        help_text=(
            "https, public address. Write-only: responses carry only its host (`hooks.slack.com/…`), "
            "never the address itself, which holds the channel's credentials."
        ),
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=ChannelEvent.choices), required=False, default=list, max_length=20
    )
    active = serializers.BooleanField(required=False, default=True)
    restricted_safe = serializers.BooleanField(
        required=False,
        default=False,
        help_text="May carry events of team-only and private objectives and KPIs (check-ins, comments, "
        "escalations and requests for review); those are posted only to channels marked so, else nowhere. "
        "The Friday wins posted to such a channel include theirs; those posted to other channels leave them out.",
    )
    last_error = serializers.CharField(read_only=True, help_text="The last delivery failure, if any.")
    secret = serializers.SerializerMethodField(
        help_text="The webhook signing secret: returned once, in the response that creates the channel; null after."
    )

    class Meta:
        model = Channel
        fields = ["id", "kind", "name", "url", "events", "active", "restricted_safe", "last_error", "secret"]

    def get_secret(self, obj: Channel) -> str | None:
        return obj.secret if self.context.get("show_secret") else None


class ChannelViewSet(OrgScopedViewSet):
    """Slack, Teams and signed JSON webhooks the organisation's events are posted to. Admins only."""

    model = Channel
    serializer_class = ChannelSerializer

    def initial(self, request: Request, *args: object, **kwargs: object) -> None:
        super().initial(request, *args, **kwargs)
        if not permissions.is_admin(self.membership):
            raise PermissionDenied("Only admins manage delivery channels.")

    def refine_queryset(self, qs: QuerySet) -> QuerySet:
        return qs.order_by("name", "id")

    def perform_create(self, serializer: ChannelSerializer) -> None:
        data = serializer.validated_data
        serializer.instance = channels.channel_create(
            org=self.org,
            actor=self.request.user,
            kind=data["kind"],
            name=data.get("name", ""),
            url=data["url"],
            events=data.get("events", []),
            active=data.get("active", True),
            restricted_safe=data.get("restricted_safe", False),
        )
        serializer.context["show_secret"] = True

    def perform_update(self, serializer: ChannelSerializer) -> None:
        data = serializer.validated_data
        if "kind" in data and data["kind"] != serializer.instance.kind:
            raise serializers.ValidationError({"kind": ["A channel's kind cannot change; add a new channel."]})
        serializer.instance = channels.channel_update(
            channel=serializer.instance,
            actor=self.request.user,
            name=data.get("name"),
            url=data.get("url"),
            events=data.get("events"),
            active=data.get("active"),
            restricted_safe=data.get("restricted_safe"),
        )

    def perform_destroy(self, instance: Channel) -> None:
        channels.channel_delete(channel=instance, actor=self.request.user)


# --- deliveries (admins only, read-only) ------------------------------------------------


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = OutboxMessage
        fields = [
            "id",
            "delivery_id",
            "kind",
            "topic",
            "target",
            "channel",
            "status",
            "attempts",
            "next_attempt_at",
            "last_error",
            "created_at",
            "sent_at",
        ]
        read_only_fields = fields


class DeliveryViewSet(OrgScopedViewSet):
    """The organisation's outbox of e-mails and channel posts, newest first: what waits to be
    retried (``pending`` with ``attempts`` > 0), what was sent, and what was given up
    (``failed``, with ``last_error``). Filter with ``?status=``. Admins only; read-only."""

    model = OutboxMessage
    serializer_class = DeliverySerializer
    http_method_names = ["get", "head", "options"]

    def initial(self, request: Request, *args: object, **kwargs: object) -> None:
        super().initial(request, *args, **kwargs)
        if not permissions.is_admin(self.membership):
            raise PermissionDenied("Only admins see the delivery outbox.")

    def refine_queryset(self, qs: QuerySet) -> QuerySet:
        status = self.request.query_params.get("status")
        if status in OutboxStatus.values:
            qs = qs.filter(status=status)
        return qs.order_by("-created_at", "-id")
