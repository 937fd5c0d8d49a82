"""The template page's key-result rows (the objective part is ``objectives.forms.ObjectiveForm``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import LocalizedNumberField
from objectives.forms import _ANY_UNIT
from objectives.models import KeyResultKind
from orgs.forms import people_choices
from orgs.models import Organization


class TemplateKeyResultForm(forms.Form):
    """One key-result row of the template page; a row left without a title is skipped."""

    title = forms.CharField(label=_("Key result"), max_length=200, required=False)
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int, required=False, empty_value=None)
    kind = forms.ChoiceField(label=_("Measured as"), choices=KeyResultKind.choices, initial=KeyResultKind.NUMBER)
    unit = forms.CharField(label=_("Unit"), max_length=24, required=False)
    start_value = LocalizedNumberField(label=_("Start"), required=False, units=_ANY_UNIT)
    target_value = LocalizedNumberField(label=_("Target"), required=False, units=_ANY_UNIT)
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=[("", _("— from start and target —")), ("increase", _("Increase")), ("decrease", _("Decrease"))],
        required=False,
    )

    def __init__(self, *args, org: Organization, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", _("— choose a person —")), *people_choices(org)]

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        if (data.get("title") or "").strip():
            if not data.get("owner"):
                self.add_error("owner", _("Choose who owns this key result."))
            if data.get("kind") != KeyResultKind.MILESTONE and data.get("target_value") is None:
                self.add_error("target_value", _("A target is required."))
            self._check_direction(data)
        return data

    def _check_direction(self, data: dict[str, Any]) -> None:
        """The direction chosen and the way from start to target agree (a milestone has none)."""
        start, target, direction = data.get("start_value"), data.get("target_value"), data.get("direction")
        if data.get("kind") == KeyResultKind.MILESTONE or start is None or target is None or not direction:
            return
        if direction == "increase" and target < start:
            self.add_error("target_value", _("To increase, the target is above the start."))
        elif direction == "decrease" and target > start:
            self.add_error("target_value", _("To decrease, the target is below the start."))


def direction_of(start: float | None, target: float | None) -> str:
    """The direction a template's key result goes, from its start and target."""
    return "decrease" if start is not None and target is not None and target < start else "increase"


class TemplateKeyResultRows(forms.BaseFormSet):  # type: ignore[type-arg]  # rows of plain forms
    """An objective holds 2 to 5 key results: the rows with a title count."""

    def clean(self) -> None:
        super().clean()
        if any(form.errors for form in self.forms):
            return
        titled = [f for f in self.forms if (f.cleaned_data.get("title") or "").strip()]
        if len(titled) < MIN_KEY_RESULTS:
            raise forms.ValidationError(
                _("An objective needs 2 to 5 key results: give at least two rows a title."), code="too_few"
            )


MIN_KEY_RESULTS = 2
TemplateKeyResultFormSet = forms.formset_factory(
    TemplateKeyResultForm, formset=TemplateKeyResultRows, extra=0, max_num=5, absolute_max=5
)
