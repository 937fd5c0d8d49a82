"""Form helpers shared by every app's views."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from core.numbers import format_input, format_number, parse_number


class DateInput(forms.DateInput):
    """A date field rendered as the browser's date picker."""

    input_type = "date"


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: on the named field when the
    form has it, otherwise at the top of the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class DecimalTextInput(forms.TextInput):
    """A text input for numbers: the phone shows its number pad (``inputmode``), and
    the value is written in the reader's language (``type=number`` would drop a
    Vietnamese decimal comma and turn 4,5 into 45)."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false", **(attrs or {})})


class LocalizedNumberField(forms.Field):
    """A number typed in the active language's convention, through
    ``core.numbers.parse_number``: ``4,5`` in Vietnamese, ``4.5`` in English;
    ambiguous values are refused with a message, never guessed."""

    widget = DecimalTextInput
    default_error_messages = {  # noqa: RUF012 - Django's pattern
        "min_value": _("Use a value of at least %(limit)s."),
        "max_value": _("Use a value of at most %(limit)s."),
    }

    def __init__(
        self,
        *,
        min_value: float | None = None,
        max_value: float | None = None,
        units: list[str] | None = None,
        allow_negative: bool = True,
        **kwargs: Any,
    ) -> None:
        self.min_value, self.max_value = min_value, max_value
        self.units = list(units or [])
        self.allow_negative = allow_negative
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return format_input(value)
        return value

    def to_python(self, value: Any) -> float | None:
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        return parse_number(value, units=self.units, allow_negative=self.allow_negative)

    def validate(self, value: float | None) -> None:
        super().validate(value)
        if value is None:
            return
        if self.min_value is not None and value < self.min_value:
            raise ValidationError(
                self.error_messages["min_value"], code="min_value", params={"limit": format_number(self.min_value)}
            )
        if self.max_value is not None and value > self.max_value:
            raise ValidationError(
                self.error_messages["max_value"], code="max_value", params={"limit": format_number(self.max_value)}
            )

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            new = self.to_python(data)
        except ValidationError:
            return True
        old = None if initial in self.empty_values else float(initial)
        if old is None or new is None:
            return old is not new
        return abs(new - old) > 1e-9 * max(1.0, abs(old))


def version_field() -> forms.IntegerField:
    """The hidden ``version`` an edit form carries back (optimistic locking)."""
    # A label of its own: Django's default, the field's name ("Version"), would show in
    # English wherever a page names the field (a hidden field's error, the form's table).
    return forms.IntegerField(label=_("Version"), widget=forms.HiddenInput, required=False, min_value=1)


def offer_overwrite(form: forms.Form, *, version: int) -> None:
    """After a stale edit (``StaleVersionError``): the form keeps everything typed and
    now carries the current version, so saving again is a deliberate overwrite."""
    data = cast(QueryDict, form.data).copy()  # a bound form's data is the POST, or a dict in tests
    data["version"] = str(version)
    form.data = data
