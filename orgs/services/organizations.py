"""Creating an organisation and changing its settings."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.utils.translation import gettext as _

from orgs.audit import audit
from orgs.models import Membership, Organization, Role, User
from orgs.services._helpers import RESERVED_SLUGS, _clean_email


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


# What an organisation's admin (or an operator in the admin site) may change, in the order the
# settings form shows it.
ORGANIZATION_SETTINGS = (
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
    "restricted_display",
)


@transaction.atomic
def organization_update(*, org: Organization, actor: User, **fields: object) -> Organization:
    unknown = set(fields).difference(ORGANIZATION_SETTINGS)
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
