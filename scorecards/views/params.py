"""The as-of form the dashboard and the cascade pages share."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from scorecards.filters import AsOfForm


def as_of_params(request: HttpRequest) -> tuple[AsOfForm, dict[str, Any]]:
    """The page's ``cycle``/``as_of``/``since``; a bad value is shown on the form and ignored."""
    form = AsOfForm(request.GET or None, org=request.org)  # type: ignore[attr-defined]
    if form.is_bound:
        form.is_valid()
        return form, form.cleaned_data
    return form, {}
