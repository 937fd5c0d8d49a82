"""Conversations on objectives and check-ins: comments with @mentions,
reactions from a small fixed set, and managers' acknowledgements of check-ins."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from objectives.models import CheckIn, Objective
from orgs.models import TenantModel

if TYPE_CHECKING:
    from conversations.selectors import ReactionCount

MAX_COMMENT_LENGTH = 10_000


class Comment(TenantModel):
    """A comment on an objective, or on one check-in of it (``check_in`` set).
    ``objective`` is always set, so an objective's whole conversation is one query."""

    visibility_paths = ("objective__",)  # whom it follows: orgs.visibility.visible_scope
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="comments")
    check_in = models.ForeignKey(CheckIn, null=True, blank=True, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(_("comment"), max_length=MAX_COMMENT_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True)

    # Not columns: conversations.selectors sets them on the comments a page shows.
    reaction_summary: list[ReactionCount]
    mentioned_names: dict[int, str]

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["organization", "objective", "created_at"])]

    def __str__(self) -> str:
        return self.body[:60]


class Mention(TenantModel):
    """Someone named in a comment; it waits in their inbox until they have seen it."""

    visibility_paths = ("comment__objective__",)  # whom it follows: orgs.visibility.visible_scope
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["comment", "user"], name="uniq_mention")]
        indexes = [models.Index(fields=["organization", "user", "seen_at"])]

    def __str__(self) -> str:
        return f"@{self.user_id} in {self.comment_id}"


class ReactionKind(models.TextChoices):
    THUMBS_UP = "thumbs_up", "👍"
    CELEBRATE = "celebrate", "🎉"
    HEART = "heart", "❤️"
    EYES = "eyes", "👀"
    CONCERNED = "concerned", "😟"


REACTION_LABELS = {
    ReactionKind.THUMBS_UP: _("Agree"),
    ReactionKind.CELEBRATE: _("Celebrate"),
    ReactionKind.HEART: _("Love it"),
    ReactionKind.EYES: _("Looking into it"),
    ReactionKind.CONCERNED: _("Concerned"),
}


class Reaction(TenantModel):
    """One person's reaction of one kind to a check-in or a comment (exactly one of them)."""

    # Whom it follows (orgs.visibility.visible_scope): its check-in's objective or its comment's.
    visibility_paths = ("check_in__key_result__objective__", "comment__objective__")
    check_in = models.ForeignKey(CheckIn, null=True, blank=True, on_delete=models.CASCADE, related_name="reactions")
    comment = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="reactions")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("reaction"), max_length=16, choices=ReactionKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="reaction_on_exactly_one",
                condition=models.Q(check_in__isnull=False, comment__isnull=True)
                | models.Q(check_in__isnull=True, comment__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["check_in", "author", "kind"],
                condition=models.Q(check_in__isnull=False),
                name="uniq_check_in_reaction",
            ),
            models.UniqueConstraint(
                fields=["comment", "author", "kind"],
                condition=models.Q(comment__isnull=False),
                name="uniq_comment_reaction",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} by {self.author_id}"


class Acknowledgement(TenantModel):
    """A manager has read a direct report's check-in (it leaves their inbox)."""

    visibility_paths = ("check_in__key_result__objective__",)  # whom it follows: orgs.visibility.visible_scope
    check_in = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="acknowledgements")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["check_in", "user"], name="uniq_acknowledgement")]
        indexes = [models.Index(fields=["organization", "user"])]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.check_in_id}"
