"""Comment, react and acknowledge from the objective page (POST, then back to it).
A refused comment re-renders the objective page with what was typed and why."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from conversations import services
from conversations.forms import CommentForm
from conversations.models import Comment, ReactionKind
from core.forms import add_service_errors
from objectives import selectors as objective_selectors
from objectives.models import CheckIn, Objective
from objectives.views import _detail_context
from orgs.tenancy import get_visible_or_404, org_view


def _objective_url(request: HttpRequest, objective_id: int, anchor: str = "") -> str:
    url = reverse("objectives:detail", kwargs={"slug": request.org.slug, "objective_id": objective_id})
    return f"{url}#{anchor}" if anchor else url


def _page_with_form(
    request: HttpRequest, objective_id: int, form: CommentForm, check_in: CheckIn | None
) -> HttpResponse:
    """The objective page again, with the refused comment where it was typed and the reason."""
    try:
        objective = objective_selectors.objective_detail(seen_by=request.membership, objective_id=objective_id)
    except Objective.DoesNotExist:
        raise Http404 from None
    context = _detail_context(request, objective)
    if check_in is None:
        context["comment_form"] = form
    else:
        for ci in context.get("history", []):
            if ci.pk == check_in.pk:
                ci.reply_body = form.data.get("body", "")
                ci.reply_error = " ".join(str(e) for errs in form.errors.values() for e in errs)
    return render(request, "objectives/objective_detail.html", context, status=400)


def _create(
    request: HttpRequest, *, objective_id: int, objective: Objective | None, check_in: CheckIn | None
) -> HttpResponse:
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            comment = services.comment_create(
                org=request.org,
                actor=request.user,
                body=form.cleaned_data["body"],
                objective=objective,
                check_in=check_in,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect(_objective_url(request, objective_id, f"comment-{comment.pk}"))
    return _page_with_form(request, objective_id, form, check_in)


@org_view
@require_POST
def objective_comment(request: HttpRequest, objective_id: int) -> HttpResponse:
    objective = get_visible_or_404(Objective, request.membership, pk=objective_id)
    return _create(request, objective_id=objective.pk, objective=objective, check_in=None)


@org_view
@require_POST
def check_in_comment(request: HttpRequest, check_in_id: int) -> HttpResponse:
    check_in = get_visible_or_404(CheckIn, request.membership, pk=check_in_id)
    return _create(request, objective_id=check_in.key_result.objective_id, objective=None, check_in=check_in)


def _own_comment(request: HttpRequest, comment_id: int) -> Comment:
    comment = get_visible_or_404(Comment, request.membership, pk=comment_id)
    if comment.author_id != request.user.pk:
        raise PermissionDenied(_("Only the author of a comment can change or delete it."))
    return comment


@org_view
@require_http_methods(["GET", "POST"])
def comment_edit(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment = _own_comment(request, comment_id)
    form = CommentForm(request.POST or None, initial={"body": comment.body})
    if request.method == "POST" and form.is_valid():
        try:
            services.comment_update(comment=comment, actor=request.user, body=form.cleaned_data["body"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Comment updated."))
            return redirect(_objective_url(request, comment.objective_id, f"comment-{comment.pk}"))
    return render(
        request,
        "conversations/comment_form.html",
        {"form": form, "comment": comment, "back": _objective_url(request, comment.objective_id)},
        status=400 if form.errors else 200,
    )


@org_view
@require_http_methods(["GET", "POST"])
def comment_delete(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment = _own_comment(request, comment_id)
    if request.method == "POST":
        services.comment_delete(comment=comment, actor=request.user)
        messages.success(request, _("Comment deleted."))
        return redirect(_objective_url(request, comment.objective_id))
    return render(
        request,
        "conversations/comment_delete.html",
        {"comment": comment, "back": _objective_url(request, comment.objective_id, f"comment-{comment.pk}")},
    )


def _kind(request: HttpRequest) -> str:
    kind = request.POST.get("kind", "")
    if kind not in ReactionKind.values:
        raise Http404
    return kind


@org_view
@require_POST
def check_in_react(request: HttpRequest, check_in_id: int) -> HttpResponse:
    check_in = get_visible_or_404(CheckIn, request.membership, pk=check_in_id)
    services.reaction_toggle(org=request.org, actor=request.user, kind=_kind(request), check_in=check_in)
    return redirect(_objective_url(request, check_in.key_result.objective_id, f"check-in-{check_in.pk}"))


@org_view
@require_POST
def comment_react(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment = get_visible_or_404(Comment, request.membership, pk=comment_id)
    services.reaction_toggle(org=request.org, actor=request.user, kind=_kind(request), comment=comment)
    return redirect(_objective_url(request, comment.objective_id, f"comment-{comment.pk}"))


@org_view
@require_POST
def check_in_acknowledge(request: HttpRequest, check_in_id: int) -> HttpResponse:
    check_in = get_visible_or_404(CheckIn, request.membership, pk=check_in_id)
    services.check_ins_acknowledge(org=request.org, actor=request.user, check_ins=[check_in])
    messages.success(request, _("Check-in acknowledged."))
    return redirect(_objective_url(request, check_in.key_result.objective_id, f"check-in-{check_in.pk}"))
