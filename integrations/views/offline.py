"""``/o/<slug>/check-ins/offline/``: GET the versions of the person's key results (the
installed app keeps them for check-ins typed offline); POST a queued batch (JSON
``{"key": <batch id>, "items": [...]}``), answered with counts and the result screen."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views.decorators.http import require_http_methods

from integrations.services.checkins import outcome_summary
from integrations.services.offline import offline_check_ins_send, read_items, versions
from orgs import permissions
from orgs.tenancy import org_view


@org_view
@require_http_methods(["GET", "POST"])
def offline_check_ins(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    if request.method == "GET":
        return JsonResponse({"versions": versions(membership=membership)})
    permissions.require(permissions.can_write(membership))
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return JsonResponse({"message": "Send JSON."}, status=400)
    key = str(body.get("key") or "") if isinstance(body, dict) else ""
    items = read_items(body.get("items")) if isinstance(body, dict) else []
    if not key or not items:
        return JsonResponse({"message": "Nothing to send."}, status=400)
    outcome, replayed = offline_check_ins_send(membership=membership, key=key, items=items)
    html = render_to_string(
        "integrations/_offline_result.html", {"outcome": outcome, "summary": outcome_summary(outcome)}, request
    )
    return JsonResponse(
        {
            "saved": len(outcome.saved),
            "not_saved": len(outcome.refused) + len(outcome.unsure),
            "replayed": replayed,
            "html": html,
        }
    )
