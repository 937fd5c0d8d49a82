"""``POST /api/v1/integrations/email/inbound/``: an inbound-mail service posts a reply
here, as JSON or a form (multipart or urlencoded) with ``from``, ``to`` and ``text``.
The reply token in the recipient address names the person and their reminder; the
endpoint is left out of the API schema (it speaks the mail services' format, not the
API's), and may require ``INBOUND_EMAIL_SECRET``."""

from __future__ import annotations

import hmac
import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations.inbound import from_fields
from integrations.services.mail import MailRefused, mail_reply_receive


def _refuse(status: int, message: str) -> JsonResponse:
    return JsonResponse({"message": message}, status=status)


def _too_big(request: HttpRequest) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    return length > settings.INBOUND_EMAIL_MAX_BYTES


@csrf_exempt
@require_POST
def email_inbound(request: HttpRequest) -> JsonResponse:
    if _too_big(request):
        return _refuse(413, "The message is too large.")
    secret = settings.INBOUND_EMAIL_SECRET
    given = request.headers.get("X-Okrkpi-Inbound-Key") or request.GET.get("key") or ""
    if secret and not hmac.compare_digest(given.encode(), secret.encode()):
        return _refuse(403, "Wrong or missing inbound key.")
    try:
        if request.content_type == "application/json":
            data = json.loads(request.body or b"{}")
            if not isinstance(data, dict):
                return _refuse(400, "Send a JSON object.")
        else:
            data = request.POST
    except (ValueError, RequestDataTooBig):
        return _refuse(400, "The body could not be read.")
    mail = from_fields(data)
    if not mail.text.strip():
        return _refuse(400, "Only plain-text replies are read (this one has no text part).")
    try:
        outcome, replayed = mail_reply_receive(mail=mail)
    except MailRefused as exc:
        return _refuse(exc.status, str(exc))
    return JsonResponse(
        {
            "saved": len(outcome.saved),
            "to_confirm": len(outcome.unsure),
            "refused": len(outcome.refused),
            "replayed": replayed,
        }
    )
