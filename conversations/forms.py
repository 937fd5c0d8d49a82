from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from conversations.models import MAX_COMMENT_LENGTH


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"),
        max_length=MAX_COMMENT_LENGTH,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": _("Write a comment… mention someone with @their e-mail")}
        ),
        help_text=_("Mention a colleague with @ and their e-mail address, e.g. @sam@example.com: they are notified."),
        error_messages={
            "max_length": _("A comment has at most %(limit_value)d characters; this one has %(show_value)d.")
        },
    )
