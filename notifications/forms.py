from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.models import (
    CHOOSABLE_KINDS,
    DIGEST_KINDS,
    ChannelEvent,
    ChannelKind,
    Delivery,
    NotificationSettings,
    delivery_for,
)


class PreferencesForm(forms.Form):
    """One select per kind of notification, then the quiet-hours window."""

    quiet_start = forms.TimeField(
        label=_("Quiet hours from"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("No e-mail between these times (organisation time); what arrives meanwhile waits until they end."),
    )
    quiet_end = forms.TimeField(
        label=_("Quiet hours until"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )

    def __init__(self, *args: Any, current: NotificationSettings | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        deliveries = current.deliveries if current else {}
        kind_fields = {}
        for kind in CHOOSABLE_KINDS:
            if kind in DIGEST_KINDS:
                choices: list[tuple[str, Any]] = [(Delivery.WEEKLY, _("Send it")), (Delivery.OFF, _("Off"))]
            else:
                choices = list(Delivery.choices)
            kind_fields[f"kind_{kind}"] = forms.ChoiceField(
                label=kind.label, choices=choices, initial=delivery_for(deliveries, kind)
            )
        self.fields = {**kind_fields, **self.fields}
        if current is not None:
            self.fields["quiet_start"].initial = current.quiet_start
            self.fields["quiet_end"].initial = current.quiet_end

    def deliveries(self) -> dict[str, str]:
        return {name[5:]: value for name, value in self.cleaned_data.items() if name.startswith("kind_")}


class ChannelForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ChannelKind.choices)
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("e.g. #okr-updates"))
    url = forms.CharField(
        label=_("Webhook URL"),
        max_length=500,
        widget=forms.URLInput(attrs={"autocomplete": "off", "placeholder": "https://"}),
        help_text=_("Kept secret: it is never shown again after you save it."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events it carries"),
        choices=ChannelEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_(
            "Check-ins, comments, escalations and requests for review are posted as they happen; the Friday "
            "wins once a week, on Friday from the organisation's reminder hour, when something moved."
        ),
    )
    restricted_safe = forms.BooleanField(
        label=_("May carry restricted events"),
        required=False,
        help_text=_(
            "Check-ins, comments, escalations and requests for review of team-only or private objectives and "
            "KPIs are posted only to channels marked here, else nowhere; the Friday wins posted here include "
            "theirs, those posted elsewhere leave them out. Mark only a channel read by people who may see them."
        ),
    )
