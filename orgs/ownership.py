"""What OKRs and KPIs share: an owner at company, team or person level.

One place validates an owner and proposes a default one, for objectives and
KPIs alike (their models carry the same owner_type / owner_team / owner_user
triple and the same database check)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from okrkpi.core.ids import parse_id
from orgs import permissions
from orgs.models import Membership, Organization, Team, User


class OwnerType(models.TextChoices):
    COMPANY = "company", gettext_lazy("Company")
    TEAM = "team", gettext_lazy("Team")
    PERSON = "person", gettext_lazy("Person")


class OwnedMixin:
    """For models with owner_type / owner_team / owner_user (objectives, KPIs)."""

    owner_type: str
    owner_team: Team | None
    owner_user: User | None

    @property
    def owner_label(self) -> str:
        if self.owner_type == OwnerType.TEAM and self.owner_team:
            return self.owner_team.name
        if self.owner_type == OwnerType.PERSON and self.owner_user:
            return self.owner_user.display_name
        return str(gettext_lazy("Company"))


def owner_matches_level(name: str) -> models.CheckConstraint:
    """The database check that the owner columns fit the owner level."""
    return models.CheckConstraint(
        name=name,
        condition=(
            models.Q(owner_type="company", owner_team__isnull=True, owner_user__isnull=True)
            | models.Q(owner_type="team", owner_team__isnull=False, owner_user__isnull=True)
            | models.Q(owner_type="person", owner_team__isnull=True, owner_user__isnull=False)
        ),
    )


def check_owner(*, org: Organization, owner_type: str, owner_team: Team | None, owner_user: User | None) -> None:
    """Raise a ValidationError naming the field unless the owner fits its level and the organisation."""
    if owner_type not in OwnerType.values:
        raise ValidationError({"owner_type": _("Choose company, team or person.")})
    if owner_type == OwnerType.COMPANY and (owner_team or owner_user):
        raise ValidationError({"owner_type": _("At company level there is no owner team or person.")})
    if owner_type == OwnerType.TEAM:
        if owner_team is None:
            raise ValidationError({"owner_team": _("Choose the owning team.")})
        if owner_team.organization_id != org.pk:
            raise ValidationError({"owner_team": _("Unknown team.")})
        if owner_user is not None:
            raise ValidationError({"owner_user": _("A team owns this, not a person.")})
    if owner_type == OwnerType.PERSON:
        if owner_user is None:
            raise ValidationError({"owner_user": _("Choose the owning person.")})
        if not Membership.objects.filter(organization=org, user=owner_user).exists():
            raise ValidationError({"owner_user": _("The owner must be a member of the organisation.")})
        if owner_team is not None:
            raise ValidationError({"owner_team": _("A person owns this, not a team.")})


def default_owner(request: HttpRequest) -> dict[str, Any]:
    """Initial owner fields for a new objective or KPI: what the URL asks for,
    else what the person may create — company (admins), their team (managers),
    themself (members)."""
    m: Membership = request.membership  # type: ignore[attr-defined]
    initial: dict[str, Any] = {"owner_team": parse_id(request.GET.get("team")) or m.primary_team_id}
    if request.GET.get("owner_type") in OwnerType.values:
        initial["owner_type"] = request.GET["owner_type"]
    elif permissions.is_admin(m):
        initial["owner_type"] = OwnerType.COMPANY
    elif permissions.managed_team_ids(m):
        initial["owner_type"] = OwnerType.TEAM
    else:
        initial["owner_type"] = OwnerType.PERSON
        initial["owner_user"] = request.user.pk
    return initial
