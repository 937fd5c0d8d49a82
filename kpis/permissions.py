"""Who may change a KPI and record its values: the one owner rule of
``orgs.permissions.can_edit_owned`` (admins; managers of the owning team or of a
team above it, and of the owner's teams; the owner person; never viewers)."""

from __future__ import annotations

from kpis.models import Kpi
from orgs import permissions
from orgs.models import Membership


def can_record(m: Membership, kpi: Kpi) -> bool:
    """Editing a KPI and recording (or correcting) its values follow the same rule."""
    return permissions.can_edit_owned(
        m, owner_type=kpi.owner_type, owner_team_id=kpi.owner_team_id, owner_user_id=kpi.owner_user_id
    )
