from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kpis.models import Frequency
from scorecards.models import PERSPECTIVE_WEIGHT_FIELDS, Scorecard
from scorecards.selectors import PERSPECTIVE_LABELS

COMPANY = "company"


def weight_field(label: str, help_text: str = "") -> forms.FloatField:
    return forms.FloatField(
        label=label,
        min_value=0,
        max_value=1000,
        initial=1,
        help_text=help_text,
        error_messages={
            "required": _("Enter a weight (0 leaves it out of the score)."),
            "invalid": _("A weight is a number, such as 1 or 2.5."),
            "min_value": _("A weight cannot be negative."),
            "max_value": _("A weight is at most 1000."),
        },
        widget=forms.TextInput(attrs={"inputmode": "decimal", "data-weight": ""}),
    )


class ScorecardCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Company scorecard 2026")}),
    )
    owner = forms.ChoiceField(
        label=_("Whose scorecard"),
        help_text=_(
            "The company's, or a team's. A team's scorecard holds the KPIs of the team, its sub-teams and people."
        ),
    )
    frequency = forms.ChoiceField(
        label=_("Reporting period"),
        choices=Frequency.choices,
        initial=Frequency.MONTHLY,
        help_text=_("The periods of the trend and of the “as of” choice."),
    )
    from_library = forms.BooleanField(
        label=_("Start with every active KPI of this owner, placed in its own perspective"),
        required=False,
        initial=True,
    )

    def __init__(self, *args, owners: list[tuple[str, str]], **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = owners


class ScorecardSettingsForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    frequency = forms.ChoiceField(label=_("Reporting period"), choices=Frequency.choices)
    green_at = forms.FloatField(
        label=_("Green from (%)"),
        min_value=0,
        max_value=150,
        help_text=_("A score at or above this is green."),
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    amber_at = forms.FloatField(
        label=_("Amber from (%)"),
        min_value=0,
        max_value=150,
        help_text=_("A score at or above this is amber; below it, red."),
        widget=forms.NumberInput(attrs={"step": "any"}),
    )

    settled_at = forms.FloatField(
        label=_("Complete from (% of the weight measured)"),
        min_value=0,
        max_value=100,
        required=False,
        help_text=_(
            "A period counts once KPIs carrying this share of the weight have a value; a newer period "
            "with fewer is provisional, shown without a colour."
        ),
        widget=forms.NumberInput(attrs={"step": "any"}),
    )

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        for perspective, field in PERSPECTIVE_WEIGHT_FIELDS.items():
            self.fields[field] = weight_field(str(PERSPECTIVE_LABELS[perspective]))

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        green, amber = data.get("green_at"), data.get("amber_at")
        if green is not None and amber is not None and amber > green:
            self.add_error("amber_at", _("Amber must start at or below green."))
        return data

    @classmethod
    def initial_for(cls, scorecard: Scorecard) -> dict[str, object]:
        return {
            "name": scorecard.name,
            "frequency": scorecard.frequency,
            "green_at": round(scorecard.green_at * 100, 2),
            "amber_at": round(scorecard.amber_at * 100, 2),
            "settled_at": round(scorecard.settled_at * 100, 2),
            **{field: scorecard.perspective_weights[p] for p, field in PERSPECTIVE_WEIGHT_FIELDS.items()},
        }
