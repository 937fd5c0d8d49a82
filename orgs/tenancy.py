"""Tenant scoping, written once, failing closed.

The organisation comes from the URL (``/o/<slug>/…`` and
``/api/v1/orgs/<slug>/…``). ``resolve_membership`` finds it among the caller's
memberships (``request_memberships``: one query per request, read with the
user); anything else — unknown slug,
anonymous caller, not a member — is a 404, exactly like a missing object.
The result is attached to the request object (which lives for one request),
never to a thread-local.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from orgs.models import LoginRule, Membership, Organization
from orgs.selectors import LOADED_MEMBERSHIPS, user_memberships
from orgs.visibility import visible_scope

M = TypeVar("M", bound=Model)


def request_memberships(request: HttpRequest, *, figures: bool = True) -> list[Membership]:
    """The caller's memberships with their organisations, read once per request: those the
    authentication backend loaded with the session's user (no query), else one query. Kept
    on the request (which lives for one request) under the user's id, so a user object
    that outlives a request never carries an organisation's old data version into the next.
    ``figures=False`` (the API) leaves out the figures pages show (the bell's count)."""
    user = request.user
    if not user.is_authenticated:
        return []
    cached = getattr(request, "_okrkpi_memberships", None)
    if cached is not None and cached[0] == user.pk:
        return cached[1]
    memberships = getattr(user, LOADED_MEMBERSHIPS, None)
    if memberships is not None:
        delattr(user, LOADED_MEMBERSHIPS)  # through the lazy user, on the user itself
    else:
        memberships = user_memberships(user=user, figures=figures)
        for m in memberships:
            m.user = user
    request._okrkpi_memberships = (user.pk, memberships)  # type: ignore[attr-defined]
    return memberships


def resolve_membership(request: HttpRequest, slug: str, *, figures: bool = True) -> Membership:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        raise Http404("No such organisation.")
    memberships = request_memberships(request, figures=figures)
    membership = next((m for m in memberships if m.organization.slug == slug), None)
    if membership is None:
        raise Http404("No such organisation.")
    check_login_rule(request, membership.organization)
    request.org = membership.organization  # type: ignore[attr-defined]
    request.membership = membership  # type: ignore[attr-defined]
    return membership


# How this session logged in (set by ``identity`` at login): the organisations whose identity
# provider vouched for it, and whether a password (with its second factor, when one was asked)
# did. A session without the keys logged in by password, as every session did before them.
SESSION_SSO_ORGS = "okrkpi_sso_orgs"
SESSION_PASSWORD = "okrkpi_password"  # noqa: S105 — a session key's name, not a password
SESSION_TWO_FACTOR = "okrkpi_two_factor"


class OrgLoginRequired(PermissionDenied):
    """The caller is a member, but did not log in the way the organisation asks: ``how`` is
    ``sso`` (its own identity provider), ``password`` or ``two_factor``."""

    def __init__(self, org: Organization, how: str) -> None:
        super().__init__(f"This organisation asks for another login ({how}).")
        self.org = org
        self.how = how


def check_login_rule(request: Any, org: Organization) -> None:
    """Fails closed unless the caller's login satisfies ``org.login_rule``: an identity provider
    vouches for its own organisation only, so a session opened through A's provider opens B
    only once B's own rule is met too (B's provider, or a password where B allows one). An API
    token was made with a password: refused where only single sign-on is allowed."""
    if getattr(request, "auth", None) is not None:  # DRF: a token, not a session
        if org.login_rule == LoginRule.SSO_ONLY:
            raise OrgLoginRequired(org, "sso")
        return
    session = getattr(request, "session", None)
    if session is None:
        raise OrgLoginRequired(org, "password")
    if org.pk in session.get(SESSION_SSO_ORGS, ()):
        return
    if org.login_rule == LoginRule.SSO_ONLY:
        raise OrgLoginRequired(org, "sso")
    if not session.get(SESSION_PASSWORD, True):
        raise OrgLoginRequired(org, "password")
    if org.require_two_factor and not session.get(SESSION_TWO_FACTOR):
        raise OrgLoginRequired(org, "two_factor")


def login_rule_redirect(exc: OrgLoginRequired, next_url: str) -> HttpResponse:
    """Where a page sends a member who must log in again for this organisation."""
    query = urlencode({"next": next_url})
    if exc.how == "sso":
        return HttpResponseRedirect(f"{reverse('identity:sso_login', kwargs={'org_slug': exc.org.slug})}?{query}")
    if exc.how == "two_factor":
        return HttpResponseRedirect(f"{reverse('identity:two_factor')}?{query}")
    return HttpResponseRedirect(f"{reverse('login')}?{query}")


def org_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Decorator for HTML views under ``/o/<slug>/``: login required, then
    membership resolved (404 otherwise). The view receives ``request.org``
    and ``request.membership`` and is called without ``slug``."""

    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            membership = resolve_membership(request, slug)
        except OrgLoginRequired as exc:
            return login_rule_redirect(exc, request.get_full_path())
        # Written only when it changes: an unconditional write saves the session (three
        # statements) on every page view.
        if request.session.get("current_org") != slug:
            request.session["current_org"] = slug
        # Dates and times on the organisation's pages are shown in its time zone.
        timezone.activate(zoneinfo.ZoneInfo(membership.organization.timezone))
        try:
            return view(request, *args, **kwargs)
        finally:
            timezone.deactivate()

    wrapper.org_scoped = True  # type: ignore[attr-defined]
    return wrapper


def scoped(model: type[M], org: Organization) -> QuerySet[M]:
    """A tenant model's rows of one organisation. Views, API views and forms read tenant
    rows through this (or through a selector that takes the organisation), never through
    an unfiltered manager."""
    return model._default_manager.filter(organization=org)


def get_scoped_or_404(model: type[M], org: Organization, **lookup: Any) -> M:
    try:
        return scoped(model, org).get(**lookup)
    except (model.DoesNotExist, ValueError, TypeError):  # type: ignore[attr-defined]
        raise Http404 from None


def visible(model: type[M], membership: Membership) -> QuerySet[M]:
    """The rows of ``model`` in the member's organisation that they may see: ``scoped`` and
    the one visibility filter (``orgs.visibility.visible_scope``; nothing more for a model
    that follows no objective or KPI). Every read of objectives, KPIs and what follows them
    for a person goes through this; aggregates that must count everything use ``scoped``."""
    return scoped(model, membership.organization).filter(visible_scope(membership, model))


def get_visible_or_404(model: type[M], membership: Membership, **lookup: Any) -> M:
    """One row the member may see; a hidden one is a 404, exactly like a missing one."""
    try:
        return visible(model, membership).get(**lookup)
    except (model.DoesNotExist, ValueError, TypeError):  # type: ignore[attr-defined]
        raise Http404 from None


# --- the API side of the same mechanism -------------------------------------------

from django.db import transaction  # noqa: E402
from rest_framework import permissions as drf_permissions  # noqa: E402
from rest_framework import viewsets  # noqa: E402
from rest_framework.request import Request  # noqa: E402
from rest_framework.views import APIView  # noqa: E402

from orgs import permissions as org_permissions  # noqa: E402


class IsOrgWriter(drf_permissions.BasePermission):
    """Reads for every member; writes for every role but viewer. Finer,
    per-object rules are checked in the view with ``orgs.permissions``."""

    message = "Viewers have read-only access."

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in drf_permissions.SAFE_METHODS:
            return True
        membership = getattr(request, "membership", None)
        return membership is not None and org_permissions.can_write(membership)


class OrgScopedMixin:
    """Resolves ``slug`` to the organisation and the caller's membership before
    anything else runs (authentication first, then 404 for non-members)."""

    permission_classes = [drf_permissions.IsAuthenticated, IsOrgWriter]
    org: Organization
    membership: Membership

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        self.perform_authentication(request)  # type: ignore[attr-defined]
        if request.user and request.user.is_authenticated:
            self.membership = resolve_membership(request, kwargs["slug"], figures=False)
            self.org = self.membership.organization
            request._request.membership = self.membership  # type: ignore[attr-defined]
            request._request.org = self.org  # type: ignore[attr-defined]
        super().initial(request, *args, **kwargs)  # type: ignore[misc]


class OrgScopedAPIView(OrgScopedMixin, APIView):
    """Base of tenant endpoints that are not model resources (e.g. the cascade)."""


class OrgScopedViewSet(OrgScopedMixin, viewsets.ModelViewSet):
    """Base of every ``/api/v1/orgs/<slug>/…`` resource.

    The organisation and membership are resolved before anything else
    (404 for non-members), and the queryset is always filtered by the
    organisation here, and by what the caller may see (``visible``: a hidden
    objective, KPI or what follows them is a 404, as a missing one) —
    subclasses refine it in ``refine_queryset`` and cannot forget the filter.
    """

    model: type[Model]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return self.model._default_manager.none()
        return self.refine_queryset(visible(self.model, self.membership))

    def refine_queryset(self, qs: QuerySet) -> QuerySet:
        return qs

    # A write that calls several services is all or nothing: a rule refused by
    # the second must not leave the first one's change behind.
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        with transaction.atomic():
            return super().create(request, *args, **kwargs)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        with transaction.atomic():
            return super().update(request, *args, **kwargs)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        with transaction.atomic():
            return super().destroy(request, *args, **kwargs)

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["org"] = getattr(self, "org", None)
        context["membership"] = getattr(self, "membership", None)
        return context
