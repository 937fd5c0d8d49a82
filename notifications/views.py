from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from notifications import selectors, services
from notifications.models import Notification
from orgs.tenancy import get_scoped_or_404, org_view


@org_view
def notification_list(request: HttpRequest) -> HttpResponse:
    items = list(selectors.notifications_for(org=request.org, user=request.user)[:100])
    return render(request, "notifications/list.html", {"items": items})


@org_view
@require_POST
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one notification read and go to what it is about."""
    notification = get_scoped_or_404(Notification, request.org, pk=notification_id, recipient=request.user)
    services.notification_mark_read(notification=notification)
    target = notification.url
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    if target:
        return redirect(target)
    return redirect("notifications:list", slug=request.org.slug)


@org_view
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    services.notification_mark_all_read(org=request.org, user=request.user)
    return redirect("notifications:list", slug=request.org.slug)
