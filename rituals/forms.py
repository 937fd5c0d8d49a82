"""The template page's key-result rows (the objective part is ``objectives.forms.ObjectiveForm``)."""

from __future__ import annotations

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
        return data


TemplateKeyResultFormSet = forms.formset_factory(TemplateKeyResultForm, extra=0, max_num=5, absolute_max=5)
