"""Small display helpers for progress, numbers and health."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

HEALTH_LABELS = {"on_track": _("On track"), "at_risk": _("At risk"), "off_track": _("Off track")}
KPI_LABELS = {"green": _("Green"), "amber": _("Amber"), "red": _("Red")}


@register.filter
def pct(value: float | None) -> str:
    """0.456 → '46%'."""
    if value is None:
        return "—"
    return f"{round(float(value) * 100):d}%"


@register.filter
def pct_width(value: float | None) -> int:
    """Bar width in percent, clamped to 0–100."""
    if value is None:
        return 0
    return max(0, min(100, round(float(value) * 100)))


@register.filter
def num(value: float | None) -> str:
    """1500.0 → '1,500'; 2.5 → '2.5'; keeps up to 2 decimals, drops trailing zeros."""
    if value is None:
        return "—"
    number = float(value)
    if number.is_integer():
        return f"{int(number):,}"
    return f"{number:,.2f}".rstrip("0").rstrip(".")


@register.filter
def health_label(value: str) -> str:
    return str(HEALTH_LABELS.get(value, ""))


@register.filter
def kpi_label(value: str | None) -> str:
    return str(KPI_LABELS.get(value or "", _("No data")))


@register.filter
def get_item(mapping: dict, key: object) -> object:
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
}


@register.filter
def verb_label(verb: str) -> str:
    """A readable, translated label for an activity verb (the code itself if unknown)."""
    label = VERB_LABELS.get(verb)
    return str(label) if label is not None else verb
