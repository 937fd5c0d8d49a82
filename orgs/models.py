"""Accounts, organisations (tenants), memberships, the team tree and invitations."""

from __future__ import annotations

import zoneinfo
from datetime import date

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The one roles enum. Ordering of power: admin > manager > member > viewer."""

    ADMIN = "admin", _("Admin")
    MANAGER = "manager", _("Manager")
    MEMBER = "member", _("Member")
    VIEWER = "viewer", _("Viewer")


class LoginRule(models.TextChoices):
    """How an organisation's members may log in to it."""

    PASSWORD = "password", _("Password")
    SSO = "sso", _("Single sign-on or password")
    SSO_ONLY = "sso_only", _("Single sign-on only")


def person_label(name: str | None, email: str | None) -> str:
    """A person as every page, document and export names them: their name, or their e-mail
    when they gave none (``User.display_name``; ``orgs.ownership.owner_name`` for owners read
    as plain columns)."""
    return name or email or ""


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Global across organisations; logs in by e-mail."""

    email = models.EmailField(_("e-mail"), unique=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Leave empty to use your organisation's language."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return person_label(self.name, self.email)

    @property
    def initials(self) -> str:
        parts = (self.name or self.email).replace("@", " ").split()
        return "".join(p[0] for p in parts[:2]).upper()


def validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value}) from None


class Organization(models.Model):
    """A tenant. Everything tenant-owned points here."""

    name = models.CharField(_("name"), max_length=150)
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC", validators=[validate_timezone])
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    fiscal_year_start_month = models.PositiveSmallIntegerField(
        _("fiscal year starts in month"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    children_contribute = models.BooleanField(
        _("aligned objectives count towards their parent"),
        default=True,
        help_text=_("When off, an objective's progress comes from its key results only."),
    )
    reminder_hour = models.PositiveSmallIntegerField(
        _("reminder hour (local time)"), default=9, validators=[MinValueValidator(0), MaxValueValidator(23)]
    )
    reminder_grace_days = models.PositiveSmallIntegerField(
        _("days before an overdue reminder escalates"), default=3, validators=[MaxValueValidator(60)]
    )
    check_in_missed_days = models.PositiveSmallIntegerField(
        _("days without a check-in before its owner is reminded"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_(
            "A key result not checked in for this many days reminds its owner; past the grace period "
            "above, their manager is told too (once per key result and week)."
        ),
    )
    data_version = models.PositiveBigIntegerField(
        default=0,
        editable=False,
        help_text="Bumped after every committed change to the organisation's OKRs, KPIs, teams or "
        "progress (orgs.versions); cached documents are keyed by it, so they are never stale.",
    )
    grade_note_required = models.BooleanField(
        _("a changed grade needs a note"),
        default=True,
        help_text=_("When closing a cycle, a key-result grade that differs from its progress must say why."),
    )
    rollup_dirty_since = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="Set when a rollup could not be queued (broker down); the repair sweep clears it.",
    )
    # Health thresholds (DESIGN §4), read by objectives.progress.HealthThresholds.of: columns of
    # the organisation, so every page has them with the organisation it already loaded.
    health_at_risk_ratio = models.FloatField(
        _("at risk below this share of the expected progress"),
        default=0.8,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("For example 0.8: at risk below eight tenths of the progress expected by today."),
    )
    health_off_track_ratio = models.FloatField(
        _("off track below this share of the expected progress"),
        default=0.5,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("For example 0.5: off track below half the progress expected by today."),
    )
    health_at_risk_confidence = models.PositiveSmallIntegerField(
        _("at risk at this confidence or lower"), default=6, validators=[MaxValueValidator(10)]
    )
    health_off_track_confidence = models.PositiveSmallIntegerField(
        _("off track at this confidence or lower"), default=3, validators=[MaxValueValidator(10)]
    )
    # How its members must have logged in to open it (DESIGN §3, Identity; checked by
    # ``orgs.tenancy.check_login_rule`` on every request): columns of the organisation, so the
    # check reads nothing the tenancy check has not already loaded. ``identity`` sets them.
    restricted_display = models.CharField(
        _("restricted objectives show"),
        max_length=16,
        choices=[("progress", _("A neutral row with its progress")), ("count", _("Only how many there are"))],
        default="progress",
        help_text=_("What people who may not see a restricted objective see in its place. Totals count it either way."),
    )
    login_rule = models.CharField(
        _("login"),
        max_length=16,
        choices=LoginRule.choices,
        default=LoginRule.PASSWORD,
        editable=False,
        help_text="Kept by identity.services from the organisation's single sign-on settings.",
    )
    require_two_factor = models.BooleanField(
        _("password logins need a two-factor code"),
        default=False,
        help_text=_("Members who log in with a password must also enter a code from their authenticator app."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="organization_health_thresholds_ordered",
                condition=models.Q(health_off_track_ratio__gte=0.0)
                & models.Q(health_off_track_ratio__lte=models.F("health_at_risk_ratio"))
                & models.Q(health_at_risk_ratio__lte=1.0)
                & models.Q(health_off_track_confidence__lte=models.F("health_at_risk_confidence"))
                & models.Q(health_at_risk_confidence__lte=10),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        ratios = (self.health_off_track_ratio, self.health_at_risk_ratio)
        if None not in ratios and ratios[0] > ratios[1]:
            errors["health_off_track_ratio"] = _("Off track must start below at risk: choose a smaller share.")
        confidences = (self.health_off_track_confidence, self.health_at_risk_confidence)
        if None not in confidences and confidences[0] > confidences[1]:
            errors["health_off_track_confidence"] = _("Off track must start below at risk: choose a lower confidence.")
        if errors:
            raise ValidationError(errors)

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        """The organisation's time zone (UTC if the stored name is unknown to this server)."""
        try:
            return zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("UTC")

    def today(self) -> date:
        """Today in the organisation's time zone: the one "today" of every page, job and API
        field (cycles, pace, KPI periods and reminders are the organisation's, not the server's)."""
        return timezone.localdate(timezone=self.tzinfo)


class TenantModel(models.Model):
    """Base of every tenant-owned row: a non-null organisation, always."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True


class Team(TenantModel):
    """A node of an organisation's team tree; the organisation itself is the root."""

    name = models.CharField(_("name"), max_length=120)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    people = models.ManyToManyField(settings.AUTH_USER_MODEL, through="TeamMember", related_name="teams")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]
        indexes = [models.Index(fields=["organization", "parent"])]

    def __str__(self) -> str:
        return self.name


class TeamMember(TenantModel):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships")
    is_manager = models.BooleanField(_("manager of this team"), default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="uniq_team_member")]
        indexes = [models.Index(fields=["organization", "user"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"


class Membership(TenantModel):
    """A user's access to an organisation, with one role."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    primary_team = models.ForeignKey(
        Team,
        verbose_name=_("primary team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["organization", "user"], name="uniq_membership")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization_id} ({self.role})"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class Invitation(TenantModel):
    """An e-mailed, single-use, expiring link that turns into a Membership.

    Only a hash of the token is stored: the link in the e-mail is the secret.
    """

    email = models.EmailField(_("e-mail"))
    name = models.CharField(_("name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    team = models.ForeignKey(Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "email"])]

    def __str__(self) -> str:
        return f"Invitation of {self.email}"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()
