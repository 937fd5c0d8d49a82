"""Signal receivers of the orgs app, connected in ``OrgsConfig.ready``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from orgs.models import Membership


def remember_only_organisation(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """At login, a member of exactly one organisation has it as the session's current one —
    what ``home`` would choose anyway — so their first page does not have to write the session."""
    if request is None or not hasattr(request, "session"):
        return
    slugs = list(Membership.objects.filter(user=user).values_list("organization__slug", flat=True)[:2])
    if len(slugs) == 1:
        request.session["current_org"] = slugs[0]
