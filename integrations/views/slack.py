"""``POST /api/v1/integrations/slack/interactions/`` and ``…/slack/commands/``: Slack
calls these (signed with the workspace's signing secret; a request older than five
minutes is refused). Left out of the API schema: they speak Slack's format, for Slack."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations import slack
from integrations.models import ChatInstallation, Platform
from integrations.selectors import installation_for
from integrations.services.chat import ChatAnswer, ChatSubmission, chat_check_in, form_rows, linking_prompt, member_for
from integrations.services.checkins import outcome_lines, outcome_summary
from integrations.services.links import link_request_new, secret_of


def _forbidden() -> HttpResponse:
    return JsonResponse({"message": "The request's signature is not valid."}, status=403)


def _installation(request: HttpRequest, team_id: str) -> ChatInstallation | None:
    """The workspace's installation when the request is signed with its secret, recently."""
    installation = installation_for(platform=Platform.SLACK, external_id=team_id)
    if installation is None:
        return None
    valid = slack.signature_valid(
        secret=secret_of(installation.signing_secret),
        timestamp=request.headers.get("X-Slack-Request-Timestamp", ""),
        body=request.body,
        signature=request.headers.get("X-Slack-Signature", ""),
    )
    return installation if valid else None


def _answer_blocks(answer: ChatAnswer, key_results: list[Any]) -> tuple[str, list[dict[str, Any]]]:
    """The message that replaces the form: the summary, a line per entry, and the form
    again when something still waits (an unusual value, a refusal)."""
    with translation.override(answer.language):
        summary = outcome_summary(answer.outcome)
        lines = "\n".join(outcome_lines(answer.outcome))
        blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": f"*{summary}*"}}]
        if lines:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": lines[:2900]}})
        if answer.outcome.unsure or answer.outcome.refused:
            blocks += slack.reminder_blocks(key_results, _("Correct and submit again:"))[1:]
    return summary, blocks


def _submission(installation: ChatInstallation, payload: dict[str, Any], state: dict[str, Any]) -> ChatSubmission:
    values, confirmed = slack.read_state(state)
    actions = payload.get("actions") or [{}]
    key = str(payload.get("trigger_id") or actions[0].get("action_ts") or "")
    return ChatSubmission(
        installation=installation,
        external_user=str((payload.get("user") or {}).get("id") or ""),
        key=key,
        values=values,
        confirmed=confirmed,
    )


@csrf_exempt
@require_POST
def interactions(request: HttpRequest) -> HttpResponse:
    try:
        payload = json.loads(request.POST.get("payload") or "")
    except ValueError:
        return JsonResponse({"message": "No payload."}, status=400)
    if not isinstance(payload, dict):
        return JsonResponse({"message": "No payload."}, status=400)
    team_id = str((payload.get("team") or {}).get("id") or (payload.get("user") or {}).get("team_id") or "")
    installation = _installation(request, team_id)
    if installation is None:
        return _forbidden()
    kind = payload.get("type")
    if kind == "view_submission" and (payload.get("view") or {}).get("callback_id") == slack.CALLBACK:
        return _modal_submitted(installation, payload)
    actions = payload.get("actions") or []
    if kind == "block_actions" and any(a.get("action_id") == slack.SUBMIT for a in actions if isinstance(a, dict)):
        return _message_submitted(installation, payload)
    return HttpResponse(status=200)  # other interactions (typing in a field, a select) need nothing


def _message_submitted(installation: ChatInstallation, payload: dict[str, Any]) -> HttpResponse:
    submission = _submission(installation, payload, payload.get("state") or {})
    if not submission.key or not submission.external_user:
        return JsonResponse({"message": "No interaction id."}, status=400)
    answer = chat_check_in(submission)
    token = secret_of(installation.bot_token)
    channel = str((payload.get("channel") or {}).get("id") or submission.external_user)
    if answer.link_url:
        with translation.override(answer.language):
            text = linking_prompt(answer.link_url)
        slack.api_call(
            "chat.postEphemeral", token, {"channel": channel, "user": submission.external_user, "text": text}
        )
        return HttpResponse(status=200)
    membership = member_for(installation, submission.external_user)
    summary, blocks = _answer_blocks(answer, form_rows(membership) if membership else [])
    ts = (payload.get("container") or {}).get("message_ts") or (payload.get("message") or {}).get("ts")
    slack.api_call("chat.update", token, {"channel": channel, "ts": ts, "text": summary, "blocks": blocks})
    return HttpResponse(status=200)


def _modal_submitted(installation: ChatInstallation, payload: dict[str, Any]) -> HttpResponse:
    view = payload.get("view") or {}
    submission = _submission(installation, payload, view.get("state") or {})
    if not submission.key:
        submission = ChatSubmission(**{**submission.__dict__, "key": f"{view.get('id')}:{view.get('hash')}"})
    answer = chat_check_in(submission)
    if answer.link_url:
        with translation.override(answer.language):
            return JsonResponse(
                {"response_action": "errors", "errors": {slack.CONFIRM_BLOCK: linking_prompt(answer.link_url)}}
            )
    membership = member_for(installation, submission.external_user)
    key_results = form_rows(membership) if membership else []
    summary, blocks = _answer_blocks(answer, key_results)
    result: dict[str, Any] = {
        "type": "modal",
        "callback_id": slack.CALLBACK,
        "title": {"type": "plain_text", "text": summary[:24]},
        "blocks": blocks,
    }
    if answer.outcome.unsure or answer.outcome.refused:
        with translation.override(answer.language):
            result["submit"] = {"type": "plain_text", "text": _("Submit")}
    return JsonResponse({"response_action": "update", "view": result})


@csrf_exempt
@require_POST
def commands(request: HttpRequest) -> HttpResponse:
    """``/okr checkin`` opens the check-in form as a modal; anything else gets help."""
    installation = _installation(request, request.POST.get("team_id", ""))
    if installation is None:
        return _forbidden()
    user = request.POST.get("user_id", "")
    membership = member_for(installation, user)
    language = (membership.user.language or installation.organization.language) if membership else "en"
    with translation.override(language or installation.organization.language):
        if membership is None:
            url = link_request_new(installation=installation, external_user=user)
            return JsonResponse({"response_type": "ephemeral", "text": linking_prompt(url)})
        words = request.POST.get("text", "").strip().casefold()
        if words not in ("checkin", "check-in", "check in", ""):
            return JsonResponse({"response_type": "ephemeral", "text": _("Type “/okr checkin” to check in.")})
        key_results = form_rows(membership)
        if not key_results:
            return JsonResponse({"response_type": "ephemeral", "text": _("You have no key results to check in on.")})
        view = slack.modal_view(key_results)
    token = secret_of(installation.bot_token)
    slack.api_call("views.open", token, {"trigger_id": request.POST.get("trigger_id", ""), "view": view})
    return HttpResponse(status=200)
