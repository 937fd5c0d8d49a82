"""``/o/<slug>/settings/chat/``: the person's linked chat accounts (unlink), and for
admins the connected Slack workspaces and Teams tenants (connect, disconnect)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.forms import add_service_errors
from integrations.forms import ConnectForm
from integrations.models import ChatInstallation, ChatLink
from integrations.selectors import installations
from integrations.services.links import installation_delete, installation_save, link_delete
from orgs import permissions
from orgs.tenancy import get_scoped_or_404, org_view


@org_view
@require_http_methods(["GET", "POST"])
def chat_settings(request: HttpRequest) -> HttpResponse:
    org, membership = request.org, request.membership
    admin = permissions.is_admin(membership)
    form = ConnectForm()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "unlink":
            link = get_scoped_or_404(ChatLink, org, pk=request.POST.get("link") or 0, user=request.user)
            link_delete(link=link, actor=request.user)
            messages.success(request, _("The chat account is no longer linked."))
            return redirect("integrations_org:chat", slug=org.slug)
        permissions.require(admin, _("Only admins connect chat workspaces."))
        if action == "disconnect":
            row = get_scoped_or_404(ChatInstallation, org, pk=request.POST.get("installation") or 0)
            installation_delete(installation=row, actor=request.user)
            messages.success(request, _("Disconnected."))
            return redirect("integrations_org:chat", slug=org.slug)
        form = ConnectForm(request.POST)
        if form.is_valid():
            try:
                installation_save(org=org, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Connected."))
                return redirect("integrations_org:chat", slug=org.slug)
        status = 400
    context = {
        "form": form,
        "admin": admin,
        "installations": list(installations(org=org)) if admin else [],
        "links": list(ChatLink.objects.filter(organization=org, user=request.user).order_by("platform", "id")),
    }
    return render(request, "integrations/chat_settings.html", context, status=status)
