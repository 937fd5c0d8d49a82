from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from core.clientip import client_ip
from orgs.models import Membership, Organization, Role, Team, User
from orgs.services.organizations import ORGANIZATION_SETTINGS
from orgs.tenancy import scoped
from orgs.throttle import DEVICE_COOKIE, LoginThrottle, device_cookie, known_device, wait_message


class ThrottledLoginMixin:
    """Password checks counted by ``orgs.throttle``: per account and per client, with
    waits that double, in the store every web process shares; a browser that has logged
    in to the account before (its device cookie) counts and waits for itself alone. An
    attempt during a wait is refused without checking the password. After a success,
    ``device_cookie`` holds the cookie for the view to leave on its response."""

    request: Any
    data: Any
    error_messages: dict[str, Any]
    device_cookie: str | None = None

    def clean(self):  # type: ignore[no-untyped-def]
        email = str(self.data.get("username") or "")
        client = client_ip(self.request) if self.request is not None else "unknown"
        cookies = self.request.COOKIES if self.request is not None else {}
        device = known_device(cookies.get(DEVICE_COOKIE), email)
        throttle = LoginThrottle()
        wait = throttle.retry_after(email=email, client=client, device=device)
        if wait:
            raise forms.ValidationError(wait_message(wait), code="throttled")
        try:
            data = super().clean()  # type: ignore[misc]
        except forms.ValidationError as exc:
            if getattr(exc, "code", None) == "invalid_login":
                throttle.failed(email=email, client=client, device=device)
            raise
        throttle.succeeded(email=email, client=client, device=device)
        self.device_cookie = device_cookie(email, device)
        return data


class EmailAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    """Login by e-mail, throttled per account and per client."""

    username = forms.EmailField(
        label=_("E-mail"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Wrong e-mail or password. The password is case-sensitive."),
    }


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The admin site's login, throttled like the app's."""


def team_choices(org: Organization) -> list[tuple[int, str]]:
    """The organisation's teams in tree order, indented by depth."""
    from orgs.selectors import flatten_tree, team_tree

    return [(n.team.pk, "— " * n.depth + n.team.name) for n in flatten_tree(team_tree(org=org))]


def people_choices(org: Organization) -> list[tuple[int, str]]:
    """The organisation's members by name."""
    return [
        (m.user_id, m.user.display_name)
        for m in scoped(Membership, org).select_related("user").order_by("user__name", "user__email")
    ]


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    parent = forms.TypedChoiceField(
        label=_("Parent team"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Leave empty for a top-level team directly under the company."),
    )
    managers = forms.TypedMultipleChoiceField(
        label=_("Managers"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    members = forms.TypedMultipleChoiceField(
        label=_("Members"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, org: Organization, exclude_team: Team | None = None, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        choices = team_choices(org)
        if exclude_team is not None:
            choices = [c for c in choices if c[0] != exclude_team.pk]
        self.fields["parent"].choices = [("", _("— Company (top level) —")), *choices]
        people = [
            (m.user_id, m.user.display_name)
            for m in scoped(Membership, org).select_related("user").order_by("user__name")
        ]
        self.fields["managers"].choices = people
        self.fields["members"].choices = people


class MemberForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    teams = forms.TypedMultipleChoiceField(
        label=_("Teams"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, org: Organization, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["teams"].choices = team_choices(org)


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    name = forms.CharField(label=_("Name"), max_length=150, required=False)
    role = forms.ChoiceField(
        label=_("Role"),
        choices=Role.choices,
        initial=Role.MEMBER,
        help_text=_(
            "Admins manage everything; managers plan their teams' OKRs; members update their own; viewers read."
        ),
    )
    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, org: Organization, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", _("— No team yet —")), *team_choices(org)]


class AcceptInvitationForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=150)
    password1 = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        help_text=_("At least 8 characters, not only digits."),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data


class OrganizationSettingsForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = list(ORGANIZATION_SETTINGS)
        help_texts = {
            "grade_note_required": _(
                "When a cycle is closed, a key-result grade that differs from the suggested one (its "
                "progress rounded to 0.1) is refused without a note saying why. Off: the note is optional."
            ),
        }

    # Left empty (or not sent by an older form): keep the current value.
    KEEP_WHEN_EMPTY = (
        "check_in_missed_days",
        "health_at_risk_ratio",
        "health_off_track_ratio",
        "health_at_risk_confidence",
        "health_off_track_confidence",
        "restricted_display",
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for name in self.KEEP_WHEN_EMPTY:
            self.fields[name].required = False

    def clean(self) -> dict[str, object]:
        data = super().clean()
        for name in self.KEEP_WHEN_EMPTY:
            if data.get(name) in (None, "") and name not in self.errors:
                data[name] = getattr(self.instance, name)
        return data


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["name", "language"]

    language = forms.ChoiceField(
        label=_("Language"), required=False, choices=[("", _("Organisation default")), *settings.LANGUAGES]
    )
