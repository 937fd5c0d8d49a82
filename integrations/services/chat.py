"""What Slack and Teams share, written once: who the chat account speaks for (or the
linking prompt), the form's rows, and reading a submitted form into entries for the one
check-in service (``checkins``). Each platform only translates its payload to
``ChatSubmission`` and the answer back to its own message format."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import translation
from django.utils.translation import gettext as _

from core.provenance import Origin
from integrations.entries import Entry
from integrations.models import ChatInstallation
from integrations.selectors import linked_membership, numbered_key_results
from integrations.services.checkins import Outcome, Row, check_in_entries, deliver_once, language_of
from integrations.services.links import link_request_new
from objectives.models import KeyResult
from orgs.models import Membership


@dataclass(frozen=True)
class ChatSubmission:
    """A submitted form: per key-result id, the value typed and the confidence chosen
    (text, as received), whether "these values are right" was ticked, and the
    interaction's id (the idempotency key)."""

    installation: ChatInstallation
    external_user: str
    key: str
    values: dict[int, tuple[str, str]] = field(default_factory=dict)
    confirmed: bool = False


@dataclass
class ChatAnswer:
    outcome: Outcome = field(default_factory=Outcome)
    replayed: bool = False
    link_url: str = ""  # set when the account is not linked: the prompt, not a check-in
    language: str = "en"


def linking_prompt(url: str) -> str:
    return _(
        "Your chat account is not linked to okrkpi yet. Open this link while signed in to okrkpi "
        "to link it (it works once, for 24 hours): %(url)s"
    ) % {"url": url}


def member_for(installation: ChatInstallation, external_user: str) -> Membership | None:
    return linked_membership(installation=installation, external_user=external_user)


def form_rows(membership: Membership) -> list[KeyResult]:
    """The key results the form asks about, numbered from 1 (the reminder's list)."""
    return numbered_key_results(org=membership.organization, user=membership.user)


def _entries(submission: ChatSubmission, key_results: list[KeyResult]) -> tuple[list[Entry], list[Row]]:
    numbers = {kr.pk: n for n, kr in enumerate(key_results, start=1)}
    entries: list[Entry] = []
    strays: list[Row] = []
    for kr_id, (value, confidence) in submission.values.items():
        value = (value or "").strip()
        if not value:
            continue  # left empty: not checked in this time
        number = numbers.get(kr_id)
        if number is None:
            strays.append(Row(0, "", _("This key result is no longer in your list.")))
            continue
        conf = int(confidence) if (confidence or "").strip().isdigit() else None
        raw = f"{number}: {value}" + (f" (conf {conf})" if conf else "")
        entries.append(
            Entry(number=number, value=value, confidence=conf, confirmed=submission.confirmed, note="", raw=raw)
        )
    return entries, strays


def chat_check_in(submission: ChatSubmission) -> ChatAnswer:
    """Check in a submitted form for the linked member, once per interaction. An account
    not linked gets a linking prompt and nothing is saved."""
    installation = submission.installation
    membership = member_for(installation, submission.external_user)
    if membership is None:
        with translation.override(installation.organization.language):
            url = link_request_new(installation=installation, external_user=submission.external_user)
        return ChatAnswer(link_url=url, language=installation.organization.language)
    language = language_of(membership)

    def work() -> Outcome:
        key_results = form_rows(membership)
        with translation.override(language):
            entries, strays = _entries(submission, key_results)
        outcome = check_in_entries(membership=membership, key_results=key_results, entries=entries, origin=Origin.CHAT)
        outcome.refused.extend(strays)
        return outcome

    outcome, replayed = deliver_once(
        org=installation.organization,
        platform=installation.platform,
        key=submission.key,
        user=membership.user,
        work=work,
    )
    return ChatAnswer(outcome=outcome, replayed=replayed, language=language)
