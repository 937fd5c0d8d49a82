"""An objective row's owner as the executive pages name it, through the one owner rule
(``orgs.ownership.owner_name``)."""

from __future__ import annotations

from objectives.tree import ObjectiveRow
from orgs.ownership import owner_name


def row_owner_name(o: ObjectiveRow, team_names: dict[int, str]) -> str | None:
    """The owner's name of a row read as plain columns, with the organisation's team names."""
    team = team_names.get(o.owner_team) if o.owner_team is not None else None
    return owner_name(
        o.owner_type,
        team_name=team,
        user_name=o.owner_user_name,
        user_email=o.owner_user_email,
        former_member=o.owner_former,
    )
