"""Validation of values that services receive from forms, the API, imports and
jobs, written once for every app. Each raises a ``ValidationError`` naming the
field, so pages and the API can show it next to the input."""

from __future__ import annotations

import math
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext as _

MAX_NUMBER = 1e15  # beyond any real target or measurement; keeps float sums exact enough
MAX_TEXT = 5000
MAX_TITLE = 200

# "Not given" in partial updates, where None is a real value (no owner, no parent).
UNSET: Any = object()


def clean_number(value: Any, field: str) -> float:
    """A finite number of at most ``MAX_NUMBER`` in size. ``True``/``False`` are not numbers."""
    if isinstance(value, bool):
        raise ValidationError({field: _("Enter a number.")})
    try:
        number = float(value.strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise ValidationError({field: _("Enter a number.")}) from None
    if not math.isfinite(number):
        raise ValidationError({field: _("Enter a finite number.")})
    if abs(number) > MAX_NUMBER:
        raise ValidationError({field: _("This number is too large.")})
    return number


def clean_optional_number(value: Any, field: str) -> float | None:
    """``clean_number``, where None or a blank string means "no value"."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return clean_number(value, field)


def clean_text(value: str | None, field: str, *, limit: int = MAX_TEXT) -> str:
    """Optional text, stripped, at most ``limit`` characters."""
    text = (value or "").strip()
    if len(text) > limit:
        raise ValidationError({field: _("Use at most %(n)d characters.") % {"n": limit}})
    return text


def clean_title(value: str | None, field: str = "title", *, required: str | None = None) -> str:
    """A required one-line title or name, stripped, at most ``MAX_TITLE`` characters."""
    title = (value or "").strip()
    if not title:
        raise ValidationError({field: required or _("A title is required.")})
    if len(title) > MAX_TITLE:
        raise ValidationError({field: _("Use at most 200 characters.")})
    return title


class StaleVersionError(ValidationError):
    """Someone saved the object after the caller read it: nothing was written. The
    API answers 409; a page shows the message above the form, keeping what was typed."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            {
                NON_FIELD_ERRORS: message
                or _(
                    "Someone else changed this while you were editing it, so nothing was saved. "
                    "Your changes are still in the form: save again to replace theirs, or reload the page to see them."
                )
            },
            code="stale",
        )


def check_version(obj: Any, expected: int | None) -> None:
    """Optimistic locking: ``expected`` is the ``version`` the caller read (None: not
    checked). Call it on the row read under ``select_for_update``, then bump the version."""
    if expected is not None and int(expected) != obj.version:
        raise StaleVersionError()
