"""The weekly e-mails as each recipient may read them (DESIGN §3, Visibility): an objective,
key result or KPI the recipient may not see is left out of their digest — its title, owner,
note and figures alike. The lists are read once per organisation (``OrgWeek``); only in an
organisation that has restricted objectives or KPIs does each recipient cost a query or two."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from notifications.models import NotificationKind
from objectives.models import KeyResult, Objective
from objectives.restricted import hidden_kpis, hidden_objectives
from orgs.models import Membership
from orgs.visibility import Visibility, sees_everything
from reminders.digests.content import TOP, Mover


def for_reader(kind: str, context: dict[str, Any], m: Membership) -> dict[str, Any]:
    """``context`` (one recipient's digest, or the shared wins) without what ``m`` may not see;
    ``empty`` again when nothing is left."""
    if sees_everything(m):
        return context
    objectives = hidden_objectives(m)
    kpis = hidden_kpis(m)
    if not objectives and not kpis:
        return context
    out = dict(context)
    if kind == NotificationKind.PLAN_WEEK:
        out["at_risk"] = [o for o in context["at_risk"] if o.pk not in objectives]
        out["due"] = [
            i
            for i in context["due"]
            if i.objective_id not in objectives and not (i.kind == "kpi" and i.object_id in kpis)
        ]
        out["empty"] = not out["due"] and not out["at_risk"]
        return out
    if kind == NotificationKind.WINS:
        return _wins_without(context, lambda objective: objective.pk not in objectives)
    out["movers"] = _top_movers(context, lambda objective: objective.pk not in objectives)
    out["predicted_to_miss"] = _top(context, "predicted_to_miss", lambda row: row.id not in objectives)
    hidden_krs = {
        f"kr:{pk}" for pk in KeyResult.objects.filter(objective_id__in=objectives).values_list("pk", flat=True)
    }
    out["off_track"] = [o for o in context["off_track"] if o.pk not in objectives]
    out["missed"] = [w for w in context["missed"] if w.subject not in hidden_krs]
    out["red_kpis"] = [k for k in context["red_kpis"] if k.pk not in kpis]
    out["empty"] = not any(out[k] for k in ("movers", "off_track", "missed", "red_kpis", "predicted_to_miss"))
    return out


def open_wins(context: dict[str, Any]) -> dict[str, Any]:
    """The Friday wins as a channel not marked ``restricted_safe`` may carry them: only
    objectives open to the whole organisation and their key results (such a channel is read
    by people the app cannot ask). The others are left out, not counted: the post has no
    total to keep true, and even "1 restricted objective completed" would tell the channel
    that something restricted moved this week."""
    return _wins_without(context, lambda objective: objective.visibility == Visibility.ORGANIZATION)


def _top(context: dict[str, Any], name: str, shown: Callable[[Any], bool]) -> list[Any]:
    """The top ``TOP`` rows of the list ``name`` that ``shown`` keeps, picked from
    ``all_<name>`` (every row of the e-mail or post, in its order), so an audience that may
    not see some gets the next ones in their place, not fewer with a gap. No query."""
    every: list[Any] = context.get(f"all_{name}", context[name])
    return [row for row in every if shown(row)][:TOP]


def _top_movers(context: dict[str, Any], shown: Callable[[Objective], bool]) -> list[Mover]:
    """The top ``TOP`` movers (``_top``) of the key results of the objectives ``shown`` keeps;
    the movers carry their objective."""
    return _top(context, "movers", lambda mv: shown(mv.key_result.objective))


def _wins_without(context: dict[str, Any], shown: Callable[[Objective], bool]) -> dict[str, Any]:
    """The wins with only the objectives ``shown`` keeps and their key results: their top
    movers (``_top_movers``) and the objectives completed; ``empty`` again when nothing is left."""
    movers = _top_movers(context, shown)
    completed = [o for o in context["completed"] if shown(o)]
    return {**context, "movers": movers, "completed": completed, "empty": not movers and not completed}
