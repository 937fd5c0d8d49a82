from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from core.forms import add_service_errors
from notifications import channels, selectors, services
from notifications.forms import ChannelForm, PreferencesForm
from notifications.mailer import read_unsubscribe_token
from notifications.models import Channel, ChannelKind, NotificationKind, NotificationSettings
from orgs import permissions
from orgs.models import Membership
from orgs.tenancy import get_scoped_or_404, org_view, scoped


@org_view
def notification_list(request: HttpRequest) -> HttpResponse:
    items = list(selectors.notifications_for(org=request.org, user=request.user, membership=request.membership)[:100])
    return render(request, "notifications/list.html", {"items": items})


@org_view
@require_POST
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one notification read and go to what it is about; one about something the person
    may no longer see is a 404, like a missing one."""
    shown = selectors.notifications_for(org=request.org, user=request.user, membership=request.membership)
    notification = get_object_or_404(shown, pk=notification_id)
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


@org_view
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    """How each kind of notification reaches me, and my quiet hours."""
    current = scoped(NotificationSettings, request.org).filter(user=request.user).first()
    form = PreferencesForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.notification_settings_update(
                org=request.org,
                user=request.user,
                deliveries=form.deliveries(),
                quiet_start=form.cleaned_data["quiet_start"],
                quiet_end=form.cleaned_data["quiet_end"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Your notification settings are saved."))
            return redirect("notifications:preferences", slug=request.org.slug)
    return render(request, "notifications/preferences.html", {"form": form}, status=400 if form.errors else 200)


# --- channels (admins) ---------------------------------------------------------------


NEW_SECRET_KEY = "notifications.new_channel_secret"  # noqa: S105 — a session key, not a secret


@org_view
@require_http_methods(["GET", "POST"])
def channel_list(request: HttpRequest) -> HttpResponse:
    """Admins list, add, pause and delete channels. A new webhook's signing secret is
    shown once, on the page the creation redirects to (kept in the server-side
    session for that one display, never in a cookie or a URL)."""
    permissions.require(permissions.is_admin(request.membership), _("Only admins manage delivery channels."))
    form = ChannelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = channels.channel_create(
                org=request.org,
                actor=request.user,
                kind=form.cleaned_data["kind"],
                name=form.cleaned_data["name"],
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                restricted_safe=form.cleaned_data["restricted_safe"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if created.kind == ChannelKind.WEBHOOK:
                request.session[NEW_SECRET_KEY] = {"id": created.pk, "secret": created.secret}
            messages.success(request, _("Channel added."))
            return redirect("notifications:channels", slug=request.org.slug)
    items = list(scoped(Channel, request.org).order_by("name", "id"))
    shown = request.session.pop(NEW_SECRET_KEY, None) if request.method == "GET" else None
    new_secret = shown["secret"] if shown and any(c.pk == shown.get("id") for c in items) else None
    return render(
        request,
        "notifications/channels.html",
        {
            "form": form,
            "channels": items,
            "new_secret": new_secret,
            "undelivered": selectors.undelivered(org=request.org),
        },
        status=400 if form.errors else 200,
    )


@org_view
@require_POST
def channel_toggle(request: HttpRequest, channel_id: int) -> HttpResponse:
    permissions.require(permissions.is_admin(request.membership), _("Only admins manage delivery channels."))
    channel = get_scoped_or_404(Channel, request.org, pk=channel_id)
    channels.channel_update(channel=channel, actor=request.user, active=not channel.active)
    return redirect("notifications:channels", slug=request.org.slug)


@org_view
@require_POST
def channel_delete(request: HttpRequest, channel_id: int) -> HttpResponse:
    permissions.require(permissions.is_admin(request.membership), _("Only admins manage delivery channels."))
    channel = get_scoped_or_404(Channel, request.org, pk=channel_id)
    channels.channel_delete(channel=channel, actor=request.user)
    messages.success(request, _("Channel deleted."))
    return redirect("notifications:channels", slug=request.org.slug)


# --- unsubscribe (no login: the signed token is the proof) -----------------------------


@csrf_exempt  # RFC 8058 one-click unsubscribe POSTs without a session; the signed token authorises it
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    data = read_unsubscribe_token(token)
    membership = None
    if data is not None and data["k"] in NotificationKind.values:
        membership = (
            Membership.objects.filter(organization_id=data["o"], user_id=data["u"])
            .select_related("organization")
            .first()
        )
    if membership is None:
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=404)
    kind = NotificationKind(data["k"])
    done = False
    if request.method == "POST":
        services.notification_unsubscribe(org=membership.organization, user_id=membership.user_id, kind=kind)
        done = True
    return render(
        request,
        "notifications/unsubscribe.html",
        {
            "kind": kind,
            "org_name": membership.organization.name,
            "done": done,
            "org_slug": membership.organization.slug,
        },
    )
