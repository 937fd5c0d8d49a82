"""What the organisation services share: e-mail and role cleaning, reserved slugs."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from orgs.models import Role

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
