"""The organisation's single sign-on settings page (admins)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.forms import add_service_errors
from identity.forms import SsoSettingsForm
from identity.services.sso import provider_of, sso_configure, sso_remove
from orgs import permissions
from orgs.tenancy import org_view


@org_view
@require_http_methods(["GET", "POST"])
def sso_settings(request: HttpRequest) -> HttpResponse:
    org, m = request.org, request.membership
    permissions.require(permissions.is_admin(m), _("Only admins can change single sign-on."))
    provider = provider_of(org=org)
    if request.method == "POST" and request.POST.get("remove"):
        sso_remove(org=org, actor=request.user, request=request)
        messages.success(request, _("Single sign-on is removed: members log in with their password."))
        return redirect("identity_admin:sso_settings", slug=org.slug)
    initial = {}
    if provider is not None:
        initial = {
            "issuer": provider.issuer,
            "client_id": provider.client_id,
            "domains": ", ".join(provider.domains),
            "role_mapping": SsoSettingsForm.mapping_text(provider.role_mapping),
            "default_role": provider.default_role,
            "groups_claim": provider.groups_claim,
            "sso_only": provider.sso_only,
            "active": provider.active,
        }
    form = SsoSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            sso_configure(org=org, actor=request.user, request=request, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Single sign-on saved."))
            return redirect("identity_admin:sso_settings", slug=org.slug)
    callback = request.build_absolute_uri(f"/o/{org.slug}/sso/callback/")
    return render(request, "identity/sso_settings.html", {"form": form, "provider": provider, "callback_url": callback})
