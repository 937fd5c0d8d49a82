from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.forms import DateInput, LocalizedNumberField, version_field
from core.numbers import format_quantity, unit_aliases
from cycles.models import Cycle, CycleStatus
from kpis.models import Perspective
from objectives.checkin_context import unusual_value
from objectives.models import (
    Commitment,
    InitiativeStatus,
    KeyResult,
    KeyResultKind,
    Objective,
    validate_objective_weight,
)
from orgs import permissions
from orgs.forms import people_choices, team_choices
from orgs.models import Membership, Organization, TeamMember
from orgs.ownership import OwnerType
from orgs.tenancy import scoped

# Start and target may be typed with a percent sign or a currency ("25%", "3 000 000 đ").
_ANY_UNIT = unit_aliases("", percent=True, currency=True)


class ObjectiveForm(forms.Form):
    version = version_field()
    title = forms.CharField(
        label=_("Objective"),
        max_length=200,
        help_text=_("Short, clear, inspiring and qualitative: where do you want to be? Numbers go in key results."),
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Delight our customers on every channel")}),
    )
    description = forms.CharField(label=_("Why it matters"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    cycle = forms.TypedChoiceField(label=_("Cycle"), coerce=int)
    commitment = forms.ChoiceField(
        label=_("Type"),
        choices=Commitment.choices,
        initial=Commitment.COMMITTED,
        required=False,  # an objective is committed unless said otherwise
        widget=forms.RadioSelect,
        help_text=_("Committed: expected to reach 1.0. Aspirational: a stretch, where 0.7 counts as success."),
    )
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
    weight = LocalizedNumberField(
        label=_("Weight"),
        initial=1.0,
        validators=[validate_objective_weight],
        help_text=_(
            "How much it counts in the objective it is aligned to (more than 0, at most 10). Only someone "
            "who may edit that objective sets it; otherwise it counts 1."
        ),
    )
    perspective = forms.ChoiceField(
        label=_("Perspective"),
        choices=[("", _("— none —")), *Perspective.choices],
        required=False,
        help_text=_("The balanced-scorecard perspective this objective moves; scorecards show it there."),
    )
    reason = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        max_length=2000,
        help_text=_(
            "Needed once the objective is approved: a new target, start value, weight or key result sends it "
            "back to review."
        ),
    )

    def __init__(  # type: ignore[no-untyped-def]
        self,
        *args,
        org: Organization,
        cycles: list[Cycle],
        parents: list[Objective],
        backlog: bool = False,
        chooser: Membership | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.fields["cycle"].choices = [(c.pk, f"{c.name} ({c.get_status_display()})") for c in cycles]
        if backlog:
            # A backlog objective may stay there while it is edited.
            self.fields["cycle"].choices = [("", _("Backlog (no cycle yet)")), *self.fields["cycle"].choices]
            self.fields["cycle"].required = False
            self.fields["cycle"].empty_value = None
        self.fields["owner_team"].choices = [("", _("— choose a team —")), *team_choices(org)]
        self.fields["owner_user"].choices = [("", _("— choose a person —")), *people_choices(org)]
        if chooser is not None:
            offer_only_choosable_owners(self, chooser)
        self.fields["parent"].choices = [
            ("", _("— not aligned —")),
            *[(p.pk, f"{p.title} · {p.owner_label}") for p in parents],
        ]

    def clean_commitment(self) -> str:
        return self.cleaned_data.get("commitment") or Commitment.COMMITTED

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        kind = data.get("owner_type")
        if kind == OwnerType.TEAM and not data.get("owner_team"):
            self.add_error("owner_team", _("Choose the team that owns this objective."))
        if kind == OwnerType.PERSON and not data.get("owner_user"):
            self.add_error("owner_user", _("Choose the person who owns this objective."))
        return data


def planned_next(cycles: list[Cycle]) -> Cycle | None:
    """The cycle a person plans next among the open ones: the planning cycle that starts
    soonest, else the active one that started last, else the first."""
    planning = sorted((c for c in cycles if c.status == CycleStatus.PLANNING), key=lambda c: c.start_date)
    active = [c for c in cycles if c.status == CycleStatus.ACTIVE]
    return next(iter(planning or active or cycles), None)


def follow_cycle(form: forms.Form, url: str) -> None:
    """The "aligned to" list follows the chosen cycle: htmx asks this page again for the
    cycle and swaps in only that field, leaving everything typed as it is."""
    form.fields["cycle"].widget.attrs.update(
        {
            "hx-get": url,
            "hx-trigger": "change",
            "hx-select": "#field-aligned",
            "hx-target": "#field-aligned",
            "hx-swap": "outerHTML",
            "hx-vals": "{}",
        }
    )


def owner_refused(form: forms.Form, exc: PermissionDenied) -> None:
    """A refused owner is a message on the owner field; what was typed stays."""
    field = {"team": "owner_team", "person": "owner_user"}.get(form.cleaned_data.get("owner_type", ""), "owner_type")
    form.add_error(field, str(exc) or gettext("You cannot choose this owner."))


def offer_only_choosable_owners(form: forms.Form, m: Membership) -> None:
    """Narrow the owner fields to the owners ``m`` may choose (``permissions.can_create_owned``):
    the company for admins, the teams a manager manages, themself and the people they manage.
    The owner the form starts with stays offered, so an edit that keeps it is never refused."""
    if permissions.is_admin(m):
        return
    initial = form.initial
    kind = initial.get("owner_type")
    keep_team = initial.get("owner_team") if kind == OwnerType.TEAM else None
    keep_user = initial.get("owner_user") if kind == OwnerType.PERSON else None
    teams = permissions.managed_team_ids(m)
    people = {m.user_id}
    if teams:
        people |= set(
            TeamMember.objects.filter(organization_id=m.organization_id, team_id__in=teams).values_list(
                "user_id", flat=True
            )
        )
    # Only the widgets narrow: a forged choice still validates, so that the refusal comes from
    # the one permission rule, as a message on the field (the view keeps everything typed).
    team_widget, user_widget = form.fields["owner_team"].widget, form.fields["owner_user"].widget
    team_widget.choices = [c for c in team_widget.choices if c[0] == "" or c[0] in teams or c[0] == keep_team]
    user_widget.choices = [c for c in user_widget.choices if c[0] == "" or c[0] in people or c[0] == keep_user]
    kinds = {OwnerType.PERSON, kind}
    if len(team_widget.choices) > 1:
        kinds.add(OwnerType.TEAM)
    type_widget = form.fields["owner_type"].widget
    type_widget.choices = [c for c in type_widget.choices if c[0] in kinds]


class KeyResultForm(forms.Form):
    version = version_field()
    title = forms.CharField(
        label=_("Key result"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Raise NPS from 32 to 45")}),
        help_text=_("A measurable result, not an activity."),
    )
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int)
    kind = forms.ChoiceField(label=_("Measured as"), choices=KeyResultKind.choices, initial=KeyResultKind.NUMBER)
    unit = forms.CharField(label=_("Unit"), max_length=24, required=False)
    start_value = LocalizedNumberField(label=_("Start"), initial=0, required=False, units=_ANY_UNIT)
    target_value = LocalizedNumberField(label=_("Target"), required=False, units=_ANY_UNIT)
    weight = LocalizedNumberField(label=_("Weight"), initial=1.0, min_value=0, max_value=1000)
    kpi = forms.TypedChoiceField(
        label=_("Follows KPI"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("Optional: the value then follows the KPI's latest measurement."),
    )
    reason = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        max_length=2000,
        help_text=_(
            "Needed once the objective is approved: a new target, start value, weight or key result sends it "
            "back to review."
        ),
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
            data.get("kind") not in (KeyResultKind.MILESTONE, KeyResultKind.ALIGNED)
            and data.get("target_value") is None
            and "target_value" not in self.errors
        ):
            self.add_error("target_value", _("A target is required."))
        return data


def _forbids_negative(key_result: KeyResult) -> bool:
    """A percentage between non-negative start and target (a share, a rate) cannot go below zero."""
    return key_result.kind == KeyResultKind.PERCENT and key_result.start_value >= 0 and key_result.target_value >= 0


class CheckInForm(forms.Form):
    value = LocalizedNumberField(label=_("New value"))
    confidence = forms.IntegerField(
        label=_("Confidence (1–10)"),
        min_value=1,
        max_value=10,
        help_text=_("How sure are you to reach the target? 10 = certain."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 1, "data-mentions": "", "data-mentions-label": _("People to mention")}),
    )
    confirm = forms.BooleanField(label=_("Yes, this value is right"), required=False)

    def __init__(self, *args, key_result: KeyResult | None = None, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.key_result = key_result
        self.needs_confirmation = False
        if key_result is not None and key_result.kind == KeyResultKind.MILESTONE:
            self.fields["value"] = forms.TypedChoiceField(
                label=_("Done?"), coerce=float, choices=[(0.0, _("Not yet")), (1.0, _("Done"))]
            )
        elif key_result is not None:
            self.fields["value"] = LocalizedNumberField(
                label=_("New value"),
                units=unit_aliases(
                    key_result.unit,
                    percent=key_result.kind == KeyResultKind.PERCENT,
                    currency=key_result.kind == KeyResultKind.CURRENCY,
                ),
                allow_negative=not _forbids_negative(key_result),
            )

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        kr, value = self.key_result, data.get("value")
        if kr is None or value is None or "value" in self.errors or data.get("confirm"):
            return data
        unusual = unusual_value(
            kind=kr.kind, start=kr.start_value, target=kr.target_value, current=kr.current_value, value=value
        )
        if unusual:
            self.needs_confirmation = True
            params = {
                "value": format_quantity(value, kr.unit, kind=kr.kind),
                "current": format_quantity(kr.current_value, kr.unit, kind=kr.kind),
                "target": format_quantity(kr.target_value, kr.unit, kind=kr.kind),
            }
            if unusual == "jump":
                message = _(
                    "%(value)s is a big jump from %(current)s (target %(target)s): more than twice the distance "
                    "still to go. If it is right, tick “Yes, this value is right” and save again."
                )
            else:
                message = _(
                    "%(value)s moves away from the target (%(target)s) by more than the whole range. "
                    "If it is right, tick “Yes, this value is right” and save again."
                )
            self.add_error("value", ValidationError(message % params, code="unusual"))
        return data


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
