"""``@mentions`` in comment bodies: ``@Name``, ``@email`` or ``@[user id]`` (the rules are
``orgs.mentions``', shared with check-in notes, which the objectives floor stores)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from orgs.mentions import MENTION_RE, member_names, parse, readable, readable_for, stored_form
from orgs.models import Membership, User
from orgs.visibility import Visibility, can_see

if TYPE_CHECKING:
    from objectives.models import Objective

__all__ = ["MENTION_RE", "can_see", "check_may_see", "member_names", "parse", "readable", "readable_for", "stored_form"]


def check_may_see(on: Objective | None, users: list[User]) -> None:
    """A ValidationError naming the mentioned people who may not see the objective ``on``
    (team-only or private): a mention would show them what they may not read."""
    if on is None or on.visibility == Visibility.ORGANIZATION or not users:
        return
    rows = Membership.objects.filter(organization_id=on.organization_id, user__in=users).select_related("user")
    blind = sorted(m.user.display_name for m in rows if not can_see(m, on))
    if blind:
        raise ValidationError(
            {"body": [_("%(who)s may not see this objective, so cannot be mentioned.") % {"who": ", ".join(blind)}]}
        )
