"""Template context every page shares."""

from __future__ import annotations

from django.http import HttpRequest

from core.numbers import separators


def numbers(request: HttpRequest) -> dict[str, object]:
    """The active language's (decimal, thousands) separators, for scripts that read typed numbers."""
    return {"number_separators": separators()}
