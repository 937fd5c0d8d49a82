"""API resources ``comments/`` and ``reactions/``. The rules (who may write,
mentions of members only, the author alone edits) live in ``conversations.services``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers

from conversations import services
from conversations.models import MAX_COMMENT_LENGTH, Comment, Reaction, ReactionKind
from core.ids import parse_id
from objectives.models import CheckIn, Objective
from orgs.api import OrgScopedPrimaryKeyField
from orgs.tenancy import OrgScopedViewSet


def _filter(qs: QuerySet, request: Any, names: dict[str, str]) -> QuerySet:
    for param, field in names.items():
        value = parse_id(request.query_params.get(param))
        if value is not None:
            qs = qs.filter(**{field: value})
    return qs


class CommentSerializer(serializers.ModelSerializer):
    objective = OrgScopedPrimaryKeyField(
        queryset=Objective.objects.all(),
        required=False,
        allow_null=True,
        help_text="The objective commented on. Give this or check_in, not both; "
        "a comment on a check-in reads back with its objective too.",
    )
    check_in = OrgScopedPrimaryKeyField(
        queryset=CheckIn.objects.all(), required=False, allow_null=True, help_text="The check-in commented on."
    )
    body = serializers.CharField(
        max_length=MAX_COMMENT_LENGTH,
        help_text="Plain text. Mention members as @email or @[user id]: they are notified; "
        "a mention of anyone else is refused.",
    )
    author = serializers.PrimaryKeyRelatedField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    edited_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Comment
        fields = ["id", "objective", "check_in", "body", "author", "created_at", "edited_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (attrs.get("objective") is None) == (attrs.get("check_in") is None):
            raise serializers.ValidationError({"non_field_errors": ["Give exactly one of objective or check_in."]})
        return attrs


class CommentUpdateSerializer(CommentSerializer):
    """A comment does not move: only its body changes."""

    objective = serializers.PrimaryKeyRelatedField(read_only=True, help_text="The objective the comment is on.")
    check_in = serializers.PrimaryKeyRelatedField(read_only=True, help_text="The check-in, for a reply under one.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return attrs


class CommentViewSet(OrgScopedViewSet):
    """Comments on objectives and check-ins, oldest first. Filters: ``?objective=``,
    ``?check_in=``, ``?author=``. Only the author edits (``body``) or deletes."""

    model = Comment
    serializer_class = CommentSerializer

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if self.action in ("update", "partial_update"):
            return CommentUpdateSerializer
        return CommentSerializer

    def refine_queryset(self, qs: QuerySet) -> QuerySet:
        qs = qs.order_by("created_at", "id")
        return _filter(
            qs, self.request, {"objective": "objective_id", "check_in": "check_in_id", "author": "author_id"}
        )

    def perform_create(self, serializer: CommentSerializer) -> None:
        data = serializer.validated_data
        serializer.instance = services.comment_create(
            org=self.org,
            actor=self.request.user,
            body=data["body"],
            objective=data.get("objective") if data.get("check_in") is None else None,
            check_in=data.get("check_in"),
        )

    def perform_update(self, serializer: CommentSerializer) -> None:
        comment: Comment = serializer.instance
        body = serializer.validated_data.get("body", comment.body)
        serializer.instance = services.comment_update(comment=comment, actor=self.request.user, body=body)

    def perform_destroy(self, instance: Comment) -> None:
        services.comment_delete(comment=instance, actor=self.request.user)


class ReactionSerializer(serializers.ModelSerializer):
    check_in = OrgScopedPrimaryKeyField(
        queryset=CheckIn.objects.all(), required=False, allow_null=True, help_text="Give this or comment, not both."
    )
    comment = OrgScopedPrimaryKeyField(queryset=Comment.objects.all(), required=False, allow_null=True)
    kind = serializers.ChoiceField(choices=ReactionKind.choices)
    author = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Reaction
        fields = ["id", "check_in", "comment", "kind", "author"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (attrs.get("check_in") is None) == (attrs.get("comment") is None):
            raise serializers.ValidationError({"non_field_errors": ["Give exactly one of check_in or comment."]})
        return attrs


class ReactionViewSet(OrgScopedViewSet):
    """Reactions from a fixed set. Create (reacting twice the same way keeps one), list,
    delete your own. Filters: ``?check_in=``, ``?comment=``, ``?author=``."""

    model = Reaction
    serializer_class = ReactionSerializer
    http_method_names = ["get", "post", "delete", "head", "options"]

    def refine_queryset(self, qs: QuerySet) -> QuerySet:
        qs = qs.order_by("id")
        return _filter(qs, self.request, {"check_in": "check_in_id", "comment": "comment_id", "author": "author_id"})

    def perform_create(self, serializer: ReactionSerializer) -> None:
        data = serializer.validated_data
        serializer.instance = services.reaction_add(
            org=self.org,
            actor=self.request.user,
            kind=data["kind"],
            check_in=data.get("check_in"),
            comment=data.get("comment"),
        )

    def perform_destroy(self, instance: Reaction) -> None:
        services.reaction_delete(reaction=instance, actor=self.request.user)
