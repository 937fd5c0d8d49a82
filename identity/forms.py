"""Identity's forms: the login (single sign-on aware), the SSO settings, SCIM tokens, two-factor."""

from __future__ import annotations

from django import forms
from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy as _

from orgs.forms import EmailAuthenticationForm
from orgs.models import Role, User


class LoginForm(EmailAuthenticationForm):
    """The app's login: an e-mail whose domain has single sign-on is sent to its provider (the
    view does that when no password was typed); a password is refused for a person whose every
    organisation allows single sign-on only."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]  # Django's own signature, untyped in the stubs
        super().__init__(*args, **kwargs)
        self.fields["password"].required = False
        self.fields["password"].help_text = _(
            "Leave it empty if your organisation logs in with single sign-on: you will be sent to it."
        )

    def clean(self):  # type: ignore[no-untyped-def]  # Django's own signature, untyped in the stubs
        if not self.data.get("password"):
            self.add_error("password", forms.ValidationError(_("Enter your password."), code="required"))
            return self.cleaned_data
        return super().clean()

    def confirm_login_allowed(self, user: User) -> None:  # type: ignore[override]  # Django's parameter is the base user type
        super().confirm_login_allowed(user)
        from identity.services.sso import password_allowed

        if not password_allowed(user=user):
            raise forms.ValidationError(
                _("Your organisation logs in with single sign-on only: leave the password empty to be sent to it."),
                code="sso_only",
            )


def _role_code(text: str) -> str:
    """A role as typed: its code (admin) or its label in the page's language (Quản trị viên)."""
    for code, label in Role.choices:
        if text.lower() in (code, str(label).lower()):
            return str(code)
    return text


class SsoSettingsForm(forms.Form):
    """The organisation's OpenID Connect provider. The secret is never shown again: left empty,
    the stored one is kept."""

    issuer = forms.URLField(
        label=_("Issuer"),
        max_length=300,
        assume_scheme="https",
        help_text=_("The provider's issuer address, e.g. https://login.example.com/realms/acme (https only)."),
    )
    client_id = forms.CharField(label=_("Client ID"), max_length=300)
    client_secret = forms.CharField(
        label=_("Client secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Stored encrypted and never shown again. Leave empty to keep the current one."),
    )
    domains = forms.CharField(
        label=_("E-mail domains"),
        help_text=_("The domains the provider vouches for, separated by commas, e.g. acme.com, acme.vn."),
    )
    role_mapping = forms.CharField(
        label=_("Groups to roles"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line: group = role (admin, manager, member or viewer), e.g. okr-admins = admin."),
    )
    default_role = forms.ChoiceField(label=_("Role without a mapped group"), choices=Role.choices, initial=Role.MEMBER)
    groups_claim = forms.CharField(label=_("Groups claim"), max_length=64, initial="groups")
    sso_only = forms.BooleanField(
        label=_("Single sign-on only"),
        required=False,
        help_text=_("Refuse passwords, password resets and API tokens made with a password for this organisation."),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def clean_domains(self) -> list[str]:
        return [d.strip() for d in self.cleaned_data["domains"].replace("\n", ",").split(",") if d.strip()]

    def clean_role_mapping(self) -> dict[str, str]:
        mapping: dict[str, str] = {}
        for number, line in enumerate(self.cleaned_data["role_mapping"].splitlines(), start=1):
            if not line.strip():
                continue
            group, sep, role = line.rpartition("=")
            if not sep or not group.strip():
                raise forms.ValidationError(
                    _("Line %(number)s: write group = role.") % {"number": number}, code="invalid"
                )
            mapping[group.strip()] = _role_code(role.strip())
        return mapping

    @staticmethod
    def mapping_text(mapping: dict[str, str]) -> str:
        return "\n".join(f"{g} = {r}" for g, r in mapping.items())


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset, which sends nothing to a person whose every organisation allows single
    sign-on only (the page says the same either way: it tells nobody who has an account)."""

    def get_users(self, email):  # type: ignore[no-untyped-def]  # Django's own signature, untyped in the stubs
        from identity.services.sso import password_allowed

        return (user for user in super().get_users(email) if password_allowed(user=user))
