from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from transfer.columns import Column
from transfer.models import ImportKind
from transfer.reading import MAX_UPLOAD_BYTES


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What the file holds"),
        choices=[("", "—"), *ImportKind.choices],
        help_text=_("OKRs, people, KPI definitions or values, a Viva Goals export, or a whole organisation's export."),
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8 or Windows-1258) or Excel (.xlsx), at most 10 MB; an organisation export is JSON."),
    )

    def __init__(self, *args: Any, kinds: tuple[str, ...] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kinds is not None:  # what this person may import
            field = self.fields["kind"]
            assert isinstance(field, forms.ChoiceField)  # noqa: S101 — declared above
            field.choices = [(v, label) for v, label in ImportKind.choices if v in kinds]

    def clean_file(self) -> Any:
        f = self.cleaned_data["file"]
        if f.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB; split it into smaller files."))
        return f


class MappingForm(forms.Form):
    """One choice per field: which of the file's columns holds it (or none)."""

    def __init__(self, *args: Any, columns: tuple[Column, ...], headers: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        options = [("", _("— not in the file —")), *((h, h) for h in headers if h)]
        for col in columns:
            self.fields[col.field] = forms.ChoiceField(
                label=_(col.label),
                choices=options,
                required=False,  # noqa: INT001 - the column labels are msgids
            )


class ApplyForm(forms.Form):
    only_valid = forms.BooleanField(
        label=_("Import only the valid rows and skip the others"),
        required=False,
    )
    confirm_unusual = forms.BooleanField(
        label=_("The flagged values are right: import them too"),
        required=False,
    )

    def __init__(self, *args: Any, kind: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kind != ImportKind.MEASUREMENTS:  # only KPI values are held back when they look like a slip
            del self.fields["confirm_unusual"]


class PeopleForm(forms.Form):
    """For each person the file names who is not a member: the member they are (or none)."""

    invite = forms.BooleanField(
        label=_("Invite the addresses left unmatched when importing"),
        required=False,
        help_text=_("They join by accepting; until then their rows are skipped."),
    )

    def __init__(self, *args: Any, unknown: list[str], members: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unknown = unknown
        options = [("", _("— nobody: the rows stay errors —")), *((str(pk), name) for pk, name in members)]
        for n, text in enumerate(unknown):
            self.fields[f"person_{n}"] = forms.ChoiceField(label=text, choices=options, required=False)

    def owners(self) -> dict[str, int]:
        return {
            text: int(self.cleaned_data[f"person_{n}"])
            for n, text in enumerate(self.unknown)
            if self.cleaned_data.get(f"person_{n}")
        }
