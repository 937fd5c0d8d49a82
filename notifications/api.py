"""API resource ``notifications/``: the caller's own notifications; set ``read_at`` to mark one read."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import serializers

from notifications.models import Notification
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
        qs = qs.filter(recipient=self.request.user).order_by("-created_at", "-id")
        if self.request.query_params.get("unread") in ("1", "true"):
            qs = qs.filter(read_at__isnull=True)
        return qs

    def perform_update(self, serializer: NotificationSerializer) -> None:
        read_at = serializer.validated_data.get("read_at", timezone.now())
        if read_at is not None and read_at > timezone.now():
            read_at = timezone.now()
        serializer.save(read_at=read_at)
