"""Identity: the sessions a person can see and end, each organisation's OpenID Connect
provider, the identities it vouched for, and SCIM provisioning's tokens and users.

Two-factor devices are django-otp's own models (``otp_totp``, ``otp_static``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orgs.models import Role, TenantModel


class UserSession(models.Model):
    """One logged-in browser of a person (not a tenant row: a session spans organisations).
    Its ``session_key`` is the key of Django's session; ending it deletes both."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=64, unique=True)
    user_agent = models.CharField(max_length=300, blank=True)
    address = models.GenericIPAddressField(null=True, blank=True)
    method = models.CharField(max_length=16, default="password")  # password or sso
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_seen_at", "-id"]
        indexes = [models.Index(fields=["user", "-last_seen_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.user_agent[:40]}"


class OidcProvider(TenantModel):
    """An organisation's OpenID Connect provider (at most one). The client secret is stored
    encrypted (``core.secrets``) and never shown again."""

    issuer = models.URLField(_("issuer"), max_length=300)
    client_id = models.CharField(_("client ID"), max_length=300)
    client_secret_encrypted = models.TextField(editable=False)
    domains = models.JSONField(_("e-mail domains"), default=list)
    role_mapping = models.JSONField(_("group to role mapping"), default=dict)
    default_role = models.CharField(_("role without a mapped group"), max_length=16, default=Role.MEMBER)
    groups_claim = models.CharField(_("groups claim"), max_length=64, default="groups")
    sso_only = models.BooleanField(_("single sign-on only"), default=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization"], name="identity_one_provider_per_org")]

    def __str__(self) -> str:
        return self.issuer


class SsoIdentity(TenantModel):
    """Who a provider's subject is in this organisation: later logins find the account by the
    subject, not by an e-mail the provider might reassign."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    issuer = models.CharField(max_length=300)
    subject = models.CharField(max_length=255)
    last_login_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "issuer", "subject"], name="identity_one_subject_per_org")
        ]

    def __str__(self) -> str:
        return self.subject


class ScimToken(TenantModel):
    """A bearer token for the organisation's SCIM endpoint, stored as its SHA-256 only."""

    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class ScimUser(TenantModel):
    """A person as the organisation's directory provisioned them: kept after deactivation (the
    membership goes; the directory still reads ``active: false``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(max_length=255, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "user"], name="identity_one_scim_user_per_org")]

    def __str__(self) -> str:
        return str(self.user_id)
