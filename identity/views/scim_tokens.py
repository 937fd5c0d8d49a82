"""The organisation's SCIM tokens (admins): made here, shown once, revoked here."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from identity.models import ScimToken
from identity.services.scim import scim_token_create, scim_token_revoke
from orgs import permissions
from orgs.tenancy import get_scoped_or_404, org_view, scoped


@org_view
@require_http_methods(["GET", "POST"])
def scim_token_list(request: HttpRequest) -> HttpResponse:
    org, m = request.org, request.membership
    permissions.require(permissions.is_admin(m), _("Only admins manage SCIM tokens."))
    new_key, error = None, None
    if request.method == "POST":
        try:
            _token, new_key = scim_token_create(
                org=org, actor=request.user, name=request.POST.get("name", ""), request=request
            )
        except ValidationError:
            error = _("Name the token (the directory that will use it).")
    tokens = scoped(ScimToken, org).select_related("created_by")
    base_url = request.build_absolute_uri(f"/scim/v2/orgs/{org.slug}/")
    return render(
        request,
        "identity/scim_tokens.html",
        {
            "tokens": tokens,
            "new_key": new_key,
            "error": error,
            "base_url": base_url,
            "name": request.POST.get("name", ""),
        },
    )


@org_view
@require_POST
def scim_token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    org, m = request.org, request.membership
    permissions.require(permissions.is_admin(m), _("Only admins manage SCIM tokens."))
    token = get_scoped_or_404(ScimToken, org, pk=token_id)
    scim_token_revoke(token=token, actor=request.user, request=request)
    messages.success(request, _("The token is revoked: the directory can no longer use it."))
    return redirect("identity_admin:scim_tokens", slug=org.slug)
