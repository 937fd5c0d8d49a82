"""HTML views: the organisation home, team tree, members, invitations,
settings and the account pages. Mutating views are POST-only; an htmx
request gets the partial, a normal request the full page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from core.forms import add_service_errors
from orgs import permissions, selectors, services
from orgs.access import check_team_create, check_team_delete, check_team_update
from orgs.forms import (
    AcceptInvitationForm,
    InviteForm,
    MemberForm,
    OrganizationSettingsForm,
    ProfileForm,
    TeamForm,
)
from orgs.middleware import preferred_language
from orgs.models import Invitation, Membership, Role, Team, User
from orgs.tenancy import get_scoped_or_404, org_view, scoped
from orgs.throttle import remember_device


@login_required
def home(request: HttpRequest, landing: str = "scorecards:dashboard") -> HttpResponse:
    """Send the user to their current (or only) organisation, or let them pick.
    ``landing`` names the organisation page to go to (after login: the "start" page)."""
    memberships = list(
        Membership.objects.filter(user=request.user).select_related("organization").order_by("organization__name")
    )
    current = request.session.get("current_org")
    for m in memberships:
        if m.organization.slug == current:
            return redirect(landing, slug=current)
    if len(memberships) == 1:
        return redirect(landing, slug=memberships[0].organization.slug)
    return render(request, "orgs/choose_org.html", {"memberships": memberships})


# --- team tree -------------------------------------------------------------------------


def _users(org, ids) -> list[User]:  # type: ignore[no-untyped-def]
    return list(User.objects.filter(memberships__organization=org, pk__in=ids))


@org_view
def team_tree(request: HttpRequest) -> HttpResponse:
    org, m = request.org, request.membership
    roots = selectors.team_tree(org=org)
    nodes = selectors.flatten_tree(roots)
    managed = permissions.managed_team_ids(m)
    for node in nodes:
        node.can_edit = permissions.is_admin(m) or node.team.pk in managed
    unassigned = scoped(Membership, org).filter(user__team_memberships__isnull=True).select_related("user")
    return render(
        request,
        "orgs/team_tree.html",
        {
            "nodes": nodes,
            "form": TeamForm(org=org) if permissions.can_plan(m) else None,
            "unassigned": unassigned,
        },
    )


@org_view
@require_http_methods(["GET", "POST"])
def team_create(request: HttpRequest) -> HttpResponse:
    org, m = request.org, request.membership
    permissions.require(permissions.can_plan(m))
    form = TeamForm(request.POST or None, org=org, initial={"parent": request.GET.get("parent") or ""})
    if request.method == "POST" and form.is_valid():
        parent = get_scoped_or_404(Team, org, pk=form.cleaned_data["parent"]) if form.cleaned_data["parent"] else None
        managers, members = _users(org, form.cleaned_data["managers"]), _users(org, form.cleaned_data["members"])
        check_team_create(m, parent=parent, managers=managers, members=members)
        try:
            team = services.team_create(
                org=org,
                actor=request.user,
                name=form.cleaned_data["name"],
                parent=parent,
                managers=managers,
                members=members,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Team %(name)s created.") % {"name": team.name})
            return redirect("orgs:teams", slug=org.slug)
    return render(request, "orgs/team_form.html", {"form": form, "team": None})


@org_view
@require_http_methods(["GET", "POST"])
def team_edit(request: HttpRequest, team_id: int) -> HttpResponse:
    org, m = request.org, request.membership
    team = get_scoped_or_404(Team, org, pk=team_id)
    permissions.require(permissions.can_manage_team(m, team), _("You can only change teams you manage."))
    people = list(team.memberships.all())
    initial = {
        "name": team.name,
        "parent": team.parent_id or "",
        "managers": [tm.user_id for tm in people if tm.is_manager],
        "members": [tm.user_id for tm in people],
    }
    form = TeamForm(request.POST or None, org=org, exclude_team=team, initial=initial)
    if request.method == "POST" and form.is_valid():
        parent = get_scoped_or_404(Team, org, pk=form.cleaned_data["parent"]) if form.cleaned_data["parent"] else None
        managers, members = _users(org, form.cleaned_data["managers"]), _users(org, form.cleaned_data["members"])
        check_team_update(m, team, parent=parent, managers=managers, members=members)
        try:
            services.team_update(
                team=team,
                actor=request.user,
                name=form.cleaned_data["name"],
                parent=parent,
                managers=managers,
                members=members,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Team %(name)s saved.") % {"name": team.name})
            return redirect("orgs:teams", slug=org.slug)
    return render(request, "orgs/team_form.html", {"form": form, "team": team})


@org_view
@require_http_methods(["GET", "POST"])
def team_delete(request: HttpRequest, team_id: int) -> HttpResponse:
    org, m = request.org, request.membership
    team = get_scoped_or_404(Team, org, pk=team_id)
    check_team_delete(m, team)
    if request.method == "POST":
        try:
            services.team_delete(team=team, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Team %(name)s deleted.") % {"name": team.name})
        return redirect("orgs:teams", slug=org.slug)
    return render(
        request,
        "orgs/confirm_delete.html",
        {
            "title": _("Delete team %(name)s?") % {"name": team.name},
            "explanation": _("Its sub-teams move up one level; its people stay in the organisation."),
            "cancel_url": reverse("orgs:teams", kwargs={"slug": org.slug}),
        },
    )


# --- members ---------------------------------------------------------------------------


@org_view
def member_list(request: HttpRequest) -> HttpResponse:
    org, m = request.org, request.membership
    members = list(selectors.member_list(org=org))
    return render(
        request,
        "orgs/member_list.html",
        {
            "members": members,
            "invitations": selectors.pending_invitations(org=org) if permissions.is_admin(m) else [],
            "invite_form": InviteForm(org=org) if permissions.is_admin(m) else None,
            "roles": Role,
        },
    )


@org_view
@require_http_methods(["GET", "POST"])
def member_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    org, m = request.org, request.membership
    membership = get_scoped_or_404(Membership, org, user_id=user_id)
    permissions.require(permissions.is_admin(m), _("Only admins can change members."))
    teams = list(membership.user.team_memberships.filter(organization=org).values_list("team_id", flat=True))
    form = MemberForm(
        request.POST or None,
        org=org,
        initial={"name": membership.user.name, "role": membership.role, "teams": teams},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.member_set_role(membership=membership, actor=request.user, role=form.cleaned_data["role"])
            services.member_update(
                membership=membership,
                actor=request.user,
                name=form.cleaned_data["name"],
                teams=list(scoped(Team, org).filter(pk__in=form.cleaned_data["teams"])),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s saved.") % {"name": membership.user.display_name})
            return redirect("orgs:members", slug=org.slug)
    return render(request, "orgs/member_form.html", {"form": form, "member": membership})


@org_view
@require_http_methods(["GET", "POST"])
def member_remove(request: HttpRequest, user_id: int) -> HttpResponse:
    org, m = request.org, request.membership
    membership = get_scoped_or_404(Membership, org, user_id=user_id)
    permissions.require(permissions.is_admin(m), _("Only admins can remove members."))
    if request.method == "POST":
        try:
            services.member_remove(membership=membership, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, _("%(name)s removed from the organisation.") % {"name": membership.user.display_name}
            )
        return redirect("orgs:members", slug=org.slug)
    return render(
        request,
        "orgs/confirm_delete.html",
        {
            "title": _("Remove %(name)s from %(org)s?") % {"name": membership.user.display_name, "org": org.name},
            "explanation": _("They lose access at once. Their past check-ins and history stay."),
            "cancel_url": reverse("orgs:members", kwargs={"slug": org.slug}),
            "action_label": _("Remove"),
        },
    )


# --- invitations -----------------------------------------------------------------------


@org_view
@require_POST
def invitation_create(request: HttpRequest) -> HttpResponse:
    org, m = request.org, request.membership
    permissions.require(permissions.is_admin(m), _("Only admins can invite people."))
    form = InviteForm(request.POST, org=org)
    if form.is_valid():
        team = get_scoped_or_404(Team, org, pk=form.cleaned_data["team"]) if form.cleaned_data["team"] else None
        try:
            _inv, link = services.invitation_create(
                org=org,
                actor=request.user,
                email=form.cleaned_data["email"],
                name=form.cleaned_data["name"],
                role=form.cleaned_data["role"],
                team=team,
                base_url=request.build_absolute_uri("/"),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Invitation sent to %(email)s. The link works once and expires in a week: %(link)s")
                % {"email": form.cleaned_data["email"], "link": link},
            )
            return redirect("orgs:members", slug=org.slug)
    members = list(selectors.member_list(org=org))
    return render(
        request,
        "orgs/member_list.html",
        {
            "members": members,
            "invitations": selectors.pending_invitations(org=org),
            "invite_form": form,
            "roles": Role,
        },
        status=400,
    )


@org_view
@require_POST
def invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    org, m = request.org, request.membership
    permissions.require(permissions.is_admin(m), _("Only admins can revoke invitations."))
    invitation = get_scoped_or_404(Invitation, org, pk=invitation_id)
    services.invitation_revoke(invitation=invitation, actor=request.user)
    messages.success(request, _("Invitation of %(email)s revoked.") % {"email": invitation.email})
    return redirect("orgs:members", slug=org.slug)


INVITATION_PROBLEMS = {
    "invalid": _("This invitation link is not valid. Check that you copied the whole link."),
    "used": _("This invitation has already been used. Log in with the account it created."),
    "expired": _("This invitation has expired. Ask an admin of the organisation to invite you again."),
    "revoked": _("This invitation was withdrawn. Ask an admin of the organisation for a new one."),
    "login_required": _(
        "You already have an account with this e-mail address. Log in with it first, then open the link again."
    ),
}


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Public: the invitee lands here from the e-mail."""
    try:
        invitation = services.invitation_lookup(token=token)
    except services.InvitationError as exc:
        return render(
            request,
            "orgs/invitation_problem.html",
            {"problem": str(INVITATION_PROBLEMS[exc.code])},
            status=410 if exc.code != "invalid" else 404,
        )
    existing = User.objects.filter(email__iexact=invitation.email).first()
    if existing is not None:
        if request.method == "POST":
            try:
                membership = services.invitation_accept(
                    token=token, password=None, user=request.user if request.user.is_authenticated else None
                )
            except services.InvitationError as exc:
                return render(
                    request,
                    "orgs/invitation_problem.html",
                    {"problem": str(INVITATION_PROBLEMS[exc.code]), "login": exc.code == "login_required"},
                    status=403 if exc.code == "login_required" else 410,
                )
            messages.success(request, _("Welcome to %(org)s.") % {"org": membership.organization.name})
            return redirect("scorecards:dashboard", slug=membership.organization.slug)
        return render(request, "orgs/invitation_accept.html", {"invitation": invitation, "existing": existing})
    form = AcceptInvitationForm(request.POST or None, initial={"name": invitation.name})
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.invitation_accept(
                token=token, password=form.cleaned_data["password1"], name=form.cleaned_data["name"]
            )
        except ValidationError as exc:
            for msgs in exc.message_dict.values():
                form.add_error("password1", msgs)
        except services.InvitationError as exc:
            return render(
                request,
                "orgs/invitation_problem.html",
                {"problem": str(INVITATION_PROBLEMS[exc.code])},
                status=410,
            )
        else:
            login(request, membership.user, backend="orgs.auth.EmailBackend")
            messages.success(request, _("Welcome to %(org)s.") % {"org": membership.organization.name})
            return redirect("scorecards:dashboard", slug=membership.organization.slug)
    return render(request, "orgs/invitation_accept.html", {"invitation": invitation, "form": form})


# --- settings, activity, profile ---------------------------------------------------------


@org_view
@require_http_methods(["GET", "POST"])
def org_settings(request: HttpRequest) -> HttpResponse:
    org, m = request.org, request.membership
    permissions.require(permissions.is_admin(m), _("Only admins can change the organisation's settings."))
    form = OrganizationSettingsForm(request.POST or None, instance=org)
    if request.method == "POST" and form.is_valid():
        services.organization_update(
            org=org, actor=request.user, **{f: form.cleaned_data[f] for f in form.changed_data}
        )
        messages.success(request, _("Settings saved."))
        return redirect("orgs:settings", slug=org.slug)
    return render(request, "orgs/settings.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        # Through the service: a new name shows in every organisation's cached documents.
        services.user_update(user=request.user, **{f: form.cleaned_data[f] for f in form.changed_data})
        # Say it in the language just chosen, not the one the form was shown in.
        lang = preferred_language(request, request.session.get("current_org"))
        with translation.override(lang or translation.get_language()):
            messages.success(request, _("Profile saved."))
        return redirect("profile")
    return render(request, "orgs/profile.html", {"form": form})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The footer's language switch. For a signed-in person the choice is saved to
    their profile too: their profile language otherwise wins over the cookie, and the
    switch would do nothing."""
    lang = request.POST.get("language", "")
    user = request.user
    if user.is_authenticated and lang in dict(settings.LANGUAGES) and user.language != lang:
        services.user_update(user=user, language=lang)
    return django_set_language(request)


class LoginView(auth_views.LoginView):
    """Django's login, which leaves a device cookie after a success: this browser is then a
    known device for the account, which guesses from elsewhere cannot lock out (orgs.throttle)."""

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        return remember_device(super().form_valid(form), getattr(form, "device_cookie", None))


# --- password reset and change: API tokens go with the old password -----------------------------


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form):  # type: ignore[no-untyped-def]
        response = super().form_valid(form)
        services.api_tokens_revoke(user=form.user)
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form):  # type: ignore[no-untyped-def]
        response = super().form_valid(form)
        services.api_tokens_revoke(user=form.user)
        return response
