"""Access helpers for KPIs (Zulip's ``access_stream_by_id``): each fetches through the
caller's organisation *and* authorises, for the pages and the API alike, so every rule
about who may touch a KPI is written once here.

- A missing id and another organisation's id are the same ``Http404`` (the API answers 404).
- A refusal is ``PermissionDenied`` (a 403 page; the API's exception handler makes it a 403).
- The rules themselves are ``orgs.permissions``' (``Kpi.editable_by``): a member demoted to
  viewer who still owns KPIs may read them and do nothing else, since no viewer writes.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _

from kpis import selectors
from kpis.models import Kpi
from orgs import permissions
from orgs.models import Membership
from orgs.ownership import require_can_own


def access_kpi(membership: Membership, kpi_id: int) -> Kpi:
    """The organisation's KPI to read, when the member may see it (``orgs.visibility``);
    404 otherwise, hidden or missing alike."""
    try:
        return selectors.kpi_detail(seen_by=membership, kpi_id=kpi_id)
    except (Kpi.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def check_kpi_edit(membership: Membership, kpi: Kpi) -> None:
    """PermissionDenied unless ``membership`` may change or delete ``kpi``'s definition."""
    permissions.require(
        kpi.editable_by(membership),
        _("Only admins, managers of the owning team and the owner can change this KPI."),
    )


def check_kpi_recording(membership: Membership, kpi: Kpi) -> None:
    """PermissionDenied unless ``membership`` may record, correct or delete ``kpi``'s values."""
    permissions.require(
        kpi.editable_by(membership),
        _("Only the KPI's owner, managers of its team and admins record its values."),
    )


def access_kpi_for_edit(membership: Membership, kpi_id: int) -> Kpi:
    """The KPI to edit or delete: 404 when it is not the organisation's, 403 when not theirs to edit."""
    kpi = access_kpi(membership, kpi_id)
    check_kpi_edit(membership, kpi)
    return kpi


def access_kpi_for_recording(membership: Membership, kpi_id: int) -> Kpi:
    """The KPI to record a value on: 404 when it is not the organisation's, 403 when not theirs to record."""
    kpi = access_kpi(membership, kpi_id)
    check_kpi_recording(membership, kpi)
    return kpi


def check_kpi_create(membership: Membership, owner: tuple[str, Any, Any]) -> None:
    """PermissionDenied unless ``membership`` may create a KPI with this owner: members for
    themselves, managers for the teams they manage, admins for the company (viewers never)."""
    require_can_own(
        membership,
        owner,
        message=_("You can create KPIs for yourself, managers for the teams they manage, admins for the company."),
    )


def check_kpi_owner_change(membership: Membership, kpi: Kpi, owner: tuple[str, Any, Any]) -> None:
    """PermissionDenied when the edit hands ``kpi`` to an owner ``membership`` may not own for
    (the owner as ``owner_after_change`` or ``owner_from_ids`` gives it). Keeping the owner
    needs nothing more than the edit right."""
    owner_type, team, user = owner
    if (owner_type, team and team.pk, user and user.pk) == (kpi.owner_type, kpi.owner_team_id, kpi.owner_user_id):
        return
    require_can_own(
        membership,
        owner,
        message=_("You can only hand a KPI to yourself, a team you manage or (admins) the company."),
    )
