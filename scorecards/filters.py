"""The executive pages' query parameters: which cycle, "as of" which day, movers since when."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from kpis import periods
from orgs.models import Organization


class AsOfForm(forms.Form):
    """``as_of``: a past day to read from the daily snapshots (empty: live). ``since``: the
    day the movers are measured from (empty: a week before the day shown)."""

    cycle = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    as_of = forms.DateField(
        label=_("As of"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Show the figures as they were at the end of that day."),
    )
    since = forms.DateField(
        label=_("Changes since"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Movers compare the day shown with this day (a week before it by default)."),
    )

    def __init__(self, *args: object, org: Organization, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.today = org.today()
        self.fields["as_of"].widget.attrs["max"] = self.today.isoformat()

    def clean_as_of(self) -> date | None:
        as_of = self._on_the_calendar(self.cleaned_data.get("as_of"))
        if as_of is not None and as_of > self.today:
            raise forms.ValidationError(_("Pick today or a day in the past: there is no record of the future yet."))
        if as_of == self.today:
            return None  # today is the live view
        return as_of

    def clean_since(self) -> date | None:
        return self._on_the_calendar(self.cleaned_data.get("since"))

    @staticmethod
    def _on_the_calendar(day: date | None) -> date | None:
        if day is not None and day < periods.EARLIEST:
            raise forms.ValidationError(_("Pick a day from %(first)s on.") % {"first": periods.EARLIEST.isoformat()})
        return day

    def clean(self) -> dict:
        data = super().clean() or {}
        since, day = data.get("since"), data.get("as_of") or self.today
        if since is not None and since >= day:
            self.add_error("since", _("Pick a day before the day shown (%(day)s).") % {"day": day.isoformat()})
        return data
