"""The member picker behind ``@`` in comment and check-in note fields: the organisation's
members whose name or e-mail starts with what was typed (static/js/mentions.js asks it)."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from orgs.models import Membership
from orgs.tenancy import org_view

# How many people the picker offers at once.
PICKER_SIZE = 8


@org_view
@require_GET
def mention_people(request: HttpRequest) -> JsonResponse:
    """``?q=`` (what follows the "@"): up to ``PICKER_SIZE`` members of this organisation, by name;
    a name's later words match too ("le" finds "Sam Le")."""
    query = (request.GET.get("q") or "").strip()[:60]
    org = request.org  # type: ignore[attr-defined]  # set by org_view
    rows = Membership.objects.filter(organization=org).select_related("user")
    if query:
        rows = rows.filter(
            Q(user__name__istartswith=query) | Q(user__name__icontains=f" {query}") | Q(user__email__istartswith=query)
        )
    people = [
        {"id": m.user_id, "name": m.user.display_name, "initials": m.user.initials}
        for m in rows.order_by("user__name", "user__email")[:PICKER_SIZE]
    ]
    return JsonResponse({"people": people})
