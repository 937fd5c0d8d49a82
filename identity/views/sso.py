"""Logging in through an organisation's identity provider, and the e-mail-first login page.

``/o/<org_slug>/sso/login/`` and ``…/callback/`` are public (the person has no session yet):
they take the organisation's slug under another name than the tenant pages' ``slug``, which
are all members-only (``orgs.tenancy``), and open nothing themselves — the callback logs in
only once the provider's ID token is verified, and for that organisation only."""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import login
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from identity import oidc
from identity.forms import LoginForm
from identity.models import OidcProvider
from identity.receivers import LOGIN_METHOD
from identity.services import security
from identity.services.sso import SsoRefused, client_secret, provider_for_email, sso_login_complete
from identity.services.two_factor import has_two_factor
from identity.views.two_factor import start_second_step
from orgs import views as org_views
from orgs.models import User
from orgs.tenancy import SESSION_PASSWORD, SESSION_SSO_ORGS

PENDING = "okrkpi_oidc_pending"

PROBLEMS = {
    "wrong_state": gettext_lazy("This sign-in link was already used or has expired. Start again."),
    "provider_error": gettext_lazy("Your identity provider refused the sign-in."),
    "no_email": gettext_lazy("Your identity provider did not say your e-mail address, so you cannot be signed in."),
    "email_unverified": gettext_lazy("Your identity provider has not verified your e-mail address."),
    "domain_not_allowed": gettext_lazy("Your e-mail address is not in a domain this organisation's sign-on allows."),
    "inactive": gettext_lazy("This account is deactivated."),
    "replayed": gettext_lazy("This sign-in was already used. Start again."),
}
DEFAULT_PROBLEM = gettext_lazy("The identity provider's answer could not be verified, so you are not signed in.")


def _provider(org_slug: str) -> OidcProvider:
    provider = (
        OidcProvider.objects.filter(organization__slug=org_slug, active=True).select_related("organization").first()
    )
    if provider is None:
        raise Http404("No single sign-on here.")
    return provider


def _callback_url(request: HttpRequest, org_slug: str) -> str:
    return request.build_absolute_uri(reverse("identity:sso_callback", kwargs={"org_slug": org_slug}))


def _safe_next(request: HttpRequest, value: str | None, default: str) -> str:
    if value and url_has_allowed_host_and_scheme(value, {request.get_host()}, require_https=request.is_secure()):
        return value
    return default


@require_GET
def sso_login(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Send the browser to the organisation's provider (code flow with PKCE, state, nonce)."""
    provider = _provider(org_slug)
    try:
        discovery = oidc.discover(provider.issuer)
    except oidc.OidcError:
        return _problem(request, provider, "unreachable", status=502)
    auth = oidc.authorization_request(
        discovery=discovery, client_id=provider.client_id, redirect_uri=_callback_url(request, org_slug)
    )
    next_url = _safe_next(request, request.GET.get("next"), reverse("scorecards:dashboard", kwargs={"slug": org_slug}))
    request.session[PENDING] = {
        "org": provider.organization_id,
        "state": auth.state,
        "nonce": auth.nonce,
        "verifier": auth.verifier,
        "next": next_url,
    }
    return HttpResponseRedirect(auth.url)


def _problem(request: HttpRequest, provider: OidcProvider | None, code: str, *, status: int = 400) -> HttpResponse:
    return render(
        request,
        "identity/sso_problem.html",
        {"problem": PROBLEMS.get(code, DEFAULT_PROBLEM), "code": code, "provider": provider},
        status=status,
    )


def _nonce_used(nonce: str) -> bool:
    """Whether this nonce already opened a session (then the token is a replay); remembers it."""
    key = "identity:oidc:nonce:" + hashlib.sha256(nonce.encode()).hexdigest()
    return not cache.add(key, 1, settings.OIDC_NONCE_SECONDS)


@require_GET
def sso_callback(request: HttpRequest, org_slug: str) -> HttpResponse:
    """The provider's answer: the state must be this browser's, the code is exchanged with the
    PKCE verifier, the ID token verified; then the member of this organisation is logged in."""
    provider = _provider(org_slug)
    pending = request.session.pop(PENDING, None)
    state = request.GET.get("state", "")
    if not pending or pending.get("org") != provider.organization_id or not state or state != pending.get("state"):
        return _problem(request, provider, "wrong_state")
    if request.GET.get("error") or not request.GET.get("code"):
        return _problem(request, provider, "provider_error")
    try:
        discovery = oidc.discover(provider.issuer)
        id_token = oidc.exchange_code(
            discovery=discovery,
            client_id=provider.client_id,
            client_secret=client_secret(provider),
            redirect_uri=_callback_url(request, org_slug),
            code=request.GET["code"],
            verifier=pending["verifier"],
        )
        claims = oidc.verify_id_token(
            id_token=id_token,
            discovery=discovery,
            client_id=provider.client_id,
            nonce=pending["nonce"],
            now=timezone.now().timestamp(),
        )
        if _nonce_used(str(claims["nonce"])):
            raise SsoRefused("replayed")
        membership = sso_login_complete(provider=provider, claims=claims)
    except oidc.OidcError as exc:
        return _sso_failed(request, provider, exc.code)
    except SsoRefused as exc:
        return _sso_failed(request, provider, exc.code)
    _log_in(request, membership.user, provider)
    return HttpResponseRedirect(pending.get("next") or "/")


def _sso_failed(request: HttpRequest, provider: OidcProvider, code: str) -> HttpResponse:
    security.security_event(
        org=provider.organization,
        actor=None,
        verb="sso_login_failed",
        request=request,
        target_type="identity.oidcprovider",
        details={"reason": code},
    )
    return _problem(request, provider, code)


def _log_in(request: HttpRequest, user: User, provider: OidcProvider) -> None:
    """Log in (or add this organisation to the same person's session): the provider vouches
    for its own organisation, never for another."""
    same_person = request.user.is_authenticated and request.user.pk == user.pk
    keep_password = bool(request.session.get(SESSION_PASSWORD, True)) if same_person else False
    sso_orgs = list(request.session.get(SESSION_SSO_ORGS, [])) if same_person else []
    setattr(request, LOGIN_METHOD, "sso")
    login(request, user, backend="orgs.auth.EmailBackend")
    security.security_event(
        org=provider.organization, actor=user, verb="login", request=request, target=user, details={"method": "sso"}
    )
    request.session[SESSION_PASSWORD] = keep_password
    request.session[SESSION_SSO_ORGS] = sorted({*sso_orgs, provider.organization_id})
    request.session["current_org"] = provider.organization.slug


class LoginView(org_views.LoginView):
    """The login page, e-mail first: an address whose domain has single sign-on, sent without a
    password, goes to its provider; any other asks for the password. A password login marks
    the session as one (``orgs.tenancy``: it opens the organisations that allow passwords)."""

    form_class = LoginForm
    authentication_form = LoginForm

    def dispatch(self, request, *args, **kwargs):  # type: ignore[no-untyped-def]  # Django's own signature, untyped in the stubs
        # A session that single sign-on opened may still log in with a password, to open the
        # organisations that ask for one (orgs.tenancy sends it here): no redirect loop.
        if request.user.is_authenticated and not request.session.get(SESSION_PASSWORD, True):
            self.redirect_authenticated_user = False
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):  # type: ignore[no-untyped-def]  # Django's own signature, untyped in the stubs
        email = str(request.POST.get("username") or "").strip()
        if email and not request.POST.get("password"):
            provider = provider_for_email(email=email)
            if provider is not None:
                target = reverse("identity:sso_login", kwargs={"org_slug": provider.organization.slug})
                nxt = request.POST.get("next")
                if nxt:
                    target += "?" + urlencode({"next": nxt})
                if request.headers.get("HX-Request"):
                    # htmx's in-place e-mail step: the browser itself goes to the address.
                    return HttpResponse(headers={"HX-Redirect": target})
                # A page that goes on by itself, not a redirect: the content security policy's
                # form-action would stop a form's redirect to the provider's address.
                return render(request, "identity/sso_continue.html", {"target": target, "provider": provider})
            if request.POST.get("step") == "email":
                # The e-mail step, answered: the password step, the address kept, nothing wrong yet.
                form = self.get_form_class()(request, initial={"username": email})
                form.fields["username"].widget.attrs.pop("autofocus", None)
                form.fields["password"].widget.attrs["autofocus"] = True
                return self.render_to_response(self.get_context_data(form=form, password_step=True))
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):  # type: ignore[no-untyped-def]  # Django's own signature, untyped in the stubs
        context = super().get_context_data(**kwargs)
        # A form sent with its password (wrong, or refused) stays on the password step.
        context.setdefault("password_step", context["form"].is_bound)
        return context

    def form_valid(self, form):  # type: ignore[no-untyped-def]  # Django's own signature, untyped in the stubs
        if has_two_factor(user=form.get_user()):
            return start_second_step(self.request, form.get_user(), self.get_success_url())
        sso_orgs = self.request.session.get(SESSION_SSO_ORGS, []) if self.request.user.pk == form.get_user().pk else []
        response = super().form_valid(form)
        security.security_event_everywhere(
            user=form.get_user(), verb="login", request=self.request, details={"method": "password"}
        )
        self.request.session[SESSION_PASSWORD] = True
        self.request.session[SESSION_SSO_ORGS] = sso_orgs
        return response
