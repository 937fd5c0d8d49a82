"""Small display helpers for progress, numbers and health."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.numbers import format_input, format_number, format_percent, format_quantity, precision_of

register = template.Library()

HEALTH_LABELS = {"on_track": _("On track"), "at_risk": _("At risk"), "off_track": _("Off track")}
KPI_LABELS = {"green": _("Green"), "amber": _("Amber"), "red": _("Red")}


@register.filter
def pct(value: float | None) -> str:
    """0.456 → '46%', 1.2 → '120%', in the reader's number convention."""
    return format_percent(value)


@register.filter
def pct_width(value: float | None) -> int:
    """Bar width in percent, clamped to 0–100: the bar's class ``w-<n>`` (static/css/app.css),
    as the CSP allows no inline ``style``."""
    if value is None:
        return 0
    return max(0, min(100, round(float(value) * 100)))


@register.filter
def num(value: float | None) -> str:
    """1500.0 → '1,500' (English) or '1.500' (Vietnamese); 2.5 → '2.5' / '2,5'; up to 2 decimals."""
    return format_number(value)


@register.filter
def qty(value: float | None, owner: Any) -> str:
    """A value with the unit of ``owner`` (a key result or a KPI): '45%', '3.000.000.000 VND'."""
    return format_quantity(value, getattr(owner, "unit", "") or "", kind=getattr(owner, "kind", "") or "")


@register.filter
def qty_like(value: float | None, owner: Any) -> str:
    """A figure derived from a key result's start and target (the value expected by today),
    with its unit and at their precision: "77 leads" between 0 and 100, not "76.81 leads"."""
    decimals = precision_of(getattr(owner, "start_value", None), getattr(owner, "target_value", None))
    return format_quantity(
        value, getattr(owner, "unit", "") or "", kind=getattr(owner, "kind", "") or "", decimals=decimals
    )


@register.filter
def signed(value: float | None) -> str:
    """A change: '+3', '−1.5', '±0'."""
    if value is None:
        return ""
    if abs(float(value)) < 1e-12:
        return "±0"
    text = format_number(abs(float(value)))
    return f"+{text}" if value > 0 else f"\u2212{text}"


@register.filter
def input_number(value: float | None) -> str:
    """A number to prefill a text input with, as the parser reads it back."""
    return format_input(value)


AGO_UNITS = (
    (365 * 24 * 3600, "year"),
    (30 * 24 * 3600, "month"),
    (7 * 24 * 3600, "week"),
    (24 * 3600, "day"),
    (3600, "hour"),
    (60, "minute"),
)


@register.filter
def ago(value: datetime | None, now: datetime | None = None) -> str:
    """'just now', '5 minutes ago', '1 week ago' — whole phrases, so every language
    can order the words its own way ("1 tuần trước")."""
    if value is None:
        return ""
    seconds = max(0, int(((now or timezone.now()) - value).total_seconds()))
    if seconds < 60:
        return str(_("just now"))
    for size, unit in AGO_UNITS:
        if seconds >= size:
            n = seconds // size
            return _AGO[unit](n) % {"n": n}
    return str(_("just now"))  # pragma: no cover


_AGO = {
    "year": lambda n: ngettext("%(n)d year ago", "%(n)d years ago", n),
    "month": lambda n: ngettext("%(n)d month ago", "%(n)d months ago", n),
    "week": lambda n: ngettext("%(n)d week ago", "%(n)d weeks ago", n),
    "day": lambda n: ngettext("%(n)d day ago", "%(n)d days ago", n),
    "hour": lambda n: ngettext("%(n)d hour ago", "%(n)d hours ago", n),
    "minute": lambda n: ngettext("%(n)d minute ago", "%(n)d minutes ago", n),
}


@register.filter
def health_label(value: str) -> str:
    return str(HEALTH_LABELS.get(value, ""))


@register.filter
def kpi_label(value: str | None) -> str:
    return str(KPI_LABELS.get(value or "", _("No data")))


@register.filter
def get_item(mapping: dict[Any, object], key: object) -> object:
    return mapping.get(key) if mapping else None


VERB_LABELS = {
    "organization.created": _("created the organisation"),
    "organization.updated": _("changed the settings"),
    "member.added": _("added a member"),
    "member.updated": _("updated a member"),
    "member.role_changed": _("changed a role"),
    "member.removed": _("removed a member"),
    "team.created": _("created a team"),
    "team.updated": _("changed a team"),
    "team.deleted": _("deleted a team"),
    "invitation.created": _("sent an invitation"),
    "invitation.accepted": _("accepted an invitation"),
    "invitation.revoked": _("revoked an invitation"),
    "cycle.created": _("opened a cycle"),
    "cycle.updated": _("changed a cycle"),
    "cycle.closed": _("closed a cycle"),
    "cycle.closed_unacknowledged": _("closed a cycle with unacknowledged retrospectives"),
    "cycle.reopened": _("re-opened a cycle"),
    "cycle.deleted": _("deleted a cycle"),
    "objective.created": _("created an objective"),
    "objective.updated": _("edited an objective"),
    "objective.activated": _("activated an objective"),
    "objective.closed": _("closed an objective"),
    "objective.cancelled": _("cancelled an objective"),
    "objective.status_changed": _("changed an objective's status"),
    "objective.deleted": _("deleted an objective"),
    "objective.unaligned": _("unaligned an objective"),
    "key_result.created": _("added a key result"),
    "key_result.updated": _("edited a key result"),
    "key_result.deleted": _("deleted a key result"),
    "key_result.checked_in": _("checked in"),
    "key_result.graded": _("graded a key result"),
    "retrospective.saved": _("wrote a retrospective"),
    "retrospective.acknowledged": _("acknowledged a retrospective"),
    "retrospective.commented": _("commented on a retrospective"),
    "objective.carried_over": _("carried an objective over"),
    "coach.dismissed": _("dismissed the coach's advice"),
    "coach.undismissed": _("took back a dismissal of the coach's advice"),
    "okr_template.saved": _("saved an objective as a template"),
    "okr_template.deleted": _("deleted an OKR template"),
    "initiative.created": _("added an initiative"),
    "initiative.updated": _("updated an initiative"),
    "initiative.deleted": _("deleted an initiative"),
    "kpi.created": _("created a KPI"),
    "kpi.updated": _("edited a KPI"),
    "kpi.deleted": _("deleted a KPI"),
    "measurement.recorded": _("recorded a KPI value"),
    "measurement.corrected": _("corrected a KPI value"),
    "measurement.deleted": _("deleted a KPI value"),
    "measurements.imported": _("imported KPI values"),
    "scorecard.created": _("created a scorecard"),
    "scorecard.updated": _("changed a scorecard"),
    "scorecard.deleted": _("deleted a scorecard"),
    "scorecard.items_changed": _("changed a scorecard's KPIs"),
    "strategy_link.created": _("linked two strategy map nodes"),
    "strategy_link.deleted": _("removed a strategy map link"),
    "contribution.created": _("linked an objective to a further parent"),
    "contribution.updated": _("changed an objective's contribution"),
    "contribution.deleted": _("removed an objective's contribution"),
    "comment.create": _("commented"),
    "comment.update": _("edited a comment"),
    "comment.delete": _("deleted a comment"),
    "reaction.add": _("reacted to a check-in or comment"),
    "reaction.delete": _("took back a reaction"),
    "check_in.acknowledge": _("acknowledged check-ins"),
    "channel.create": _("added a notification channel"),
    "channel.update": _("changed a notification channel"),
    "channel.delete": _("removed a notification channel"),
    "data_source.created": _("added a data source"),
    "data_source.updated": _("changed a data source"),
    "data_source.deleted": _("deleted a data source"),
    "import.applied": _("applied an import"),
    "organization.imported": _("imported an organisation"),
    "integration.connected": _("connected a chat workspace"),
    "integration.disconnected": _("disconnected a chat workspace"),
    "integration.account_linked": _("linked a chat account"),
    "integration.account_unlinked": _("unlinked a chat account"),
    # Security events (identity), shown to admins only.
    "security.login": _("logged in"),
    "security.login_failed": _("failed to log in"),
    "security.sso_login_failed": _("was refused by single sign-on"),
    "security.token_created": _("took an API token"),
    "security.sessions_ended": _("ended sessions"),
    "security.password_changed": _("changed their password"),
    "security.password_reset": _("reset their password"),
    "security.sso_changed": _("changed single sign-on"),
    "security.sso_removed": _("removed single sign-on"),
    "security.scim_token_created": _("created a SCIM token"),
    "security.scim_token_revoked": _("revoked a SCIM token"),
    "security.scim_user_created": _("provisioned a person"),
    "security.scim_user_deactivated": _("deactivated a person"),
    "security.scim_user_reactivated": _("reactivated a person"),
    "security.scim_user_updated": _("changed a provisioned person"),
    "security.scim_user_deleted": _("deprovisioned a person"),
    "security.two_factor_enabled": _("turned on two-factor login"),
    "security.two_factor_required": _("required two-factor login"),
    "security.two_factor_optional": _("made two-factor login optional"),
}


@register.filter
def verb_label(verb: str) -> str:
    """A readable, translated label for an activity verb (the code itself if unknown)."""
    label = VERB_LABELS.get(verb)
    return str(label) if label is not None else verb


@register.simple_tag
def form_once() -> str:
    """The hidden one-time token of a form that must save once whatever the double-clicks
    (``core.idempotency.form_save_once``); a new one at every rendering."""
    from core.idempotency import FORM_TOKEN_FIELD, form_token_new

    return format_html('<input type="hidden" name="{}" value="{}">', FORM_TOKEN_FIELD, form_token_new())


@register.filter
def origin_label(origin: str | None) -> str:
    """Where a value came from, in words (``core.provenance.Origin``); "" for a typed one,
    which needs no saying, or for anything unknown."""
    from core.provenance import Origin

    if not origin or origin == Origin.MANUAL or origin not in Origin.values:
        return ""
    return str(Origin(origin).label)
