from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cycles.models import Cycle, CycleKind


class DateInput(forms.DateInput):
    input_type = "date"


class CycleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80, help_text=_("e.g. Q1 2027"))
    kind = forms.ChoiceField(label=_("Kind"), choices=CycleKind.choices, initial=CycleKind.QUARTER)
    start_date = forms.DateField(label=_("Start date"), widget=DateInput)
    end_date = forms.DateField(label=_("End date"), widget=DateInput)
    approvals_required = forms.BooleanField(
        label=_("Objectives need approval"),
        required=False,
        help_text=Cycle._meta.get_field("approvals_required").help_text,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start_date") and data.get("end_date") and data["end_date"] < data["start_date"]:
            self.add_error("end_date", _("The end date must be on or after the start date."))
        return data
