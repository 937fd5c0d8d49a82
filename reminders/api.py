"""API resource ``inbox/``: the caller's own "To do" list, read-only."""

from __future__ import annotations

from typing import Any

from rest_framework import generics, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from orgs.tenancy import OrgScopedMixin
from reminders.inbox import inbox


class InboxItemSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[
            *("check_in", "kpi", "acknowledge", "mention", "retrospective", "retrospective_review"),
            *("data_source", "approval"),
        ],
        read_only=True,
        help_text="check_in: a key result to check in; kpi: a KPI value to record; acknowledge: check-ins "
        "of someone you manage; mention: a comment that mentions you; retrospective: an objective's "
        "retrospective to write; retrospective_review: a retrospective to acknowledge as its reviewer; "
        "approval: an objective waiting for your review.",
    )
    title = serializers.CharField(read_only=True)
    url = serializers.CharField(read_only=True, help_text="The page where it is done.")
    due = serializers.DateField(read_only=True, allow_null=True)
    object_id = serializers.IntegerField(
        read_only=True,
        help_text="Key result, KPI, person (acknowledge), comment (mention) or objective "
        "(retrospective, retrospective_review, approval) id.",
    )


class InboxView(OrgScopedMixin, generics.ListAPIView):
    """What the caller must do now; items disappear once done."""

    serializer_class = InboxItemSerializer
    permission_classes = [IsAuthenticated]  # viewers have an inbox too (mentions)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        items = inbox(org=self.org, membership=self.membership)
        page = self.paginate_queryset(items)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
