"""The "To do" inbox page, the landing after login, and its quick actions."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from conversations import services as conversation_services
from conversations.models import Comment
from core.ids import parse_id
from objectives.models import CheckIn
from orgs.tenancy import get_visible_or_404, org_view, visible
from reminders.inbox import ItemKind, inbox


@org_view
def start(request: HttpRequest) -> HttpResponse:
    """Where "home" lands: the inbox when something is due, the dashboard otherwise."""
    if inbox(org=request.org, membership=request.membership):
        return redirect("inbox:inbox", slug=request.org.slug)
    return redirect("scorecards:dashboard", slug=request.org.slug)


@org_view
def inbox_page(request: HttpRequest) -> HttpResponse:
    items = inbox(org=request.org, membership=request.membership)
    groups = [
        (ItemKind.MENTION, _("Mentions"), [i for i in items if i.kind == ItemKind.MENTION]),
        (
            ItemKind.ACKNOWLEDGE,
            _("Check-ins of your team to acknowledge"),
            [i for i in items if i.kind == ItemKind.ACKNOWLEDGE],
        ),
        (ItemKind.APPROVAL, _("Objectives to review"), [i for i in items if i.kind == ItemKind.APPROVAL]),
        (
            ItemKind.REVIEW,
            _("Retrospectives to acknowledge"),
            [i for i in items if i.kind == ItemKind.REVIEW],
        ),
        (
            ItemKind.RETROSPECTIVE,
            _("Retrospectives to write"),
            [i for i in items if i.kind == ItemKind.RETROSPECTIVE],
        ),
        (ItemKind.CHECK_IN, _("Key results to check in this week"), [i for i in items if i.kind == ItemKind.CHECK_IN]),
        (ItemKind.KPI, _("KPI values to record"), [i for i in items if i.kind == ItemKind.KPI]),
        (ItemKind.SOURCE, _("Pulled values to look at"), [i for i in items if i.kind == ItemKind.SOURCE]),
    ]
    return render(
        request,
        "reminders/inbox.html",
        {"items": items, "groups": [g for g in groups if g[2]], "today": request.org.today()},
    )


@org_view
@require_POST
def mention_open(request: HttpRequest, comment_id: int) -> HttpResponse:
    """Mark my mention in a comment seen and go to the comment."""
    comment = get_visible_or_404(Comment, request.membership, pk=comment_id)
    conversation_services.mentions_mark_seen(org=request.org, user=request.user, comment_ids=[comment.pk])
    url = reverse("objectives:detail", kwargs={"slug": request.org.slug, "objective_id": comment.objective_id})
    return redirect(f"{url}#comment-{comment.pk}")


@org_view
@require_POST
def acknowledge(request: HttpRequest) -> HttpResponse:
    """Acknowledge the listed check-ins (one person's, from the inbox) at once."""
    ids = [i for i in (parse_id(v) for v in request.POST.getlist("check_in")) if i is not None]
    check_ins = list(visible(CheckIn, request.membership).filter(pk__in=ids))
    if len(check_ins) != len(set(ids)) or not ids:
        messages.error(request, _("Those check-ins are no longer there."))
        return redirect("inbox:inbox", slug=request.org.slug)
    n = conversation_services.check_ins_acknowledge(org=request.org, actor=request.user, check_ins=check_ins)
    messages.success(request, ngettext("%(n)d check-in acknowledged.", "%(n)d check-ins acknowledged.", n) % {"n": n})
    return redirect("inbox:inbox", slug=request.org.slug)
