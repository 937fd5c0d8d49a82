"""The source form: one form for every kind, each field saying which kind it is for.
Secret fields are never filled back in: left empty on an edit, they keep their value."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from datasources.models import SourceKind


class DataSourceForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120, help_text=_("What people call it: “CRM”, “Finance sheet”."))
    kind = forms.ChoiceField(label=_("Kind"), choices=SourceKind.choices)
    url = forms.CharField(
        label=_("Address (csv_url, json_url)"),
        required=False,
        max_length=2000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "The published CSV link (Google Sheets: File → Share → Publish to web → CSV) or the JSON document's "
            "https address. Stored encrypted; leave empty to keep the saved one."
        ),
    )
    headers = forms.CharField(
        label=_("Request headers (json_url, csv_url)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "off"}),
        help_text=_('Optional, as JSON: {"Authorization": "Bearer …"}. Stored encrypted; leave empty to keep them.'),
    )
    dsn = forms.CharField(
        label=_("DSN (sql)"),
        required=False,
        max_length=2000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        # The examples are in the text itself: a lazy text formatted here would be read once, in English.
        help_text=_(
            "PostgreSQL, for example postgresql://reader:secret@db.example.com:5432/crm; MySQL or MariaDB, for "
            "example mysql://reader:secret@db.example.com:3306/shop. Use an account that may only read. Stored "
            "encrypted; leave empty to keep it."
        ),
    )
    language = forms.ChoiceField(
        label=_("Number format"),
        choices=[("en", _("English: 1,234.5")), ("vi", _("Vietnamese: 1.234,5"))],
        initial="en",
    )
    period_column = forms.CharField(
        label=_("Period column (csv_url)"),
        required=False,
        max_length=120,
        help_text=_("The column holding each row's period (2026-10 or 2026-10-01); empty to take the last row."),
    )

    def clean_headers(self) -> dict[str, Any]:
        text = (self.cleaned_data.get("headers") or "").strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except ValueError:
            raise forms.ValidationError(_('Write the headers as JSON, e.g. {"X-Api-Key": "…"}.')) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_('Write the headers as JSON, e.g. {"X-Api-Key": "…"}.'))
        return value

    def config(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"url": data.get("url"), "headers": data.get("headers") or None, "dsn": data.get("dsn")}


class SourceTestForm(forms.Form):
    query = forms.CharField(
        label=_("Query, column or path"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "sql: a query returning one number; csv_url: a column name; json_url: a JSON path such as $.total."
        ),
    )
