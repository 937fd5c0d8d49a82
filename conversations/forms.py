from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from conversations.models import MAX_COMMENT_LENGTH


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"),
        max_length=MAX_COMMENT_LENGTH,
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                "placeholder": _("Write a comment… type @ and a name to mention someone"),
                "data-mentions": "",
                "data-mentions-label": _("People to mention"),
            }
        ),
        help_text=_("Type @ and the start of a colleague's name, then pick them: they are notified."),
        error_messages={
            "max_length": _("A comment has at most %(limit_value)d characters; this one has %(show_value)d.")
        },
    )
