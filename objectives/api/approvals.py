"""The approval actions of ``objectives/`` (DESIGN §3, §6): ``POST objectives/<id>/submit/``,
``approve/`` and ``request-changes/`` with ``{"comment"}``. The answer is the objective."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from objectives import services
from objectives.access import check_objective_edit, check_objective_review
from objectives.models import Objective


class ApprovalCommentSerializer(serializers.Serializer):
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=5000,
        help_text="Required to request changes: what should change.",
    )


class ApprovalActions:
    """Mixed into ``ObjectiveViewSet``: who may submit is who may edit; who may review is
    ``objectives.approvals``. A refused transition is a 400 with a message, nothing changed."""

    def _review_input(self, request: Request) -> str:
        data = ApprovalCommentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return data.validated_data["comment"]

    def _answer(self, objective: Objective) -> Response:
        fresh = self.get_queryset().get(pk=objective.pk)  # type: ignore[attr-defined]  # the viewset's
        return Response(self.get_serializer(fresh).data)  # type: ignore[attr-defined]  # the viewset's

    @extend_schema(request=ApprovalCommentSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, slug: str, pk: str) -> Response:
        """Submit the objective (with its key results) for review; the coach's score and
        findings are frozen with the submission. Whoever may edit it submits it."""
        objective = self.get_object()  # type: ignore[attr-defined]  # the viewset's
        check_objective_edit(self.membership, objective)  # type: ignore[attr-defined]  # the viewset's
        comment = self._review_input(request)
        return self._answer(services.objective_submit(objective=objective, actor=request.user, comment=comment))

    @extend_schema(request=ApprovalCommentSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, slug: str, pk: str) -> Response:
        """Approve an objective in review: its owner's manager (admins for company objectives);
        approving one's own is a 400 unless an admin."""
        objective = self.get_object()  # type: ignore[attr-defined]  # the viewset's
        check_objective_review(self.membership, objective)  # type: ignore[attr-defined]  # the viewset's
        comment = self._review_input(request)
        return self._answer(services.objective_approve(objective=objective, actor=request.user, comment=comment))

    @extend_schema(request=ApprovalCommentSerializer)
    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request: Request, slug: str, pk: str) -> Response:
        """Send an objective in review back to its owner; ``comment`` (what should change) is required."""
        objective = self.get_object()  # type: ignore[attr-defined]  # the viewset's
        check_objective_review(self.membership, objective)  # type: ignore[attr-defined]  # the viewset's
        comment = self._review_input(request)
        changed = services.objective_request_changes(objective=objective, actor=request.user, comment=comment)
        return self._answer(changed)
