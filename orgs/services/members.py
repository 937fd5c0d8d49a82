"""Memberships (add, role, teams, remove), the profile and API tokens."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from orgs.audit import audit
from orgs.models import Membership, Organization, Role, Team, TeamMember, User
from orgs.services._helpers import _clean_email, _clean_role
from orgs.versions import bump_data_version


def _ensure_another_admin(org: Organization, membership: Membership) -> None:
    if (
        membership.role == Role.ADMIN
        and not Membership.objects.filter(organization=org, role=Role.ADMIN).exclude(pk=membership.pk).exists()
    ):
        raise ValidationError({"role": _("An organisation needs at least one admin.")})


@transaction.atomic
def member_add(
    *,
    org: Organization,
    actor: User | None,
    email: str,
    role: str,
    name: str = "",
    password: str | None = None,
    teams: Iterable[Team] = (),
    existing_account_ok: bool = False,
) -> Membership:
    """Add a person to the organisation with a role and optional teams; the
    first team becomes their primary team.

    A new e-mail address gets a new account. Someone who already has an
    account joins another organisation only with their consent (accepting an
    invitation) or by an operator's hand (``manage.py add_member``): only
    those callers pass ``existing_account_ok``; anyone else is refused, so an
    organisation's admin cannot enrol a stranger (and then read the name they
    gave another organisation). Use ``account_exists`` and invite instead."""
    email = _clean_email(email)
    role = _clean_role(role)
    teams = list(teams)
    for team in teams:
        if team.organization_id != org.pk:
            raise ValidationError({"teams": _("Unknown team.")})
    user = User.objects.filter(email__iexact=email).first()
    if user is not None and Membership.objects.filter(organization=org, user=user).exists():
        raise ValidationError({"email": _("%(email)s is already a member.") % {"email": email}})
    if user is not None and not existing_account_ok:
        raise ValidationError({"email": _("This address already has an account; it joins by accepting an invitation.")})
    if user is None:
        if password:
            try:
                validate_password(password, User(email=email, name=name))
            except ValidationError as exc:
                raise ValidationError({"password": exc.messages}) from None
        user = User.objects.create_user(email, password or None, name=name.strip())
    elif name and not user.name:
        user_update(user=user, name=name)  # shown in the organisations they already belong to
    membership = Membership.objects.create(
        organization=org, user=user, role=role, primary_team=teams[0] if teams else None
    )
    for team in teams:
        TeamMember.objects.get_or_create(organization=org, team=team, user=user)
    audit(
        org=org,
        actor=actor,
        verb="member.added",
        target=membership,
        target_type="orgs.membership",
        after={"email": email, "role": role, "teams": [t.pk for t in teams]},
    )
    return membership


def api_tokens_revoke(*, user: User) -> int:
    """Delete the user's API tokens, after their password changed or was reset: a
    token taken with the old password must not outlive it (sessions do not either).
    Returns how many were deleted."""
    deleted, _rows = Token.objects.filter(user=user).delete()
    return deleted


def account_exists(*, email: str) -> bool:
    """Whether an account uses this address (then it joins by invitation only)."""
    return User.objects.filter(email__iexact=(email or "").strip()).exists()


@transaction.atomic
def member_set_role(*, membership: Membership, actor: User, role: str) -> Membership:
    role = _clean_role(role)
    # Lock the organisation's admin rows so two demotions cannot race past the last-admin check.
    list(Membership.objects.select_for_update().filter(organization_id=membership.organization_id, role=Role.ADMIN))
    before = membership.role
    if before == role:
        return membership
    if before == Role.ADMIN:
        _ensure_another_admin(membership.organization, membership)
    membership.role = role
    membership.save(update_fields=["role"])
    audit(
        org=membership.organization,
        actor=actor,
        verb="member.role_changed",
        target=membership,
        before={"role": before},
        after={"role": role},
    )
    return membership


# A person's fields that the organisations' pages and cached documents show (owners' names on
# the cascade, the dashboard and the scorecards); the language only changes their own pages.
USER_SHOWN_FIELDS = frozenset({"name"})


@transaction.atomic
def user_update(*, user: User, name: str | None = None, language: str | None = None) -> list[str]:
    """Change a person's own fields (their profile); ``None`` leaves a field as it is. Returns
    the fields that changed.

    A person shows in every organisation they belong to, and the executive documents are
    cached under each organisation's data version (``orgs.versions``): a change to a field
    they show bumps the version of every organisation of the person, after the commit, so
    the next dashboard or cascade shows the new name. Compared with the stored row, not with
    ``user`` (a ModelForm has already copied the new values onto it)."""
    stored: dict[str, Any] = dict(User.objects.select_for_update().filter(pk=user.pk).values("name", "language").get())
    changes: dict[str, str] = {}
    for field, value in (("name", name.strip() if name is not None else None), ("language", language)):
        if value is None:
            continue
        try:
            User._meta.get_field(field).clean(value, user)  # type: ignore[union-attr]  # a concrete column
        except ValidationError as exc:
            raise ValidationError({field: exc.messages}) from None
        if value != stored[field]:
            changes[field] = value
    for field, value in changes.items():
        setattr(user, field, value)
    if changes:
        user.save(update_fields=list(changes))
    if USER_SHOWN_FIELDS.intersection(changes):
        for org_id in Membership.objects.filter(user=user).values_list("organization_id", flat=True):
            bump_data_version(org_id)
    return list(changes)


@transaction.atomic
def member_update(
    *,
    membership: Membership,
    actor: User,
    name: str | None = None,
    teams: Iterable[Team] | None = None,
    primary_team: Team | None = None,
) -> Membership:
    org = membership.organization
    user = membership.user
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    if name is not None and name.strip() != user.name:
        # A person's name is theirs across organisations: one organisation may
        # only set it for someone who belongs to it alone (e.g. fixing an invitation typo).
        if Membership.objects.filter(user=user).exclude(organization=org).exists():
            raise ValidationError(
                {"name": _("This person also belongs to other organisations; they change their name in their profile.")}
            )
        before["name"], after["name"] = user.name, name.strip()
        user_update(user=user, name=name)
    if teams is not None:
        teams = list(teams)
        for team in teams:
            if team.organization_id != org.pk:
                raise ValidationError({"teams": _("Unknown team.")})
        current = set(TeamMember.objects.filter(organization=org, user=user).values_list("team_id", flat=True))
        wanted = {t.pk for t in teams}
        TeamMember.objects.filter(organization=org, user=user, team_id__in=current - wanted).delete()
        TeamMember.objects.bulk_create(
            [TeamMember(organization=org, team_id=tid, user=user) for tid in wanted - current]
        )
        if membership.primary_team_id not in wanted:
            membership.primary_team = teams[0] if teams else None
            membership.save(update_fields=["primary_team"])
        before["teams"], after["teams"] = sorted(current), sorted(wanted)
    if primary_team is not None:
        if primary_team.organization_id != org.pk:
            raise ValidationError({"primary_team": _("Unknown team.")})
        TeamMember.objects.get_or_create(organization=org, team=primary_team, user=user)
        membership.primary_team = primary_team
        membership.save(update_fields=["primary_team"])
        after["primary_team"] = primary_team.pk
    if after:
        audit(org=org, actor=actor, verb="member.updated", target=membership, before=before, after=after)
    return membership


@transaction.atomic
def member_remove(*, membership: Membership, actor: User) -> None:
    org = membership.organization
    list(Membership.objects.select_for_update().filter(organization=org, role=Role.ADMIN))
    _ensure_another_admin(org, membership)
    TeamMember.objects.filter(organization=org, user_id=membership.user_id).delete()
    audit(
        org=org,
        actor=actor,
        verb="member.removed",
        target=membership,
        before={"email": membership.user.email, "role": membership.role},
    )
    membership.delete()
