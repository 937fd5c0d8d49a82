"""What OKRs and KPIs share: an owner at company, team or person level.

One place validates an owner and proposes a default one, for objectives and
KPIs alike (their models carry the same owner_type / owner_team / owner_user
triple and the same database check)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import OuterRef
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.ids import parse_id
from core.validation import UNSET
from orgs import permissions
from orgs.models import Membership, Organization, Team, User, person_label


class OwnerType(models.TextChoices):
    COMPANY = "company", gettext_lazy("Company")
    TEAM = "team", gettext_lazy("Team")
    PERSON = "person", gettext_lazy("Person")


def owner_name(
    owner_type: str,
    *,
    team_name: str | None = None,
    user_name: str | None = "",
    user_email: str | None = "",
    former_member: bool = False,
) -> str | None:
    """The one rule naming an owner, for the objective and KPI pages (``OwnedMixin.owner_label``),
    the cascade, the alignment page and the dashboard alike: a team by its name (None when it
    is unknown), a person by their name or, when they gave none, their e-mail
    (``orgs.models.person_label``), and None for the company, which a page shows as its
    translated "Company" (the cached documents hold no translated text). A person who is no
    longer a member of the organisation (single sign-on's directory removed them, say) still
    owns what they owned, named "<name> (former member)"."""
    if owner_type == OwnerType.TEAM:
        return team_name
    if owner_type == OwnerType.PERSON:
        label = person_label(user_name, user_email)
        return _("%(name)s (former member)") % {"name": label} if former_member else label
    return None


def owner_is_member() -> models.Exists:
    """An annotation for objectives and KPIs: whether the owning person (if any) is a member of
    the row's organisation. A subquery of the same query, not a query a row."""
    return models.Exists(
        Membership.objects.filter(organization_id=OuterRef("organization_id"), user_id=OuterRef("owner_user_id"))
    )


def owner_former_member() -> models.ExpressionWrapper:
    """An annotation for rows read as plain columns (``objectives.tree.ObjectiveRow.owner_former``):
    a person owns the row and is a member of its organisation no longer."""
    return models.ExpressionWrapper(
        models.Q(owner_user_id__isnull=False) & ~owner_is_member(), output_field=models.BooleanField()
    )


class OwnedMixin:
    """For models with owner_type / owner_team / owner_user (objectives, KPIs)."""

    owner_type: str
    owner_team: Team | None
    owner_user: User | None

    @property
    def owner_label(self) -> str:
        """The owner's name (``owner_name``), or "Company"."""
        team, user = self.owner_team, self.owner_user
        name = owner_name(
            self.owner_type,
            team_name=team.name if team else None,
            user_name=user.name if user else "",
            user_email=user.email if user else "",
            # Where the query annotated it (``owner_is_member``): no query here.
            former_member=not getattr(self, "owner_is_member", True),
        )
        return name or str(gettext_lazy("Company"))

    def editable_by(self, m: Membership) -> bool:
        """Who may change this objective or KPI (and record a KPI's values), for pages and API alike:
        the one owner rule of ``permissions.can_edit_owned``."""
        return permissions.can_edit_owned(
            m,
            owner_type=self.owner_type,
            owner_team_id=self.owner_team_id,  # type: ignore[attr-defined]
            owner_user_id=self.owner_user_id,  # type: ignore[attr-defined]
        )


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


def owner_after_change(
    current: OwnedMixin,
    *,
    owner_type: str | None = None,
    owner_team: Team | None = UNSET,
    owner_user: User | None = UNSET,
) -> tuple[str, Team | None, User | None]:
    """The owner after a partial change: what is given replaces, what is not given is kept
    only where the (new) level has it. So moving to company level clears both owners, to a
    team level keeps the team and drops the person; an explicit owner that does not fit the
    level is kept, for ``check_owner`` to refuse with a message naming the field."""
    level = owner_type or current.owner_type
    team = owner_team if owner_team is not UNSET else (current.owner_team if level == OwnerType.TEAM else None)
    user = owner_user if owner_user is not UNSET else (current.owner_user if level == OwnerType.PERSON else None)
    return level, team, user


def require_can_own(m: Membership, owner: tuple[str, Team | None, User | None], *, message: str) -> None:
    """PermissionDenied(message) unless ``m`` may create or move an object to this owner."""
    owner_type, team, user = owner
    permissions.require(
        permissions.can_create_owned(
            m, owner_type=owner_type, owner_team_id=team.pk if team else None, owner_user_id=user.pk if user else None
        ),
        message,
    )


def member_or_404(org: Organization, user_id: int | None) -> User | None:
    """The organisation's member with this user id (None for none); 404 for anyone else."""
    if user_id is None:
        return None
    m = Membership.objects.filter(organization=org, user_id=user_id).select_related("user").first()
    if m is None:
        raise Http404
    return m.user


def owner_from_ids(
    org: Organization, *, owner_type: str, owner_team: int | None, owner_user: int | None
) -> tuple[str, Team | None, User | None]:
    """The owner a form chose, by ids: the team or member of this organisation (404 otherwise),
    and only the one its level has."""
    team = None
    if owner_type == OwnerType.TEAM:
        team = Team.objects.filter(organization=org, pk=owner_team).first() if owner_team is not None else None
        if team is None:
            raise Http404
    user = member_or_404(org, owner_user) if owner_type == OwnerType.PERSON else None
    return owner_type, team, user


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
