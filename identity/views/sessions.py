"""The "where you are logged in" page, logging out everywhere, and an admin ending a member's
sessions; password changes and resets end the other sessions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from identity.services import security
from identity.services.sessions import session_end, session_rekey, sessions_end_all, sessions_of
from orgs import permissions
from orgs import views as org_views
from orgs.models import Membership
from orgs.tenancy import get_scoped_or_404, org_view


@login_required
def session_list(request: HttpRequest) -> HttpResponse:
    rows = list(sessions_of(user=request.user))
    for row in rows:
        row.device = security.device_label(row.user_agent)  # type: ignore[attr-defined]  # for the template
        row.current = row.session_key == request.session.session_key  # type: ignore[attr-defined]  # idem
    return render(request, "identity/sessions.html", {"sessions": rows})


@login_required
@require_POST
def session_end_view(request: HttpRequest, session_id: int) -> HttpResponse:
    if not session_end(user=request.user, session_id=session_id):
        raise Http404
    messages.success(request, _("That session is logged out."))
    return redirect("identity:sessions")


@login_required
@require_POST
def sessions_end_everywhere(request: HttpRequest) -> HttpResponse:
    """Every session of the person ends, this one too."""
    user = request.user
    sessions_end_all(user=user, keep_session_key=request.session.session_key)
    security.security_event_everywhere(user=user, verb="sessions_ended", request=request, details={"by": "self"})
    logout(request)
    messages.success(request, _("You are logged out everywhere."))
    return redirect("login")


@org_view
@require_POST
def member_sessions_end(request: HttpRequest, user_id: int) -> HttpResponse:
    """An admin ends a member's sessions (every browser they are logged in with)."""
    org, m = request.org, request.membership
    permissions.require(permissions.is_admin(m), _("Only admins can end a member's sessions."))
    target = get_scoped_or_404(Membership, org, user_id=user_id).user
    count = sessions_end_all(
        user=target, keep_session_key=request.session.session_key if target.pk == request.user.pk else None
    )
    security.security_event(
        org=org, actor=request.user, verb="sessions_ended", request=request, target=target, details={"count": count}
    )
    messages.success(request, _("%(name)s is logged out everywhere.") % {"name": target.display_name})
    return redirect("orgs:member_edit", slug=org.slug, user_id=user_id)


class PasswordChangeView(org_views.PasswordChangeView):
    """The password change (API tokens already go with the old password) ends every other session."""

    def form_valid(self, form):  # type: ignore[no-untyped-def]  # Django's own signature, untyped in the stubs
        old_key = self.request.session.session_key
        response = super().form_valid(form)  # gives this browser's session a new key
        session_rekey(old_key=old_key, new_key=self.request.session.session_key)
        sessions_end_all(user=form.user, keep_session_key=self.request.session.session_key)
        security.security_event_everywhere(user=form.user, verb="password_changed", request=self.request)
        return response


class PasswordResetConfirmView(org_views.PasswordResetConfirmView):
    """A reset ends every session of the account (its password was perhaps known to someone else)."""

    def form_valid(self, form):  # type: ignore[no-untyped-def]  # Django's own signature, untyped in the stubs
        response = super().form_valid(form)
        sessions_end_all(user=form.user)
        security.security_event_everywhere(user=form.user, verb="password_reset", request=self.request)
        return response
