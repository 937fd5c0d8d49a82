"""Approvals (DESIGN §3): submitting an objective for review, approving it or asking for
changes, and sending an approved one back to review after a material edit.

Each step locks the objective's row (after its cycle, the close's order), checks the
transition, writes the new ``approval_status``, appends an ``ObjectiveReview`` and records
the activity, all in one transaction: a refused step changes nothing. Who may review is
``objectives.approvals``; the pages and the API check it (``access.check_objective_review``)
and the services refuse self-approval whoever calls them.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from activity.services import activity_record
from notifications import outbox
from notifications.models import Channel, ChannelEvent
from objectives.approvals import approvals_on, is_own
from objectives.extensions import submission_snapshot
from objectives.models import MIN_KEY_RESULTS_TO_ACTIVATE, ApprovalStatus, KeyResult, Objective, ObjectiveReview
from objectives.review_models import ReviewAction
from objectives.services._helpers import check_cycle_open, hold_cycle
from objectives.services.approval_notices import notify_decision_after_commit
from orgs.models import Membership, Role, User
from orgs.visibility import Visibility


def _locked(objective: Objective) -> Objective:
    hold_cycle(objective_id=objective.pk)  # before the row: the close's order
    return (
        Objective.objects.select_for_update(of=("self",)).select_related("cycle", "organization").get(pk=objective.pk)
    )


def _check_open_review(objective: Objective) -> None:
    if not approvals_on(objective):
        raise ValidationError({"approval_status": _("This objective's cycle does not ask for approval.")})
    check_cycle_open(objective.cycle)


# The approval status each step leaves.
_AFTER: dict[str, str] = {
    ReviewAction.SUBMITTED: ApprovalStatus.IN_REVIEW,
    ReviewAction.REOPENED: ApprovalStatus.IN_REVIEW,
    ReviewAction.APPROVED: ApprovalStatus.APPROVED,
    ReviewAction.CHANGES_REQUESTED: ApprovalStatus.CHANGES_REQUESTED,
}


def _move(
    objective: Objective, *, actor: User | None, action: str, verb: str, comment: str = "", reason: str = ""
) -> ObjectiveReview:
    """Write the new status, the review row (with the coach's frozen verdict for a submission
    or a return to review) and the activity entry."""
    before = objective.approval_status
    objective.approval_status = _AFTER[action]
    objective.save(update_fields=["approval_status", "updated_at"])
    score: int | None = None
    findings: list[dict[str, Any]] = []
    if action in (ReviewAction.SUBMITTED, ReviewAction.REOPENED):
        score, findings = submission_snapshot(objective)
    review = ObjectiveReview.objects.create(
        organization_id=objective.organization_id,
        objective=objective,
        actor=actor,
        action=action,
        comment=comment,
        reason=reason,
        coach_score=score,
        coach_findings=findings,
    )
    after: dict[str, Any] = {"approval_status": objective.approval_status}
    after.update({k: v for k, v in (("comment", comment), ("reason", reason), ("coach_score", score)) if v})
    activity_record(
        org=objective.organization,
        actor=actor,
        verb=verb,
        target=objective,
        before={"approval_status": before},
        after=after,
    )
    if objective.approval_status == ApprovalStatus.IN_REVIEW:
        _announce(objective)
    return review


def _announce(objective: Objective) -> None:
    """Post "waits for review" to the channels carrying ``approval_requested``; a team-only or
    private objective only to channels an admin marked safe for restricted events."""
    org = objective.organization
    channels = [
        c
        for c in Channel.objects.filter(organization=org, active=True).order_by("pk")
        if ChannelEvent.APPROVAL_REQUESTED in (c.events or [])
    ]
    if objective.visibility != Visibility.ORGANIZATION:
        channels = [c for c in channels if c.restricted_safe]
    if not channels:
        return
    url = reverse("objectives:detail", kwargs={"slug": org.slug, "objective_id": objective.pk})
    with translation.override(org.language):
        text = _("“%(title)s” waits for review.") % {"title": objective.title}
    event = ChannelEvent.APPROVAL_REQUESTED
    outbox.outbox_add(outbox.post_rows(org=org, channels=channels, event=event, text=text, url=url))


def _refuse_own(objective: Objective, actor: User) -> None:
    membership = Membership.objects.filter(organization_id=objective.organization_id, user=actor).first()
    if membership is None:
        raise ValidationError({"objective": _("Only a member of the organisation reviews its objectives.")})
    if membership.role != Role.ADMIN and is_own(membership, objective):
        raise ValidationError({"objective": _("You cannot review your own objective; its reviewer does.")})


@transaction.atomic
def objective_submit(*, objective: Objective, actor: User, comment: str = "") -> Objective:
    """Submit a draft (or an objective whose reviewer asked for changes) for review, with
    its key results; the coach's score and findings are frozen with the submission."""
    objective = _locked(objective)
    _check_open_review(objective)
    if objective.approval_status == ApprovalStatus.IN_REVIEW:
        raise ValidationError({"approval_status": _("This objective is already waiting for review.")})
    if objective.approval_status == ApprovalStatus.APPROVED:
        raise ValidationError({"approval_status": _("This objective is already approved.")})
    count = KeyResult.objects.filter(organization_id=objective.organization_id, objective=objective).count()
    if count < MIN_KEY_RESULTS_TO_ACTIVATE:
        message = _("Add at least %(min)d key results before submitting it for review; it has %(count)d.")
        raise ValidationError({"approval_status": message % {"min": MIN_KEY_RESULTS_TO_ACTIVATE, "count": count}})
    _move(objective, actor=actor, action=ReviewAction.SUBMITTED, verb="objective.submitted", comment=comment.strip())
    return objective


def _check_in_review(objective: Objective, actor: User) -> None:
    _check_open_review(objective)
    if objective.approval_status != ApprovalStatus.IN_REVIEW:
        raise ValidationError({"approval_status": _("Only an objective waiting for review can be reviewed.")})
    _refuse_own(objective, actor)


@transaction.atomic
def objective_approve(*, objective: Objective, actor: User, comment: str = "") -> Objective:
    """Approve an objective in review (its owner cannot, unless an admin); it may then be activated."""
    objective = _locked(objective)
    _check_in_review(objective, actor)
    review = _move(
        objective, actor=actor, action=ReviewAction.APPROVED, verb="objective.approved", comment=comment.strip()
    )
    notify_decision_after_commit(review)  # the owner hears of it once this commits
    return objective


@transaction.atomic
def objective_request_changes(*, objective: Objective, actor: User, comment: str) -> Objective:
    """Send an objective in review back to its owner with a comment saying what should change."""
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": _("Say what should change.")})
    objective = _locked(objective)
    _check_in_review(objective, actor)
    action, verb = ReviewAction.CHANGES_REQUESTED, "objective.changes_requested"
    review = _move(objective, actor=actor, action=action, verb=verb, comment=comment)
    notify_decision_after_commit(review)  # the owner hears of it, with the comment, once this commits
    return objective


def check_may_activate(objective: Objective) -> None:
    """In a cycle that asks for approval, only an approved objective becomes active."""
    if approvals_on(objective) and objective.approval_status != ApprovalStatus.APPROVED:
        message = _("This cycle asks for approval: the objective can be activated once it is approved (now: %(s)s).")
        raise ValidationError({"status": message % {"s": ApprovalStatus(objective.approval_status).label.lower()}})


def reopen_after_material_edit(*, objective: Objective, actor: User | None, reason: str | None, change: str) -> None:
    """After approval, a change of target, baseline, weight or key-result set (``change`` names
    it) sends the objective back to review, and needs a reason; nothing else changes its
    approval. Call inside the editing service's transaction, after the edit is written: a
    refusal rolls the edit back."""
    objective = Objective.objects.select_related("cycle", "organization").get(pk=objective.pk)
    if not approvals_on(objective) or objective.approval_status != ApprovalStatus.APPROVED:
        return
    reason = (reason or "").strip()
    if not reason:
        message = _("This objective is approved: this change (%(change)s) sends it back to review, so give a reason.")
        raise ValidationError({"reason": message % {"change": change}})
    _move(objective, actor=actor, action=ReviewAction.REOPENED, verb="objective.reopened_for_review", reason=reason)
