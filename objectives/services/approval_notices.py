"""Telling an objective's owner what its reviewer decided (DESIGN §3): approved, or sent back
with the reviewer's comment. A person-owned objective's owner hears it; a team's (or the
company's) the person who last submitted it for review (``ObjectiveReview`` keeps who).
Nobody hears of their own decision (an admin approving their own objective).

It goes through ``notifications.notification_send`` (in-app, and an e-mail after the
recipient's delivery choice and quiet hours), once per decision, after the decision's
transaction commits: a refused or rolled-back review tells nobody anything.
"""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from notifications.mailer import language_of
from notifications.models import NotificationKind
from notifications.services import notification_send
from objectives.models import Objective, ObjectiveReview
from objectives.review_models import ReviewAction
from orgs.models import Membership, User
from orgs.visibility import can_see


def notify_decision_after_commit(review: ObjectiveReview) -> None:
    """Schedule the owner's notification of ``review`` (an approval or a request for changes)
    for when the current transaction commits. ``robust``: the decision has committed by then,
    so a failure to notify is logged (``django.db.backends.base``) and never turns the
    approval into an error page or a 500."""
    review_id = review.pk

    def notify_decision() -> None:  # named: Django's log of a robust callback reads __qualname__
        decision_notify(review_id=review_id)

    transaction.on_commit(notify_decision, robust=True)


def decision_recipient(review: ObjectiveReview) -> User | None:
    """Who hears of a decision: the person who owns the objective, else whoever last submitted
    it (or sent it back to review); never the reviewer themself, and only a member of the
    organisation who may still see the objective."""
    objective = review.objective
    user_id = objective.owner_user_id
    if user_id is None:
        user_id = (
            ObjectiveReview.objects.filter(
                organization_id=review.organization_id,
                objective_id=objective.pk,
                action__in=(ReviewAction.SUBMITTED, ReviewAction.REOPENED),
                actor__isnull=False,
                created_at__lte=review.created_at,
            )
            .order_by("-created_at", "-id")
            .values_list("actor_id", flat=True)
            .first()
        )
    if user_id is None or user_id == review.actor_id:
        return None
    membership = (
        Membership.objects.filter(organization_id=review.organization_id, user_id=user_id)
        .select_related("user", "organization")
        .first()
    )
    if membership is None or not can_see(membership, objective):
        return None
    return membership.user


def decision_message(review: ObjectiveReview, objective: Objective) -> str:
    """The sentence, in the active language, naming the reviewer and the objective."""
    args = {
        "who": review.actor.display_name if review.actor else _("Someone"),
        "title": objective.title,
        "comment": review.comment[:300],
    }
    if review.action == ReviewAction.CHANGES_REQUESTED:
        return _("%(who)s asked for changes to “%(title)s”: %(comment)s") % args
    if review.comment:
        return _("%(who)s approved “%(title)s”: %(comment)s") % args
    return _("%(who)s approved “%(title)s”.") % args


def decision_notify(*, review_id: int) -> None:
    """Notify the owner of one approval or request for changes (run after its commit)."""
    review = (
        ObjectiveReview.objects.select_related("objective__organization", "actor")
        .filter(pk=review_id, action__in=(ReviewAction.APPROVED, ReviewAction.CHANGES_REQUESTED))
        .first()
    )
    if review is None:
        return
    recipient = decision_recipient(review)
    if recipient is None:
        return
    objective = review.objective
    org = objective.organization
    with translation.override(language_of(recipient, org)):
        message = decision_message(review, objective)
    notification_send(
        org=org,
        recipient=recipient,
        kind=NotificationKind.APPROVAL_DECIDED,
        message=message,
        url=reverse("objectives:detail", kwargs={"slug": org.slug, "objective_id": objective.pk}),
        subject=f"objective:{objective.pk}",
    )
