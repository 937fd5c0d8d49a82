"""Every write to organisations, memberships, teams and invitations, one module per topic;
``from orgs import services`` and ``services.<name>`` keep working through these re-exports."""

from orgs.services._helpers import RESERVED_SLUGS
from orgs.services.invitations import (
    InvitationError,
    invitation_accept,
    invitation_create,
    invitation_lookup,
    invitation_revoke,
)
from orgs.services.members import (
    USER_SHOWN_FIELDS,
    account_exists,
    api_tokens_revoke,
    member_add,
    member_remove,
    member_set_role,
    member_update,
    user_update,
)
from orgs.services.organizations import ORGANIZATION_SETTINGS, organization_create, organization_update
from orgs.services.teams import team_create, team_delete, team_update

__all__ = [
    "InvitationError",
    "ORGANIZATION_SETTINGS",
    "RESERVED_SLUGS",
    "USER_SHOWN_FIELDS",
    "account_exists",
    "api_tokens_revoke",
    "invitation_accept",
    "invitation_create",
    "invitation_lookup",
    "invitation_revoke",
    "member_add",
    "member_remove",
    "member_set_role",
    "member_update",
    "organization_create",
    "organization_update",
    "team_create",
    "team_delete",
    "team_update",
    "user_update",
]
