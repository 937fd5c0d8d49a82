"""Two-factor pages: enrolment (QR code, recovery codes shown once), the code asked after a
correct password, and the code an organisation that requires it asks of an open session."""

from __future__ import annotations

import time

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.clientip import client_ip
from identity.services import security
from identity.services.two_factor import (
    enrolment_device,
    has_two_factor,
    qr_svg,
    two_factor_confirm,
    two_factor_require,
    two_factor_verify,
)
from orgs import permissions
from orgs.models import User
from orgs.tenancy import SESSION_PASSWORD, SESSION_SSO_ORGS, SESSION_TWO_FACTOR, org_view
from orgs.throttle import LoginThrottle, wait_message

# A password login waiting for its second factor: the person's id, where to go, when (seconds).
PENDING = "okrkpi_2fa_pending"
PENDING_SECONDS = 300


def _next(request: HttpRequest, value: str | None) -> str:
    if value and url_has_allowed_host_and_scheme(value, {request.get_host()}, require_https=request.is_secure()):
        return value
    return "/start/"


def _checked(request: HttpRequest, user: User, code: str) -> tuple[str | None, str | None]:
    """(the factor that accepted the code, or None; the error to show, or None). A wrong code
    is counted like a wrong password: per account and per client, with the same waits."""
    throttle, client = LoginThrottle(), client_ip(request)
    wait = throttle.retry_after(email=user.email, client=client)
    if wait:
        return None, wait_message(wait)
    factor = two_factor_verify(user=user, code=code)
    if factor is None:
        throttle.failed(email=user.email, client=client)
        security.security_event_everywhere(
            user=user, verb="login_failed", request=request, details={"method": "two_factor"}
        )
        return None, _("That code is not right. Use the current code of your app, or a recovery code.")
    throttle.succeeded(email=user.email, client=client)
    return factor, None


def start_second_step(request: HttpRequest, user: User, next_url: str) -> HttpResponse:
    """Called by the login page after a correct password, for a person with an authenticator."""
    request.session[PENDING] = {"user": user.pk, "next": next_url, "at": time.time()}
    return redirect("identity:login_verify")


@require_http_methods(["GET", "POST"])
def login_verify(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(PENDING)
    if not pending or time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        messages.info(request, _("Log in again: the code was not entered in time."))
        return redirect("login")
    user = User.objects.filter(pk=pending["user"], is_active=True).first()
    if user is None:
        return redirect("login")
    error = None
    if request.method == "POST":
        factor, error = _checked(request, user, str(request.POST.get("code", "")))
        if factor is not None:
            request.session.pop(PENDING, None)
            login(request, user, backend="orgs.auth.EmailBackend")
            request.session[SESSION_PASSWORD] = True
            request.session[SESSION_TWO_FACTOR] = True
            request.session[SESSION_SSO_ORGS] = []
            security.security_event_everywhere(
                user=user, verb="login", request=request, details={"method": f"password+{factor}"}
            )
            if factor == "recovery":
                messages.warning(request, _("You used a recovery code: it will not work again."))
            return HttpResponseRedirect(_next(request, pending.get("next")))
    return render(request, "identity/two_factor_code.html", {"error": error, "login": True})


@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """Enrol (no authenticator yet), or enter a code for this session (an organisation requires it)."""
    user = request.user
    next_url = _next(request, request.GET.get("next") or request.POST.get("next"))
    if has_two_factor(user=user):
        if request.session.get(SESSION_TWO_FACTOR):
            return render(request, "identity/two_factor_on.html", {})
        error = None
        if request.method == "POST":
            factor, error = _checked(request, user, str(request.POST.get("code", "")))
            if factor is not None:
                request.session[SESSION_TWO_FACTOR] = True
                return HttpResponseRedirect(next_url)
        return render(request, "identity/two_factor_code.html", {"error": error, "next": next_url})
    device = enrolment_device(user=user)
    error = None
    if request.method == "POST":
        codes = two_factor_confirm(user=user, code=str(request.POST.get("code", "")), request=request)
        if codes is not None:
            request.session[SESSION_TWO_FACTOR] = True
            return render(request, "identity/two_factor_codes.html", {"codes": codes, "next": next_url})
        error = _("That code is not right. Scan the QR code again and enter the code your app shows now.")
    secret = device.config_url.split("secret=", 1)[1].split("&", 1)[0]
    return render(
        request,
        "identity/two_factor_enrol.html",
        {"qr": qr_svg(device), "secret": secret, "error": error, "next": next_url},
    )


@org_view
@require_POST
def two_factor_settings(request: HttpRequest) -> HttpResponse:
    org, m = request.org, request.membership
    permissions.require(permissions.is_admin(m), _("Only admins can require two-factor login."))
    required = request.POST.get("require_two_factor") == "on"
    two_factor_require(org=org, actor=request.user, required=required, request=request)
    messages.success(
        request, _("Two-factor login is now required.") if required else _("Two-factor login is optional.")
    )
    return redirect("identity_admin:sso_settings", slug=org.slug)
