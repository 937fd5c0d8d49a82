"""``POST /api/v1/integrations/teams/messages/``: the bot endpoint Microsoft Teams posts
activities to (a Bot Framework token in ``Authorization``). The card's ``Action.Execute``
arrives as an ``adaptiveCard/action`` invoke and is answered with the card that replaces
it. Left out of the API schema: it speaks the Bot Framework's format."""

from __future__ import annotations

import json
import re
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations import teams
from integrations.models import ChatInstallation, Platform
from integrations.selectors import installation_for
from integrations.services.chat import ChatSubmission, chat_check_in, form_rows, linking_prompt, member_for
from integrations.services.checkins import outcome_lines, outcome_summary
from integrations.services.links import link_remember_conversation, link_request_new

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
    service_url = str(activity.get("serviceUrl") or "")
    conversation = str((activity.get("conversation") or {}).get("id") or "")
    if external_user and service_url and conversation:
        link_remember_conversation(
            installation=installation, external_user=external_user, service_url=service_url, conversation=conversation
        )
    if activity.get("type") == "message":
        _message(installation, external_user, str(activity.get("text") or ""), service_url, conversation)
        return HttpResponse(status=200)
    if activity.get("type") != "invoke" or activity.get("name") != "adaptiveCard/action":
        return HttpResponse(status=200)
    return _invoke(installation, activity, external_user)


def _invoke(installation: ChatInstallation, activity: dict[str, Any], external_user: str) -> HttpResponse:
    """The card's Action.Execute: check in, and answer with the card that replaces it."""
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


def _message(
    installation: ChatInstallation, external_user: str, text: str, service_url: str, conversation: str
) -> None:
    """ "checkin" typed to the bot: the check-in card (or the linking prompt) in reply."""
    words = re.sub(r"<at>.*?</at>", "", text).strip().casefold()
    if words not in ("checkin", "check-in", "check in", "/okr checkin", "okr checkin"):
        return
    membership = member_for(installation, external_user)
    if membership is None:
        url = link_request_new(installation=installation, external_user=external_user)
        with translation.override(installation.organization.language):
            content = teams.card([], linking_prompt(url), form=False)
            content["actions"] = [{"type": "Action.OpenUrl", "title": _("Link my account"), "url": url}]
    else:
        with translation.override(membership.user.language or installation.organization.language):
            key_results = form_rows(membership)
            intro = (
                _("Type the new values and submit.") if key_results else _("You have no key results to check in on.")
            )
            content = teams.card(key_results, intro)
    teams.post_card(service_url=service_url, conversation=conversation, content=content)
