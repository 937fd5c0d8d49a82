"""The page that links a chat account to the member who opens it (signed in)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from integrations.services.links import link_confirm, link_request_read
from orgs.models import Membership


@login_required
@require_http_methods(["GET", "POST"])
def link(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks; POST links. The link names its organisation: a person who is not a
    member there is told so, and nothing is linked."""
    pending = link_request_read(token)
    membership = None
    if pending is not None:
        membership = (
            Membership.objects.filter(organization_id=pending.organization_id, user=request.user)
            .select_related("organization", "user")
            .first()
        )
    error = ""
    if pending is None:
        error = _("This link has expired or was already used. Ask for a new one in the chat.")
    elif membership is None:
        error = _("You are not a member of the organisation this chat account belongs to.")
    if request.method == "POST" and membership is not None:
        try:
            link_confirm(token=token, membership=membership)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("Your chat account is linked. Check in from the chat now."))
            return redirect("objectives:my_check_ins", slug=membership.organization.slug)
    context = {"pending": pending, "membership": membership, "error": error}
    return render(request, "integrations/link.html", context, status=400 if error else 200)
