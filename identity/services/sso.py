"""Single sign-on per organisation (DESIGN §3, Identity): its provider's settings and the
login it vouches for.

A provider vouches for its own organisation only: the login it completes adds that
organisation, and no other, to the session's SSO organisations (``orgs.tenancy``)."""

from __future__ import annotations

import contextlib
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from core import secrets
from identity import oidc
from identity.models import OidcProvider, SsoIdentity
from identity.services.security import security_event
from orgs import services as org_services
from orgs.models import LoginRule, Membership, Organization, Role, User

ROLE_POWER = {Role.VIEWER: 0, Role.MEMBER: 1, Role.MANAGER: 2, Role.ADMIN: 3}


class SsoRefused(Exception):
    """A login the provider's answer does not allow; ``code`` names why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def password_allowed(*, user: User) -> bool:
    """False for a person whose every organisation allows single sign-on only (a password
    then opens nothing); a person in no organisation keeps their password."""
    rules = set(Membership.objects.filter(user=user).values_list("organization__login_rule", flat=True))
    return not rules or rules != {LoginRule.SSO_ONLY}


def provider_of(*, org: Organization) -> OidcProvider | None:
    return OidcProvider.objects.filter(organization=org).first()


def provider_for_email(*, email: str) -> OidcProvider | None:
    """The active provider that vouches for the e-mail's domain (a domain is claimed by one
    organisation at most)."""
    domain = email.rpartition("@")[2].strip().lower()
    if not domain:
        return None
    for provider in OidcProvider.objects.filter(active=True).select_related("organization"):
        if domain in provider.domains:
            return provider
    return None


def _clean_domains(domains: list[str], org: Organization) -> list[str]:
    cleaned = sorted({d.strip().lower().lstrip("@") for d in domains if d and d.strip()})
    for d in cleaned:
        if "." not in d or "/" in d or " " in d:
            raise ValidationError({"domains": _("%(domain)s is not an e-mail domain.") % {"domain": d}})
    others = OidcProvider.objects.exclude(organization=org)
    taken = sorted({d for p in others for d in p.domains} & set(cleaned))
    if taken:
        raise ValidationError(
            {
                "domains": _("Another organisation's single sign-on already claims %(domains)s.")
                % {"domains": ", ".join(taken)}
            }
        )
    return cleaned


def _clean_mapping(mapping: dict[str, Any]) -> dict[str, str]:
    if not isinstance(mapping, dict):
        raise ValidationError({"role_mapping": _("Give the mapping as group: role pairs.")})
    roles = set(Role.values)
    bad = sorted(str(r) for r in mapping.values() if r not in roles)
    if bad:
        raise ValidationError(
            {
                "role_mapping": _("Unknown role: %(roles)s. Use admin, manager, member or viewer.")
                % {"roles": ", ".join(bad)}
            }
        )
    return {str(g).strip(): str(r) for g, r in mapping.items() if str(g).strip()}


def _check_issuer(issuer: str) -> str:
    issuer = (issuer or "").strip().rstrip("/")
    try:
        oidc.discover(issuer, fresh=True)
    except oidc.OidcError as exc:
        if exc.code == "insecure_issuer":
            raise ValidationError({"issuer": _("The issuer must be an https address.")}) from None
        raise ValidationError(
            {
                "issuer": _("The provider's discovery document could not be read or is invalid (%(why)s).")
                % {"why": exc.code}
            }
        ) from None
    return issuer


def provider_facts(provider: OidcProvider) -> dict[str, Any]:
    """What the activity log records of a provider (never its secret)."""
    return {
        "issuer": provider.issuer,
        "client_id": provider.client_id,
        "domains": provider.domains,
        "role_mapping": provider.role_mapping,
        "default_role": provider.default_role,
        "sso_only": provider.sso_only,
        "active": provider.active,
    }


@transaction.atomic
def sso_configure(
    *,
    org: Organization,
    actor: User,
    request: HttpRequest | None,
    issuer: str,
    client_id: str,
    client_secret: str | None,
    domains: list[str],
    role_mapping: dict[str, Any],
    default_role: str = Role.MEMBER,
    groups_claim: str = "groups",
    sso_only: bool = False,
    active: bool = True,
) -> OidcProvider:
    """Create or replace the organisation's provider; the issuer's discovery must answer.
    An empty ``client_secret`` keeps the stored one (it is never shown again); a new
    provider needs one. Sets the organisation's login rule in the same transaction."""
    existing = OidcProvider.objects.select_for_update().filter(organization=org).first()
    errors: dict[str, Any] = {}
    if not (client_id or "").strip():
        errors["client_id"] = _("Enter the client ID the provider gave you.")
    if existing is None and not client_secret:
        errors["client_secret"] = _("Enter the client secret the provider gave you.")
    if default_role not in Role.values:
        errors["default_role"] = _("Unknown role.")
    if errors:
        raise ValidationError(errors)
    domains = _clean_domains(domains, org)
    if not domains:
        raise ValidationError({"domains": _("Name at least one e-mail domain the provider vouches for.")})
    mapping = _clean_mapping(role_mapping)
    issuer = _check_issuer(issuer)
    provider = existing or OidcProvider(organization=org)
    before = provider_facts(existing) if existing else None
    provider.issuer, provider.client_id, provider.domains = issuer, client_id.strip(), domains
    provider.role_mapping, provider.default_role = mapping, default_role
    provider.groups_claim = (groups_claim or "groups").strip()
    provider.sso_only, provider.active = sso_only, active
    if client_secret:
        provider.client_secret_encrypted = secrets.encrypt(client_secret)
    provider.save()
    _set_login_rule(org, provider)
    after = provider_facts(provider)
    after["client_secret_changed"] = bool(client_secret)
    security_event(
        org=org, actor=actor, verb="sso_changed", request=request, target=provider, details={"before": before, **after}
    )
    return provider


def _set_login_rule(org: Organization, provider: OidcProvider | None) -> None:
    if provider is None or not provider.active:
        rule = LoginRule.PASSWORD
    else:
        rule = LoginRule.SSO_ONLY if provider.sso_only else LoginRule.SSO
    if org.login_rule != rule:
        org.login_rule = rule
        org.save(update_fields=["login_rule"])


@transaction.atomic
def sso_remove(*, org: Organization, actor: User, request: HttpRequest | None) -> bool:
    provider = OidcProvider.objects.select_for_update().filter(organization=org).first()
    if provider is None:
        return False
    before = provider_facts(provider)
    provider.delete()
    _set_login_rule(org, None)
    security_event(
        org=org,
        actor=actor,
        verb="sso_removed",
        request=request,
        target_type="identity.oidcprovider",
        details={"before": before},
    )
    return True


def client_secret(provider: OidcProvider) -> str:
    return secrets.decrypt(str(provider.client_secret_encrypted))


def mapped_role(provider: OidcProvider, claims: dict[str, Any]) -> str:
    """The most powerful role any of the person's groups maps to, else the default role."""
    groups = claims.get(provider.groups_claim) or []
    if isinstance(groups, str):
        groups = [groups]
    mapping: dict[str, str] = provider.role_mapping
    roles = [str(mapping[g]) for g in groups if isinstance(g, str) and g in mapping]
    if not roles:
        return provider.default_role
    return max(roles, key=lambda r: ROLE_POWER.get(Role(r), 0))


def _claimed_email(provider: OidcProvider, claims: dict[str, Any]) -> str:
    email = str(claims.get("email") or "").strip().lower()
    if not email or "@" not in email:
        raise SsoRefused("no_email")
    if claims.get("email_verified") is False:
        raise SsoRefused("email_unverified")
    if email.rpartition("@")[2] not in provider.domains:
        raise SsoRefused("domain_not_allowed")
    return email


@transaction.atomic
def sso_login_complete(*, provider: OidcProvider, claims: dict[str, Any]) -> Membership:
    """The member the verified claims name, in the provider's organisation only: found by the
    provider's subject, else by e-mail; created at the first login with the mapped role;
    their role and name follow the claims at every later login."""
    org = provider.organization
    email = _claimed_email(provider, claims)
    subject = str(claims["sub"])
    name = str(claims.get("name") or "").strip()[:150]
    role = mapped_role(provider, claims)
    link = (
        SsoIdentity.objects.filter(organization=org, issuer=provider.issuer, subject=subject)
        .select_related("user")
        .first()
    )
    user = link.user if link else User.objects.filter(email__iexact=email).first()
    membership = Membership.objects.filter(organization=org, user=user).first() if user else None
    if membership is None:
        membership = org_services.member_add(
            org=org, actor=None, email=email, role=role, name=name, existing_account_ok=True
        )
        user = membership.user
    else:
        # The last admin keeps the role: an organisation needs one.
        with contextlib.suppress(ValidationError):
            org_services.member_set_role(membership=membership, actor=membership.user, role=role)
    if user is None or not user.is_active:
        raise SsoRefused("inactive")
    if name and name != user.name:
        org_services.user_update(user=user, name=name)
    if link is None:
        SsoIdentity.objects.create(organization=org, user=user, issuer=provider.issuer, subject=subject)
    else:
        link.last_login_at = timezone.now()
        link.save(update_fields=["last_login_at"])
    return membership
