from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.forms import DateInput, LocalizedNumberField, version_field
from core.numbers import unit_aliases
from kpis import periods
from kpis.models import Direction, Frequency, Kpi, Perspective, period_label
from orgs.forms import people_choices, team_choices
from orgs.models import Organization
from orgs.ownership import OwnerType

# Targets may be typed with a percent sign or a currency ("25%", "3 000 000 đ").
_ANY_UNIT = unit_aliases("", percent=True, currency=True)

VALUE_FROM = [
    ("manual", _("Typed by hand")),
    ("source", _("Pulled from a data source")),
    ("formula", _("Computed from other KPIs")),
]

PERIOD_CHOICES = 36  # how many past periods the inline form offers (older ones: CSV import)


class KpiForm(forms.Form):
    version = version_field()
    name = forms.CharField(
        label=_("KPI"),
        max_length=200,
        help_text=_("Specific: one thing, named so everyone reads it the same way."),
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Qualified leads per month")}),
    )
    description = forms.CharField(
        label=_("Why it matters"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Relevant: which decision does this number inform?"),
    )
    how_measured = forms.CharField(
        label=_("How it is measured"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Measurable: the source and the formula, so two people get the same number."),
    )
    owner_type = forms.ChoiceField(
        label=_("Owned by"), choices=OwnerType.choices, widget=forms.RadioSelect, initial=OwnerType.TEAM
    )
    owner_team = forms.TypedChoiceField(label=_("Team"), coerce=int, required=False, empty_value=None)
    owner_user = forms.TypedChoiceField(label=_("Person"), coerce=int, required=False, empty_value=None)
    perspective = forms.ChoiceField(
        label=_("Perspective"),
        choices=Perspective.choices,
        help_text=_("The balanced-scorecard perspective this KPI reports on."),
    )
    frequency = forms.ChoiceField(
        label=_("Reported"),
        choices=Frequency.choices,
        initial=Frequency.MONTHLY,
        help_text=_("Time-bound: how often a value is due."),
    )
    unit = forms.CharField(label=_("Unit"), max_length=24, required=False, help_text=_("e.g. leads, %, days, VND"))
    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices, initial=Direction.HIGHER_IS_BETTER)
    target = LocalizedNumberField(
        units=_ANY_UNIT, label=_("Target"), required=False, help_text=_("Achievable: green at or beyond this value.")
    )
    target_low = LocalizedNumberField(label=_("Lowest good value"), required=False, units=_ANY_UNIT)
    target_high = LocalizedNumberField(label=_("Highest good value"), required=False, units=_ANY_UNIT)
    amber_threshold = LocalizedNumberField(
        units=_ANY_UNIT,
        label=_("Amber threshold"),
        required=False,
        help_text=_(
            "Between this value and the target the KPI is amber, beyond it red. For a range: how far outside "
            "the range is still amber."
        ),
    )
    tracking_since = forms.DateField(
        label=_("Tracking since"),
        required=False,
        widget=DateInput,
        help_text=_("Values can be recorded for periods from this date on. Empty: the start of this fiscal year."),
    )
    value_from = forms.ChoiceField(
        label=_("Where does this number come from?"),
        choices=VALUE_FROM,
        initial="manual",
        widget=forms.RadioSelect,
        required=False,
    )
    source = forms.TypedChoiceField(
        label=_("Data source"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("Admins add sources under Settings → Data sources."),
    )
    source_query = forms.CharField(
        label=_("What to read"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "SQL returning one number, with %(start)s and %(end)s for the period's first and last day; "
            "or the CSV column; or a JSON path such as $.totals.revenue."
        ),
    )
    source_period_column = forms.CharField(
        label=_("Period column (CSV)"),
        required=False,
        max_length=120,
        help_text=_(
            "The sheet's column naming each row's period for this KPI (2026-10 or 2026-10-01); empty to use "
            "the source's. Checked against the sheet when saved."
        ),
    )
    formula = forms.CharField(
        label=_("Formula"),
        required=False,
        max_length=500,
        help_text=_(
            "Other KPIs of the same frequency by their number: kpi:12 / kpi:7 * 100. "
            "+ - * /, parentheses, min, max and abs."
        ),
    )
    active = forms.BooleanField(
        label=pgettext_lazy("KPI is tracked", "Active"),
        required=False,
        initial=True,
        help_text=_("Inactive KPIs are kept but no longer due."),
    )

    def __init__(self, *args, org: Organization, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["owner_team"].choices = [("", _("— choose a team —")), *team_choices(org)]
        self.fields["owner_user"].choices = [("", _("— choose a person —")), *people_choices(org)]
        sources = Kpi._meta.get_field("source").related_model.objects.filter(organization=org)  # the room above
        self.fields["source"].choices = [("", _("— choose a source —")), *((s.pk, s.name) for s in sources)]

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        kind = data.get("owner_type")
        if kind == OwnerType.TEAM and not data.get("owner_team"):
            self.add_error("owner_team", _("Choose the team that owns this KPI."))
        if kind == OwnerType.PERSON and not data.get("owner_user"):
            self.add_error("owner_user", _("Choose the person who owns this KPI."))
        direction = data.get("direction")
        if direction == Direction.WITHIN_RANGE:
            for name in ("target_low", "target_high"):
                if data.get(name) is None and name not in self.errors:
                    self.add_error(name, _("A range needs both its lowest and highest good values."))
        elif direction and data.get("target") is None and "target" not in self.errors:
            self.add_error("target", _("A target is required."))
        if data.get("value_from") == "source" and not data.get("source"):
            self.add_error("source", _("Choose the data source."))
        if data.get("value_from") == "formula" and not (data.get("formula") or "").strip():
            self.add_error("formula", _("Write the formula."))
        return data

    def origin_fields(self) -> dict[str, Any]:
        """``source``, ``source_query`` and ``formula`` for the KPI services, from the choice made."""
        data = self.cleaned_data
        chosen = data.get("value_from") or "manual"
        source = None
        if chosen == "source" and data.get("source"):
            model = Kpi._meta.get_field("source").related_model
            source = model.objects.filter(pk=data["source"]).first()
        return {
            "source": source,
            "source_query": data.get("source_query", "") if chosen == "source" else "",
            "source_period_column": data.get("source_period_column", "") if chosen == "source" else "",
            "formula": data.get("formula", "") if chosen == "formula" else "",
        }


def period_choices(kpi: Kpi, *, fiscal_year_start_month: int, today: date) -> list[tuple[str, str]]:
    """The current and past periods a value can be recorded for, newest first."""
    starts = periods.last_periods(
        PERIOD_CHOICES,
        until=today,
        frequency=kpi.frequency,
        fiscal_year_start_month=fiscal_year_start_month,
        since=kpi.tracking_since,
    )
    return [
        (
            s.isoformat(),
            period_label(s, frequency=kpi.frequency, fiscal_year_start_month=fiscal_year_start_month),
        )
        for s in reversed(starts)
    ]


class MeasurementForm(forms.Form):
    period = forms.CharField(label=_("Period"), widget=forms.Select)
    value = LocalizedNumberField(label=_("Value"))
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.TextInput(attrs={"placeholder": _("What explains this value?")}),
    )
    # Shown once a value looks like a slip of the keyboard (kpis.services.measurement_unusual).
    confirm = forms.BooleanField(label=_("Yes, this value is right"), required=False)

    def __init__(self, *args, choices: list[tuple[str, str]], unit: str = "", **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.needs_confirmation = False
        self.fields["period"].widget.choices = choices
        self.fields["value"].units = unit_aliases(unit)
