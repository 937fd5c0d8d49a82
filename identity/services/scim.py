"""SCIM 2.0 provisioning's writes (RFC 7643/7644): the organisation's bearer tokens, and the
people its directory creates, changes, deactivates and deletes.

Deactivating or deleting a person removes their membership in the same transaction: the
tenancy check of their very next request (session or API token) finds none and answers 404.
When they belong to no organisation any more, their sessions and API token are ended too.
What they own stays (objectives, KPIs, check-ins), as a former member's."""

from __future__ import annotations

import hashlib
import secrets as token_secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from identity.models import OidcProvider, ScimToken, ScimUser
from identity.services.security import security_event
from identity.services.sessions import sessions_end_all
from orgs import services as org_services
from orgs.models import Membership, Organization, Role, User

TOKEN_PREFIX = "scim_"  # noqa: S105 — the visible start of every SCIM token, not a secret


class ScimError(Exception):
    """An RFC 7644 error: ``status`` and ``scim_type`` (``uniqueness``, ``mutability``,
    ``invalidValue``, ``invalidSyntax``, ``invalidFilter``, ``noTarget``…)."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def scim_token_create(
    *, org: Organization, actor: User, name: str, request: HttpRequest | None
) -> tuple[ScimToken, str]:
    """A new token; its clear value is returned once and only its SHA-256 is kept."""
    name = (name or "").strip()[:100]
    if not name:
        raise ValidationError({"name": "Name the token (the directory that will use it)."})
    key = TOKEN_PREFIX + token_secrets.token_urlsafe(32)
    token = ScimToken.objects.create(
        organization=org, name=name, key_hash=_digest(key), prefix=key[:12], created_by=actor
    )
    security_event(org=org, actor=actor, verb="scim_token_created", request=request, target=token)
    return token, key


@transaction.atomic
def scim_token_revoke(*, token: ScimToken, actor: User, request: HttpRequest | None) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        security_event(org=token.organization, actor=actor, verb="scim_token_revoked", request=request, target=token)


def scim_token_check(*, key: str, org_slug: str) -> ScimToken | None:
    """The live token of this organisation that ``key`` is, else None (another organisation's
    token is None too: it opens nothing here)."""
    if not key.startswith(TOKEN_PREFIX):
        return None
    token = (
        ScimToken.objects.select_related("organization", "created_by")
        .filter(key_hash=_digest(key), revoked_at__isnull=True, organization__slug=org_slug)
        .first()
    )
    if token is not None:
        ScimToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token


def _default_role(org: Organization) -> str:
    provider = OidcProvider.objects.filter(organization=org).first()
    return provider.default_role if provider else Role.MEMBER


def _domain_is_ours(org: Organization, email: str) -> bool:
    provider = OidcProvider.objects.filter(organization=org).first()
    return provider is not None and email.rpartition("@")[2].lower() in provider.domains


@transaction.atomic
def scim_user_create(
    *, org: Organization, token: ScimToken, email: str, name: str, external_id: str, active: bool
) -> ScimUser:
    """A member provisioned by the directory. An address that already has an account joins
    only when the organisation's single sign-on vouches for its domain (otherwise a directory
    could enrol a stranger): elsewhere a 409, and the person is invited instead."""
    email = email.strip().lower()
    if not email or "@" not in email:
        raise ScimError(400, "userName must be an e-mail address.", "invalidValue")
    if (
        ScimUser.objects.filter(organization=org, user__email__iexact=email).exists()
        or Membership.objects.filter(organization=org, user__email__iexact=email).exists()
    ):
        raise ScimError(409, "A user with this userName already exists.", "uniqueness")
    existing = User.objects.filter(email__iexact=email).exists()
    if existing and not _domain_is_ours(org, email):
        raise ScimError(409, "This address has an account elsewhere: invite it instead.", "uniqueness")
    try:
        membership = org_services.member_add(
            org=org, actor=token.created_by, email=email, role=_default_role(org), name=name, existing_account_ok=True
        )
    except ValidationError as exc:
        raise ScimError(400, "; ".join(exc.messages), "invalidValue") from None
    row = ScimUser.objects.create(organization=org, user=membership.user, external_id=external_id[:255])
    security_event(org=org, actor=token.created_by, verb="scim_user_created", request=None, target=membership.user)
    if not active:
        scim_user_set_active(scim_user=row, token=token, active=False)
    return row


def _end_access(user: User) -> None:
    """Once a person belongs to no organisation, nothing of theirs may stay open."""
    if not Membership.objects.filter(user=user).exists():
        sessions_end_all(user=user)
        Token.objects.filter(user=user).delete()


@transaction.atomic
def scim_user_set_active(*, scim_user: ScimUser, token: ScimToken, active: bool) -> ScimUser:
    """Deactivate (the membership goes, at once) or reactivate (it comes back, default role)."""
    org, user = scim_user.organization, scim_user.user
    if active == scim_user.active:
        return scim_user
    membership = Membership.objects.filter(organization=org, user=user).select_related("user", "organization").first()
    if not active and membership is not None:
        try:
            org_services.member_remove(membership=membership, actor=token.created_by)  # type: ignore[arg-type]  # the audit takes no actor when the token's admin is gone
        except ValidationError as exc:
            raise ScimError(400, "; ".join(exc.messages), "invalidValue") from None
    if active and membership is None:
        Membership.objects.create(organization=org, user=user, role=_default_role(org))
    scim_user.active = active
    scim_user.updated_at = timezone.now()
    scim_user.save(update_fields=["active", "updated_at"])
    if not active:
        _end_access(user)
    verb = "scim_user_reactivated" if active else "scim_user_deactivated"
    security_event(org=org, actor=token.created_by, verb=verb, request=None, target=user)
    return scim_user


@transaction.atomic
def scim_user_update(*, scim_user: ScimUser, token: ScimToken, changes: dict[str, Any]) -> ScimUser:
    """Apply ``userName``, ``name`` (display), ``externalId`` and ``active`` changes."""
    user = scim_user.user
    if "userName" in changes:
        email = str(changes["userName"]).strip().lower()
        if "@" not in email:
            raise ScimError(400, "userName must be an e-mail address.", "invalidValue")
        if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
            raise ScimError(409, "A user with this userName already exists.", "uniqueness")
        if email != user.email:
            user.email = email
            user.save(update_fields=["email"])
    if "name" in changes and str(changes["name"]).strip() != user.name:
        org_services.user_update(user=user, name=str(changes["name"]).strip()[:150])
    if "externalId" in changes:
        scim_user.external_id = str(changes["externalId"] or "")[:255]
        scim_user.updated_at = timezone.now()
        scim_user.save(update_fields=["external_id", "updated_at"])
    if "active" in changes:
        scim_user_set_active(scim_user=scim_user, token=token, active=bool(changes["active"]))
    security_event(
        org=scim_user.organization,
        actor=token.created_by,
        verb="scim_user_updated",
        request=None,
        target=user,
        details={"fields": sorted(changes)},
    )
    return scim_user


@transaction.atomic
def scim_user_delete(*, scim_user: ScimUser, token: ScimToken) -> None:
    """Deprovision: the membership and the SCIM record go; the account and what it owns stay."""
    scim_user_set_active(scim_user=scim_user, token=token, active=False)
    security_event(
        org=scim_user.organization,
        actor=token.created_by,
        verb="scim_user_deleted",
        request=None,
        target=scim_user.user,
    )
    scim_user.delete()
