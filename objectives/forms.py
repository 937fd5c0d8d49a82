from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cycles.models import Cycle
from objectives.models import InitiativeStatus, KeyResult, KeyResultKind, Objective
from okrkpi.core.forms import DateInput
from orgs.forms import people_choices, team_choices
from orgs.models import Organization
from orgs.ownership import OwnerType
from orgs.tenancy import scoped


class ObjectiveForm(forms.Form):
    title = forms.CharField(
        label=_("Objective"),
        max_length=200,
        help_text=_("Short, clear, inspiring and qualitative: where do you want to be? Numbers go in key results."),
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Delight our customers on every channel")}),
    )
    description = forms.CharField(label=_("Why it matters"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    cycle = forms.TypedChoiceField(label=_("Cycle"), coerce=int)
    owner_type = forms.ChoiceField(
        label=_("Owned by"), choices=OwnerType.choices, widget=forms.RadioSelect, initial=OwnerType.TEAM
    )
    owner_team = forms.TypedChoiceField(label=_("Team"), coerce=int, required=False, empty_value=None)
    owner_user = forms.TypedChoiceField(label=_("Person"), coerce=int, required=False, empty_value=None)
    parent = forms.TypedChoiceField(
        label=_("Aligned to"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("The objective above that this one helps achieve. Its progress counts towards it."),
    )
    weight = forms.FloatField(
        label=_("Weight"),
        initial=1.0,
        min_value=0,
        max_value=1000,
        help_text=_("How much it counts towards the objective it is aligned to."),
    )

    def __init__(self, *args, org: Organization, cycles: list[Cycle], parents: list[Objective], **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["cycle"].choices = [(c.pk, f"{c.name} ({c.get_status_display()})") for c in cycles]
        self.fields["owner_team"].choices = [("", _("— choose a team —")), *team_choices(org)]
        self.fields["owner_user"].choices = [("", _("— choose a person —")), *people_choices(org)]
        self.fields["parent"].choices = [
            ("", _("— not aligned —")),
            *[(p.pk, f"{p.title} · {p.owner_label}") for p in parents],
        ]

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        kind = data.get("owner_type")
        if kind == OwnerType.TEAM and not data.get("owner_team"):
            self.add_error("owner_team", _("Choose the team that owns this objective."))
        if kind == OwnerType.PERSON and not data.get("owner_user"):
            self.add_error("owner_user", _("Choose the person who owns this objective."))
        return data


class KeyResultForm(forms.Form):
    title = forms.CharField(
        label=_("Key result"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Raise NPS from 32 to 45")}),
        help_text=_("A measurable result, not an activity."),
    )
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int)
    kind = forms.ChoiceField(label=_("Measured as"), choices=KeyResultKind.choices, initial=KeyResultKind.NUMBER)
    unit = forms.CharField(label=_("Unit"), max_length=24, required=False)
    start_value = forms.FloatField(label=_("Start"), initial=0, required=False)
    target_value = forms.FloatField(label=_("Target"), required=False)
    weight = forms.FloatField(label=_("Weight"), initial=1.0, min_value=0, max_value=1000)
    kpi = forms.TypedChoiceField(
        label=_("Follows KPI"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("Optional: the value then follows the KPI's latest measurement."),
    )

    def __init__(self, *args, org: Organization, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = people_choices(org)
        from kpis.models import Kpi

        self.fields["kpi"].choices = [
            ("", _("— none —")),
            *scoped(Kpi, org).filter(active=True).order_by("name").values_list("id", "name"),
        ]

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        if (
            data.get("kind") != KeyResultKind.MILESTONE
            and data.get("target_value") is None
            and "target_value" not in self.errors
        ):
            self.add_error("target_value", _("A target is required."))
        return data


class CheckInForm(forms.Form):
    value = forms.FloatField(label=_("New value"))
    confidence = forms.IntegerField(
        label=_("Confidence (1–10)"),
        min_value=1,
        max_value=10,
        help_text=_("How sure are you to reach the target? 10 = certain."),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, key_result: KeyResult | None = None, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        if key_result is not None and key_result.kind == KeyResultKind.MILESTONE:
            self.fields["value"] = forms.TypedChoiceField(
                label=_("Done?"), coerce=float, choices=[(0.0, _("Not yet")), (1.0, _("Done"))]
            )


class InitiativeForm(forms.Form):
    title = forms.CharField(
        label=_("Initiative"), max_length=200, help_text=_("The work you will do to move a key result.")
    )
    key_result = forms.TypedChoiceField(label=_("For key result"), coerce=int, required=False, empty_value=None)
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int, required=False, empty_value=None)
    status = forms.ChoiceField(label=_("Status"), choices=InitiativeStatus.choices, initial=InitiativeStatus.PLANNED)
    due_date = forms.DateField(label=_("Due date"), required=False, widget=DateInput)

    def __init__(self, *args, org: Organization, objective: Objective, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["key_result"].choices = [
            ("", _("— the whole objective —")),
            *[(kr.pk, kr.title) for kr in objective.key_results.all()],
        ]
        self.fields["owner"].choices = [("", _("— nobody yet —")), *people_choices(org)]
