"""``@mentions`` in comment bodies: ``@Name``, ``@email`` or ``@[user id]`` (the rules are
``orgs.mentions``', shared with check-in notes, which the objectives floor stores)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from orgs.mentions import MENTION_RE, member_names, parse, readable, readable_for, refuse_blind, stored_form
from orgs.models import User
from orgs.visibility import can_see

if TYPE_CHECKING:
    from objectives.models import Objective

__all__ = ["MENTION_RE", "can_see", "check_may_see", "member_names", "parse", "readable", "readable_for", "stored_form"]


def check_may_see(on: Objective | None, users: list[User]) -> None:
    """A comment's mentions of people who may not see the objective ``on`` (team-only or
    private) are refused on its body: ``orgs.mentions.refuse_blind``, shared with check-in notes."""
    refuse_blind(on, (u.pk for u in users), field="body")
