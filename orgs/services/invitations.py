"""Invitations: create (and mail), look up, accept, revoke."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.mail import send_after_commit
from orgs.audit import audit
from orgs.models import Invitation, Membership, Organization, Team, User
from orgs.services._helpers import _clean_email, _clean_role
from orgs.services.members import member_add


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
