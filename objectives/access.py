"""Access helpers for objectives, key results and initiatives (Zulip's ``access_stream_by_id``):
each fetches through the caller's organisation *and* authorises, for the pages and the API
alike, so every rule about who may touch an OKR is written once here.

- A missing id, another organisation's id and an objective hidden from the member
  (``orgs.visibility``) are the same ``Http404`` (the API answers 404).
- A refusal is ``PermissionDenied`` (a 403 page; the API's exception handler makes it a 403).
- The rules are ``orgs.permissions``' (``Objective.editable_by``, ``can_check_in``): a member
  demoted to viewer who still owns objectives and key results may read them and do nothing
  else, since no viewer writes.

The API's check-in (``key_result_check_in_by_id``) applies ``permissions.can_check_in`` inside
its one-statement hot path; the pages ask ``access_key_result_for_check_in``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _

from objectives import approvals
from objectives.models import Initiative, KeyResult, Objective
from orgs import permissions
from orgs.models import Membership
from orgs.ownership import require_can_own
from orgs.tenancy import get_visible_or_404, visible


def access_objective(membership: Membership, objective_id: int) -> Objective:
    """The organisation's objective to read, when the member may see it (``orgs.visibility``);
    404 otherwise, hidden or missing alike."""
    return get_visible_or_404(Objective, membership, pk=objective_id)


def check_objective_edit(membership: Membership, objective: Objective) -> None:
    """PermissionDenied unless ``membership`` may change ``objective``: its fields, status, key
    results and initiatives, or delete it."""
    permissions.require(objective.editable_by(membership), _("You cannot change this objective."))


def access_objective_for_edit(membership: Membership, objective_id: int) -> Objective:
    """The objective to change: 404 when it is not the organisation's, 403 when not theirs to edit."""
    objective = access_objective(membership, objective_id)
    check_objective_edit(membership, objective)
    return objective


def check_objective_create(membership: Membership, owner: tuple[str, Any, Any]) -> None:
    """PermissionDenied unless ``membership`` may create an objective with this owner: members
    for themselves, managers for the teams they manage, admins for the company (viewers never)."""
    require_can_own(
        membership,
        owner,
        message=_("You can create objectives for yourself, and managers for the teams they manage."),
    )


def check_objective_owner_change(membership: Membership, objective: Objective, owner: tuple[str, Any, Any]) -> None:
    """PermissionDenied when the edit hands ``objective`` to an owner ``membership`` may not own
    for (the owner as ``owner_after_change`` or ``owner_from_ids`` gives it). Keeping the
    owner needs nothing more than the edit right."""
    owner_type, team, user = owner
    current = (objective.owner_type, objective.owner_team_id, objective.owner_user_id)
    if (owner_type, team and team.pk, user and user.pk) == current:
        return
    require_can_own(membership, owner, message=_("You cannot give this objective to that owner."))


def access_key_result(membership: Membership, key_result_id: int) -> KeyResult:
    """The organisation's key result to read, with its objective; 404 otherwise (its objective
    hidden from the member included)."""
    try:
        return visible(KeyResult, membership).select_related("objective").get(pk=key_result_id)
    except (KeyResult.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def access_key_result_for_edit(membership: Membership, key_result_id: int) -> KeyResult:
    """The key result to change or delete (``kr.objective`` loaded): editing a key result is
    editing its objective."""
    kr = access_key_result(membership, key_result_id)
    check_objective_edit(membership, kr.objective)
    return kr


def can_check_in(membership: Membership, kr: KeyResult, objective: Objective) -> bool:
    """The key result's owner checks in; so does anyone who may edit its objective; viewers never."""
    return permissions.can_check_in(
        membership, key_result_owner_id=kr.owner_id, objective_editable=objective.editable_by(membership)
    )


def check_key_result_check_in(membership: Membership, kr: KeyResult, objective: Objective) -> None:
    """PermissionDenied unless ``membership`` may check in on ``kr`` (of ``objective``)."""
    permissions.require(can_check_in(membership, kr, objective), _("Only the key result's owner can check in on it."))


def access_key_result_for_check_in(membership: Membership, key_result_id: int) -> KeyResult:
    """The key result to check in on (``kr.objective`` loaded): 404 when it is not the
    organisation's, 403 when the caller may not check in on it."""
    kr = access_key_result(membership, key_result_id)
    check_key_result_check_in(membership, kr, kr.objective)
    return kr


def check_initiative_edit(membership: Membership, initiative: Initiative, objective: Objective) -> None:
    """Whoever may edit the objective changes its initiatives; so does the initiative's owner
    (unless a viewer), who keeps their own work up to date."""
    allowed = objective.editable_by(membership) or (
        permissions.can_write(membership) and initiative.owner_id == membership.user_id
    )
    permissions.require(allowed, _("You cannot change this initiative."))


def access_initiative(membership: Membership, initiative_id: int) -> Initiative:
    """The organisation's initiative, with its objective; 404 otherwise (its objective hidden
    from the member included)."""
    try:
        return visible(Initiative, membership).select_related("objective").get(pk=initiative_id)
    except (Initiative.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def access_initiative_for_edit(membership: Membership, initiative_id: int) -> Initiative:
    """The initiative to change (``initiative.objective`` loaded): see ``check_initiative_edit``."""
    initiative = access_initiative(membership, initiative_id)
    check_initiative_edit(membership, initiative, initiative.objective)
    return initiative


def access_initiative_for_delete(membership: Membership, initiative_id: int) -> Initiative:
    """The initiative to delete (``initiative.objective`` loaded): whoever may edit its objective."""
    initiative = access_initiative(membership, initiative_id)
    check_objective_edit(membership, initiative.objective)
    return initiative


def check_objective_review(membership: Membership, objective: Objective) -> None:
    """Approving or asking for changes (``objectives.approvals``): one's own objective is a
    ``ValidationError`` (400, unless an admin), anyone but its reviewer a ``PermissionDenied``."""
    if not permissions.is_admin(membership) and approvals.is_own(membership, objective):
        raise ValidationError({"objective": _("You cannot review your own objective; its reviewer does.")})
    permissions.require(
        approvals.may_review(membership, objective),
        _("Only the owner's manager reviews this objective (an admin for a company objective)."),
    )
