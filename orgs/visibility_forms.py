"""The "who can see it" fields of the objective and KPI forms (DESIGN §3): a visibility and
the people named as viewers. Added to a form after it is built, so every form that offers
them shows the same two fields; the services check the rules (a child never wider than its
parent, viewers of the organisation only) and their messages land on these fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from orgs.models import Membership, Organization
from orgs.tenancy import scoped
from orgs.visibility import Visibility

INHERIT = ""


def add_visibility_fields(form: forms.Form, org: Organization, *, current: Any = None, inherits: bool = False) -> None:
    """Append ``visibility`` and ``viewers`` to ``form``. ``current``: the objective or KPI
    edited (its setting and viewers are the initial values). ``inherits``: a new objective may
    leave the visibility empty to take its parent's."""
    choices: list[tuple[str, Any]] = list(Visibility.choices)
    if inherits and current is None:
        choices = [(INHERIT, _("As what it counts in (everyone if nothing)")), *choices]
    form.fields["visibility"] = forms.ChoiceField(
        label=_("Who can see it"),
        choices=choices,
        required=False,
        initial=current.visibility if current is not None else (INHERIT if inherits else Visibility.ORGANIZATION),
        help_text=_(
            "Team: the owner's team, its managers and admins. Private: the owner, their managers, admins and "
            "the people named below. Never wider than what it counts in."
        ),
    )
    people = [
        (m.user_id, m.user.display_name)
        for m in scoped(Membership, org).select_related("user").order_by("user__name", "user__email")
    ]
    form.fields["viewers"] = forms.TypedMultipleChoiceField(
        label=_("Also visible to"),
        choices=people,
        coerce=int,
        required=False,
        initial=[u.pk for u in current.viewers.all()] if current is not None and current.pk else [],
        help_text=_("People who may see it when it is private, besides its owner, their managers and admins."),
    )


def visibility_arguments(cleaned: dict[str, Any]) -> dict[str, Any]:
    """The services' ``visibility`` and ``viewers`` from the form's cleaned data (an empty
    visibility: inherited)."""
    return {"visibility": cleaned.get("visibility") or None, "viewers": list(cleaned.get("viewers") or [])}
