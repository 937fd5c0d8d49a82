"""``POST /api/v1/integrations/teams/messages/``: the bot endpoint Microsoft Teams posts
activities to (a Bot Framework token in ``Authorization``). The card's ``Action.Execute``
arrives as an ``adaptiveCard/action`` invoke and is answered with the card that replaces
it. Left out of the API schema: it speaks the Bot Framework's format."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations import teams
from integrations.models import Platform
from integrations.selectors import installation_for
from integrations.services.chat import ChatSubmission, chat_check_in, form_rows, linking_prompt, member_for
from integrations.services.checkins import outcome_lines, outcome_summary

MAX_BYTES = 256_000


def _card_response(card: dict[str, Any]) -> JsonResponse:
    return JsonResponse({"statusCode": 200, "type": "application/vnd.microsoft.card.adaptive", "value": card})


@csrf_exempt
@require_POST
def messages(request: HttpRequest) -> HttpResponse:
    if len(request.body) > MAX_BYTES:
        return JsonResponse({"message": "Too large."}, status=413)
    try:
        activity = json.loads(request.body)
    except ValueError:
        return JsonResponse({"message": "Not JSON."}, status=400)
    if not isinstance(activity, dict):
        return JsonResponse({"message": "Not an activity."}, status=400)
    try:
        teams.verify(request.headers.get("Authorization", ""), service_url=str(activity.get("serviceUrl", "")))
    except teams.TokenRefused:
        return JsonResponse({"message": "The token is not valid."}, status=401)
    tenant = str(
        (activity.get("conversation") or {}).get("tenantId")
        or ((activity.get("channelData") or {}).get("tenant") or {}).get("id")
        or ""
    )
    installation = installation_for(platform=Platform.TEAMS, external_id=tenant)
    if installation is None:
        return JsonResponse({"message": "This Teams tenant is not connected."}, status=403)
    sender = activity.get("from") or {}
    external_user = str(sender.get("aadObjectId") or sender.get("id") or "")
    if activity.get("type") != "invoke" or activity.get("name") != "adaptiveCard/action":
        return HttpResponse(status=200)
    action = (activity.get("value") or {}).get("action") or {}
    if action.get("verb") != teams.VERB:
        return HttpResponse(status=200)
    values, confirmed = teams.read_inputs(action.get("data") or {})
    submission = ChatSubmission(
        installation=installation,
        external_user=external_user,
        key=str(activity.get("id") or ""),
        values=values,
        confirmed=confirmed,
    )
    if not submission.key or not external_user:
        return JsonResponse({"message": "No activity id or sender."}, status=400)
    answer = chat_check_in(submission)
    with translation.override(answer.language):
        if answer.link_url:
            card = teams.card([], linking_prompt(answer.link_url), form=False)
            card["actions"] = [{"type": "Action.OpenUrl", "title": _("Link my account"), "url": answer.link_url}]
            return _card_response(card)
        membership = member_for(installation, external_user)
        waiting = bool(answer.outcome.unsure or answer.outcome.refused)
        card = teams.card(
            form_rows(membership) if membership and waiting else [],
            outcome_summary(answer.outcome),
            outcome_lines(answer.outcome),
            form=waiting,
        )
    return _card_response(card)
