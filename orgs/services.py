"""Every write to organisations, memberships, teams and invitations."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email, validate_slug
from django.db import transaction
from django.db.models import ProtectedError
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from core.mail import send_after_commit
from orgs.audit import audit
from orgs.models import Invitation, Membership, Organization, Role, Team, TeamMember, User
from orgs.versions import bump_data_version

RESERVED_SLUGS = frozenset({"new", "admin", "api", "static", "healthz", "accounts", "invitations"})


def _clean_email(email: str, field: str = "email") -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({field: _("Enter a valid e-mail address.")}) from None
    return email


def _clean_role(role: str) -> str:
    if role not in Role.values:
        raise ValidationError(
            {
                "role": _("Unknown role %(role)s; use one of: %(roles)s.")
                % {"role": role, "roles": ", ".join(Role.values)}
            }
        )
    return role


# --- organisations -----------------------------------------------------------


@transaction.atomic
def organization_create(
    *,
    slug: str,
    name: str,
    admin_email: str,
    admin_password: str | None = None,
    admin_name: str = "",
    timezone_name: str = "UTC",
    language: str = "en",
) -> Organization:
    """Create an organisation and its first admin (a new or an existing user).
    Validates everything before writing anything."""
    slug = (slug or "").strip().lower()
    try:
        validate_slug(slug)
    except ValidationError:
        raise ValidationError({"slug": _("Use letters, numbers, hyphens or underscores only.")}) from None
    if slug in RESERVED_SLUGS:
        raise ValidationError({"slug": _("The slug %(slug)s is reserved.") % {"slug": slug}})
    if not (name or "").strip():
        raise ValidationError({"name": _("A name is required.")})
    email = _clean_email(admin_email, "admin_email")
    # Checks that need the database come after the ones that do not.
    if Organization.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": _("The slug %(slug)s is already taken.") % {"slug": slug}})
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        if not admin_password:
            raise ValidationError({"admin_password": _("A password is required for a new user.")})
        try:
            validate_password(admin_password, User(email=email, name=admin_name))
        except ValidationError as exc:
            raise ValidationError({"admin_password": exc.messages}) from None
    org = Organization(slug=slug, name=name.strip(), timezone=timezone_name, language=language)
    org.full_clean()
    org.save()
    if user is None:
        user = User.objects.create_user(email, admin_password, name=admin_name)
    Membership.objects.create(organization=org, user=user, role=Role.ADMIN)
    audit(org=org, actor=user, verb="organization.created", target=org, after={"slug": slug})
    return org


# What an organisation's admin (or an operator in the admin site) may change.
ORGANIZATION_SETTINGS = frozenset(
    {
        "name",
        "timezone",
        "language",
        "fiscal_year_start_month",
        "children_contribute",
        "reminder_hour",
        "reminder_grace_days",
        "check_in_missed_days",
        "grade_note_required",
        "health_at_risk_ratio",
        "health_off_track_ratio",
        "health_at_risk_confidence",
        "health_off_track_confidence",
    }
)


@transaction.atomic
def organization_update(*, org: Organization, actor: User, **fields: object) -> Organization:
    unknown = set(fields) - ORGANIZATION_SETTINGS
    if unknown:
        raise ValidationError({f: _("This field cannot be changed.") for f in unknown})
    # The stored values, not ``org``'s: a ModelForm has already copied the new ones onto it.
    before = Organization.objects.select_for_update().filter(pk=org.pk).values(*fields).get() if fields else {}
    for f, v in fields.items():
        setattr(org, f, v)
    org.full_clean()
    org.save(update_fields=list(fields))
    audit(
        org=org,
        actor=actor,
        verb="organization.updated",
        target=org,
        before=before,
        after={f: getattr(org, f) for f in fields},
    )
    return org


# --- memberships ---------------------------------------------------------------


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
    stored = User.objects.select_for_update().filter(pk=user.pk).values("name", "language").get()
    changes: dict[str, str] = {}
    for field, value in (("name", name.strip() if name is not None else None), ("language", language)):
        if value is None:
            continue
        try:
            User._meta.get_field(field).clean(value, user)  # length, choices
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
    before: dict = {}
    after: dict = {}
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


# --- teams -------------------------------------------------------------------------


def _check_parent(org: Organization, team: Team | None, parent: Team | None) -> None:
    if parent is None:
        return
    if parent.organization_id != org.pk:
        raise ValidationError({"parent": _("Unknown team.")})
    if team is None or team.pk is None:
        return
    # Walk up from the new parent; meeting the team itself means a loop.
    parents = dict(Team.objects.filter(organization=org).values_list("id", "parent_id"))
    node: int | None = parent.pk
    for _step in range(len(parents) + 1):
        if node is None:
            return
        if node == team.pk:
            raise ValidationError({"parent": _("A team cannot be placed under itself or one of its sub-teams.")})
        node = parents.get(node)
    raise ValidationError({"parent": _("The team tree has a loop.")})


def _check_name(org: Organization, name: str, parent: Team | None, exclude: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("A name is required.")})
    if len(name) > 120:
        raise ValidationError({"name": _("Use at most 120 characters.")})
    clash = Team.objects.filter(organization=org, parent=parent, name__iexact=name)
    if exclude:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise ValidationError({"name": _("A team with this name already exists here.")})
    return name


def _members_of(org: Organization, users: Iterable[User], field: str) -> list[User]:
    users = list(users)
    ids = {u.pk for u in users}
    found = set(Membership.objects.filter(organization=org, user_id__in=ids).values_list("user_id", flat=True))
    if ids - found:
        raise ValidationError({field: _("Only members of the organisation can be placed in a team.")})
    return users


def _set_people(org: Organization, team: Team, managers: list[User] | None, members: list[User] | None) -> None:
    if managers is None and members is None:
        return
    current = {tm.user_id: tm for tm in TeamMember.objects.filter(team=team)}
    manager_ids = (
        {u.pk for u in managers} if managers is not None else {uid for uid, tm in current.items() if tm.is_manager}
    )
    member_ids = {u.pk for u in members} if members is not None else set(current)
    wanted = member_ids | manager_ids  # a manager is also a member of the team
    TeamMember.objects.filter(team=team).exclude(user_id__in=wanted).delete()
    for uid in wanted:
        tm = current.get(uid)
        if tm is None:
            TeamMember.objects.create(organization=org, team=team, user_id=uid, is_manager=uid in manager_ids)
        elif tm.is_manager != (uid in manager_ids):
            tm.is_manager = uid in manager_ids
            tm.save(update_fields=["is_manager"])
    Membership.objects.filter(organization=org, user_id__in=wanted, primary_team__isnull=True).update(primary_team=team)
    Membership.objects.filter(organization=org, primary_team=team).exclude(user_id__in=wanted).update(primary_team=None)


@transaction.atomic
def team_create(
    *,
    org: Organization,
    actor: User | None,
    name: str,
    parent: Team | None = None,
    managers: Iterable[User] = (),
    members: Iterable[User] = (),
) -> Team:
    _check_parent(org, None, parent)
    name = _check_name(org, name, parent)
    managers = _members_of(org, managers, "managers")
    members = _members_of(org, members, "members")
    team = Team.objects.create(organization=org, name=name, parent=parent)
    _set_people(org, team, managers, members)
    audit(
        org=org,
        actor=actor,
        verb="team.created",
        target=team,
        after={
            "name": name,
            "parent": parent.pk if parent else None,
            "managers": [u.pk for u in managers],
            "members": [u.pk for u in members],
        },
    )
    return team


_UNSET = object()


@transaction.atomic
def team_update(
    *,
    team: Team,
    actor: User,
    name: str | None = None,
    parent: Team | None | object = _UNSET,
    managers: Iterable[User] | None = None,
    members: Iterable[User] | None = None,
) -> Team:
    """Rename, move (no loops) and/or set the people of a team."""
    org = team.organization
    before = {"name": team.name, "parent": team.parent_id}
    new_parent = team.parent if parent is _UNSET else parent
    _check_parent(org, team, new_parent)  # type: ignore[arg-type]
    new_name = _check_name(org, team.name if name is None else name, new_parent, exclude=team.pk)  # type: ignore[arg-type]
    team.name, team.parent = new_name, new_parent  # type: ignore[assignment]
    team.save(update_fields=["name", "parent"])
    mgr = _members_of(org, managers, "managers") if managers is not None else None
    mem = _members_of(org, members, "members") if members is not None else None
    _set_people(org, team, mgr, mem)
    after = {"name": team.name, "parent": team.parent_id}
    if mgr is not None:
        after["managers"] = [u.pk for u in mgr]
    if mem is not None:
        after["members"] = [u.pk for u in mem]
    audit(org=org, actor=actor, verb="team.updated", target=team, before=before, after=after)
    return team


@transaction.atomic
def team_delete(*, team: Team, actor: User) -> None:
    """Delete a team; its sub-teams move up to its parent, its people stay in the organisation."""
    org = team.organization
    for child in Team.objects.filter(organization=org, parent=team):
        if Team.objects.filter(organization=org, parent=team.parent, name__iexact=child.name).exists():
            raise ValidationError(
                {
                    "name": _("Moving sub-team %(name)s up would clash with a team of the same name; rename it first.")
                    % {"name": child.name}
                }
            )
    Team.objects.filter(organization=org, parent=team).update(parent=team.parent)
    audit(
        org=org,
        actor=actor,
        verb="team.deleted",
        target=team,
        before={"name": team.name, "parent": team.parent_id},
    )
    try:
        with transaction.atomic():
            team.delete()
    except ProtectedError:
        raise ValidationError(
            {
                "team": _(
                    "This team still owns objectives or KPIs; give them to another owner (or delete them) "
                    "before deleting the team."
                )
            }
        ) from None


# --- invitations ---------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def invitation_create(
    *,
    org: Organization,
    actor: User,
    email: str,
    role: str,
    name: str = "",
    team: Team | None = None,
    base_url: str,
) -> tuple[Invitation, str]:
    """Create an invitation and e-mail its link. Returns (invitation, link).
    An earlier pending invitation of the same address is revoked."""
    email = _clean_email(email)
    role = _clean_role(role)
    if team is not None and team.organization_id != org.pk:
        raise ValidationError({"team": _("Unknown team.")})
    if Membership.objects.filter(organization=org, user__email__iexact=email).exists():
        raise ValidationError({"email": _("%(email)s is already a member.") % {"email": email}})
    now = timezone.now()
    Invitation.objects.filter(organization=org, email=email, accepted_at=None, revoked_at=None).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organization=org,
        email=email,
        name=name.strip(),
        role=role,
        team=team,
        token_hash=_hash(token),
        invited_by=actor,
        expires_at=now + timedelta(days=settings.INVITATION_TTL_DAYS),
    )
    link = f"{base_url.rstrip('/')}/invitations/{token}/"
    audit(
        org=org,
        actor=actor,
        verb="invitation.created",
        target=invitation,
        after={"email": email, "role": role, "team": team.pk if team else None},
    )
    existing = User.objects.filter(email__iexact=email).first()
    lang = existing.language if existing and existing.language else org.language
    with translation.override(lang):
        context = {"org": org, "link": link, "inviter": actor, "invitation": invitation}
        subject = _("You are invited to %(org)s on okrkpi") % {"org": org.name}
        body = render_to_string("orgs/email/invitation.txt", context)
    send_after_commit(subject=subject, body=body, to=email)  # the name may hold a newline: one line
    return invitation, link


class InvitationError(Exception):
    """Why an invitation link cannot be used: ``code`` is invalid, used, expired or revoked."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def invitation_lookup(*, token: str) -> Invitation:
    invitation = Invitation.objects.select_related("organization", "team").filter(token_hash=_hash(token)).first()
    if invitation is None:
        raise InvitationError("invalid")
    if invitation.accepted_at is not None:
        raise InvitationError("used")
    if invitation.revoked_at is not None:
        raise InvitationError("revoked")
    if invitation.expires_at <= timezone.now():
        raise InvitationError("expired")
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, password: str | None, name: str = "", user: User | None = None) -> Membership:
    """Turn a valid invitation into a membership, once. A new person sets a
    password; a person who already has an account joins as themself.
    The invitation row is locked so two clicks cannot both use it."""
    invitation = invitation_lookup(token=token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise InvitationError("used")
    org = invitation.organization
    existing = User.objects.filter(email__iexact=invitation.email).first()
    if existing is not None:
        if user is None or user.pk != existing.pk:
            raise InvitationError("login_required")
        membership = Membership.objects.filter(organization=org, user=existing).first()
        if membership is None:
            membership = member_add(
                org=org,
                actor=invitation.invited_by,
                email=existing.email,
                role=invitation.role,
                teams=[invitation.team] if invitation.team else [],
                existing_account_ok=True,  # they accepted: consent
            )
    else:
        if not password:
            raise ValidationError({"password": _("Choose a password.")})
        membership = member_add(
            org=org,
            actor=invitation.invited_by,
            email=invitation.email,
            role=invitation.role,
            name=name or invitation.name,
            password=password,
            teams=[invitation.team] if invitation.team else [],
        )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    audit(org=org, actor=membership.user, verb="invitation.accepted", target=invitation)
    return membership


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: User) -> None:
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit(org=invitation.organization, actor=actor, verb="invitation.revoked", target=invitation)
