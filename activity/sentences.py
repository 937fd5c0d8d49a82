"""Every activity entry as one sentence in the reader's language: "Sam reacted 🎉 to
Maria's check-in", "Maria acknowledged Sam's check-ins" — never a verb's code, a user id
or an untranslated word. The Activity page, the dashboard's feed and the objective's
history all read ``sentence`` (pure: no database; what a sentence names beyond the
target — whose check-in, which emoji — was written into the entry when it was logged).

``SENTENCES`` holds one phrase per verb: a translated sentence with ``%(actor)s`` and
optionally ``%(target)s`` (the target's name), or a function of the entry's data that picks
one. An app that logs a new verb adds it here (or with ``register_sentences`` from its
``AppConfig.ready()``); ``tests/core/test_activity_verbs.py`` finds every verb the code can
log and fails on one without a sentence, in either language."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from activity.feed import target_label

Phrase = Promise | Callable[[Mapping[str, Any]], Promise]

# What an entry that no phrase knows says: still a sentence, never the code. The test
# fails on any logged verb that would need it.
FALLBACK = _("%(actor)s made a change")


def _reaction(data: Mapping[str, Any]) -> Promise:
    owner, emoji, on_comment = data.get("owner_name"), data.get("emoji"), bool(data.get("comment"))
    if emoji and owner:
        if on_comment:
            return _("%(actor)s reacted %(emoji)s to %(owner)s's comment")
        return _("%(actor)s reacted %(emoji)s to %(owner)s's check-in")
    if emoji:
        return (
            _("%(actor)s reacted %(emoji)s to a comment")
            if on_comment
            else _("%(actor)s reacted %(emoji)s to a check-in")
        )
    return _("%(actor)s reacted to a comment") if on_comment else _("%(actor)s reacted to a check-in")


def _reaction_back(data: Mapping[str, Any]) -> Promise:
    if data.get("emoji"):
        return _("%(actor)s took back their %(emoji)s reaction")
    return _("%(actor)s took back a reaction")


def _acknowledge(data: Mapping[str, Any]) -> Promise:
    if data.get("owner_name"):
        return _("%(actor)s acknowledged %(owner)s's check-ins")
    return _("%(actor)s acknowledged check-ins")


def _comment(data: Mapping[str, Any]) -> Promise:
    # Never the body: it holds mentions in their stored form.
    if data.get("owner_name"):
        return _("%(actor)s commented on %(owner)s's check-in")
    if data.get("about"):
        return _("%(actor)s commented on “%(about)s”")
    return _("%(actor)s commented")


def _import(data: Mapping[str, Any]) -> Promise:
    return _("%(actor)s applied the import of “%(file)s”") if data.get("file") else _("%(actor)s applied an import")


def _approval_restarted(data: Mapping[str, Any]) -> Promise:
    if data.get("deactivated"):
        return _(
            "%(actor)s moved the objective “%(target)s” into a cycle that asks for approval: "
            "it is a draft again until it is approved there"
        )
    return _(
        "%(actor)s moved the objective “%(target)s” into a cycle that asks for approval: "
        "its approval starts again from draft"
    )


SENTENCES: dict[str, Phrase] = {
    "organization.created": _("%(actor)s created the organisation “%(target)s”"),
    "organization.updated": _("%(actor)s changed the organisation's settings"),
    "organization.imported": _("%(actor)s imported an organisation"),
    "member.added": _("%(actor)s added %(target)s as a member"),
    "member.updated": _("%(actor)s updated the membership of %(target)s"),
    "member.role_changed": _("%(actor)s changed the role of %(target)s"),
    "member.removed": _("%(actor)s removed %(target)s from the organisation"),
    "team.created": _("%(actor)s created the team “%(target)s”"),
    "team.updated": _("%(actor)s changed the team “%(target)s”"),
    "team.deleted": _("%(actor)s deleted the team “%(target)s”"),
    "invitation.created": _("%(actor)s invited %(target)s"),
    "invitation.accepted": _("%(actor)s accepted the invitation"),
    "invitation.revoked": _("%(actor)s revoked the invitation of %(target)s"),
    "cycle.created": _("%(actor)s opened the cycle “%(target)s”"),
    "cycle.updated": _("%(actor)s changed the cycle “%(target)s”"),
    "cycle.closed": _("%(actor)s closed the cycle “%(target)s”"),
    "cycle.closed_unacknowledged": _(
        "%(actor)s closed the cycle “%(target)s” with retrospectives not yet acknowledged"
    ),
    "cycle.reopened": _("%(actor)s re-opened the cycle “%(target)s”"),
    "cycle.deleted": _("%(actor)s deleted the cycle “%(target)s”"),
    "objective.created": _("%(actor)s created the objective “%(target)s”"),
    "objective.updated": _("%(actor)s edited the objective “%(target)s”"),
    "objective.activated": _("%(actor)s activated the objective “%(target)s”"),
    "objective.closed": _("%(actor)s closed the objective “%(target)s”"),
    "objective.cancelled": _("%(actor)s cancelled the objective “%(target)s”"),
    "objective.status_changed": _("%(actor)s changed the status of the objective “%(target)s”"),
    "objective.deleted": _("%(actor)s deleted the objective “%(target)s”"),
    "objective.submitted": _("%(actor)s submitted the objective “%(target)s” for review"),
    "objective.approved": _("%(actor)s approved the objective “%(target)s”"),
    "objective.changes_requested": _("%(actor)s asked for changes to the objective “%(target)s”"),
    "objective.reopened_for_review": _("%(actor)s sent the objective “%(target)s” back to review"),
    "objective.approval_restarted": _approval_restarted,
    "objective.unaligned": _("%(actor)s unaligned an objective from its parent"),
    "objective.carried_over": _("%(actor)s carried the objective “%(target)s” over to the next cycle"),
    "key_result.created": _("%(actor)s added the key result “%(target)s”"),
    "key_result.updated": _("%(actor)s edited the key result “%(target)s”"),
    "key_result.deleted": _("%(actor)s deleted the key result “%(target)s”"),
    "key_result.checked_in": _("%(actor)s checked in on “%(target)s”"),
    "key_result.graded": _("%(actor)s graded the key result “%(target)s”"),
    "retrospective.saved": _("%(actor)s wrote the retrospective of “%(target)s”"),
    "retrospective.acknowledged": _("%(actor)s acknowledged the retrospective of “%(target)s”"),
    "retrospective.commented": _("%(actor)s commented on the retrospective of “%(target)s”"),
    "coach.dismissed": _("%(actor)s dismissed a piece of the coach's advice"),
    "coach.undismissed": _("%(actor)s brought back a piece of the coach's advice"),
    "okr_template.saved": _("%(actor)s saved the template “%(target)s”"),
    "okr_template.deleted": _("%(actor)s deleted the template “%(target)s”"),
    "initiative.created": _("%(actor)s added the initiative “%(target)s”"),
    "initiative.updated": _("%(actor)s updated the initiative “%(target)s”"),
    "initiative.deleted": _("%(actor)s deleted the initiative “%(target)s”"),
    "contribution.created": _("%(actor)s linked an objective to a further parent"),
    "contribution.updated": _("%(actor)s changed how much an objective contributes"),
    "contribution.deleted": _("%(actor)s removed an objective's contribution"),
    "kpi.created": _("%(actor)s created the KPI “%(target)s”"),
    "kpi.updated": _("%(actor)s edited the KPI “%(target)s”"),
    "kpi.deleted": _("%(actor)s deleted the KPI “%(target)s”"),
    "measurement.recorded": _("%(actor)s recorded a value of “%(target)s”"),
    "measurement.corrected": _("%(actor)s corrected a value of “%(target)s”"),
    "measurement.deleted": _("%(actor)s deleted a value of “%(target)s”"),
    "measurements.imported": _("%(actor)s imported KPI values from a file"),
    "scorecard.created": _("%(actor)s created the scorecard “%(target)s”"),
    "scorecard.updated": _("%(actor)s changed the scorecard “%(target)s”"),
    "scorecard.deleted": _("%(actor)s deleted the scorecard “%(target)s”"),
    "scorecard.items_changed": _("%(actor)s changed the KPIs of the scorecard “%(target)s”"),
    "strategy_link.created": _("%(actor)s linked two nodes of the strategy map of “%(target)s”"),
    "strategy_link.deleted": _("%(actor)s removed a link from the strategy map of “%(target)s”"),
    "comment.create": _comment,
    "comment.update": _("%(actor)s edited a comment"),
    "comment.delete": _("%(actor)s deleted a comment"),
    "reaction.add": _reaction,
    "reaction.delete": _reaction_back,
    "check_in.acknowledge": _acknowledge,
    "channel.create": _("%(actor)s added the notification channel “%(target)s”"),
    "channel.update": _("%(actor)s changed the notification channel “%(target)s”"),
    "channel.delete": _("%(actor)s removed the notification channel “%(target)s”"),
    "data_source.created": _("%(actor)s added the data source “%(target)s”"),
    "data_source.updated": _("%(actor)s changed the data source “%(target)s”"),
    "data_source.deleted": _("%(actor)s deleted the data source “%(target)s”"),
    "import.applied": _import,
    "integration.connected": _("%(actor)s connected a chat workspace"),
    "integration.disconnected": _("%(actor)s disconnected a chat workspace"),
    "integration.account_linked": _("%(actor)s linked their chat account"),
    "integration.account_unlinked": _("%(actor)s unlinked their chat account"),
    # Security events (identity), shown to admins only.
    "security.login": _("%(actor)s logged in"),
    "security.login_failed": _("%(actor)s failed to log in"),
    "security.sso_login_failed": _("Single sign-on refused a login"),
    "security.token_created": _("%(actor)s took an API token"),
    "security.sessions_ended": _("%(actor)s ended the sessions of %(target)s"),
    "security.password_changed": _("%(actor)s changed their password"),
    "security.password_reset": _("%(actor)s reset their password"),
    "security.sso_changed": _("%(actor)s changed single sign-on"),
    "security.sso_removed": _("%(actor)s removed single sign-on"),
    "security.scim_token_created": _("%(actor)s created the SCIM token “%(target)s”"),
    "security.scim_token_revoked": _("%(actor)s revoked the SCIM token “%(target)s”"),
    "security.scim_user_created": _("%(actor)s provisioned %(target)s"),
    "security.scim_user_deactivated": _("%(actor)s deactivated %(target)s"),
    "security.scim_user_reactivated": _("%(actor)s reactivated %(target)s"),
    "security.scim_user_updated": _("%(actor)s changed the provisioned person %(target)s"),
    "security.scim_user_deleted": _("%(actor)s deprovisioned %(target)s"),
    "security.two_factor_enabled": _("%(actor)s turned on two-factor login"),
    "security.two_factor_required": _("%(actor)s required two-factor login for everyone"),
    "security.two_factor_optional": _("%(actor)s made two-factor login optional"),
}

# A line folding several entries of one person, verb, target and day: its own sentence
# where the number changes the words, else the single sentence and how many times.
FOLDED: dict[str, Callable[[int], str]] = {
    "measurement.recorded": lambda n: ngettext(
        "%(actor)s recorded %(n)d value of “%(target)s”", "%(actor)s recorded %(n)d values of “%(target)s”", n
    ),
    "measurement.corrected": lambda n: ngettext(
        "%(actor)s corrected %(n)d value of “%(target)s”", "%(actor)s corrected %(n)d values of “%(target)s”", n
    ),
    "measurement.deleted": lambda n: ngettext(
        "%(actor)s deleted %(n)d value of “%(target)s”", "%(actor)s deleted %(n)d values of “%(target)s”", n
    ),
    "key_result.checked_in": lambda n: ngettext(
        "%(actor)s checked in %(n)d time on “%(target)s”", "%(actor)s checked in %(n)d times on “%(target)s”", n
    ),
}


def register_sentences(sentences: Mapping[str, Phrase]) -> None:
    """Add the sentences of verbs an app logs (from its ``AppConfig.ready()``)."""
    SENTENCES.update(sentences)


def has_sentence(verb: str) -> bool:
    return verb in SENTENCES


def _pattern(verb: str, data: Mapping[str, Any], count: int) -> str:
    if count > 1 and verb in FOLDED:
        return FOLDED[verb](count)
    phrase = SENTENCES.get(verb, FALLBACK)
    text = str(phrase(data) if callable(phrase) else phrase)
    if count > 1:
        text = ngettext("%(sentence)s (%(n)d time)", "%(sentence)s (%(n)d times)", count) % {
            "sentence": text,
            "n": count,
        }
    return text


def _values(entry: Any) -> dict[str, Any]:
    data = {**(entry.before or {}), **(entry.after or {})}
    actor = getattr(entry, "actor", None)
    return {
        "actor": actor.display_name if actor is not None else str(_("System")),
        "target": target_label(entry.target_type, entry.target_repr) or str(_("(no name)")),
        "owner": data.get("owner_name") or "",
        "emoji": data.get("emoji") or "",
        "file": data.get("file") or "",
        "about": data.get("about") or "",
        "data": data,
    }


def sentence_text(entry: Any, count: int = 1) -> str:
    """The sentence as plain text (chat, e-mail)."""
    values = _values(entry)
    return _pattern(entry.verb, values.pop("data"), count) % {**values, "n": count}


def sentence(entry: Any, count: int = 1) -> SafeString:
    """The sentence for a page: every name escaped, the person who acted in bold."""
    values = _values(entry)
    pattern = conditional_escape(_pattern(entry.verb, values.pop("data"), count))
    escaped = {key: conditional_escape(value) for key, value in values.items()}
    escaped["actor"] = format_html("<strong>{}</strong>", values["actor"])
    return mark_safe(pattern % {**escaped, "n": count})  # noqa: S308  # every value and the pattern are escaped above
