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

from django.contrib.auth.views import redirect_to_login
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from orgs.models import Membership, Organization
from orgs.selectors import LOADED_MEMBERSHIPS, user_memberships

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
    request.org = membership.organization  # type: ignore[attr-defined]
    request.membership = membership  # type: ignore[attr-defined]
    return membership


def org_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Decorator for HTML views under ``/o/<slug>/``: login required, then
    membership resolved (404 otherwise). The view receives ``request.org``
    and ``request.membership`` and is called without ``slug``."""

    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        membership = resolve_membership(request, slug)
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
    organisation here — subclasses refine it in ``refine_queryset`` and
    cannot forget the filter.
    """

    model: type[Model]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return self.model._default_manager.none()
        return self.refine_queryset(scoped(self.model, self.org))

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
