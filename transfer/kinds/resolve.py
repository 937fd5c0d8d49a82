"""Reading people, teams and choices from a file's text, the same way for every kind."""

from __future__ import annotations

from datetime import date

from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _

from orgs.models import Membership, Team, User
from orgs.ownership import OwnerType
from transfer.kinds.base import Context
from transfer.reading import header_key

_COMPANY_WORDS = {"company", "công ty", "cong ty", "toàn công ty"}


def choice_names(choices: type[models.TextChoices]) -> dict[str, str]:
    """A choice by its value or its label, in English or Vietnamese, compared loosely."""
    names: dict[str, str] = {}
    for language in ("en", "vi"):
        with translation.override(language):
            for value, label in choices.choices:
                names[header_key(str(label))] = value
    for value in choices.values:
        names[header_key(value)] = value
    return names


class People:
    """The organisation's members by e-mail and by a name that only one of them has,
    its teams by name or path; ``options["owners"]`` maps an unknown name or address in
    the file to the member chosen in the mapping form."""

    def __init__(self, ctx: Context) -> None:
        members = list(User.objects.filter(memberships__organization=ctx.org))
        self.by_email = {u.email.casefold(): u for u in members}
        self.by_id = {u.pk: u for u in members}
        names: dict[str, list[User]] = {}
        for u in members:
            names.setdefault(header_key(u.display_name), []).append(u)
        self.by_name = {k: v[0] for k, v in names.items() if len(v) == 1}
        self.chosen = {header_key(str(k)): v for k, v in (ctx.options.get("owners") or {}).items()}
        teams = list(Team.objects.filter(organization=ctx.org))
        by_id = {t.pk: t for t in teams}
        team_names: dict[str, list[Team]] = {}
        self.team_by_path: dict[str, Team] = {}
        for t in teams:
            team_names.setdefault(header_key(t.name), []).append(t)
            path, node = [t.name], t
            while node.parent_id and node.parent_id in by_id and len(path) < 12:
                node = by_id[node.parent_id]
                path.insert(0, node.name)
            self.team_by_path[header_key("/".join(path))] = t
        self.team_by_name = {k: v[0] for k, v in team_names.items() if len(v) == 1}

    def person(self, text: str) -> User | None:
        key = header_key(text)
        chosen = self.chosen.get(key)
        if chosen is not None:
            return self.by_id.get(int(chosen))
        return self.by_email.get(text.strip().casefold()) or self.by_name.get(key)

    def team(self, text: str) -> Team | None:
        key = header_key(text)
        return self.team_by_path.get(key) or self.team_by_name.get(key)

    def owner(self, text: str, level: str = "") -> tuple[str, Team | None, User | None] | None:
        """(owner level, team, person) for an owner cell, or None when nobody matches.
        Without a level: an address or a member's name is a person, a team's name a team,
        empty or "company" the company."""
        key = header_key(text)
        if level == OwnerType.COMPANY or (not level and (not key or key in _COMPANY_WORDS)):
            return OwnerType.COMPANY, None, None
        if level != OwnerType.TEAM:
            user = self.person(text)
            if user is not None:
                return OwnerType.PERSON, None, user
        if level != OwnerType.PERSON:
            team = self.team(text)
            if team is not None:
                return OwnerType.TEAM, team, None
        return None


def is_member(ctx: Context, user: User) -> bool:
    return Membership.objects.filter(organization=ctx.org, user=user).exists()


def unknown_owner(text: str) -> str:
    if "@" in text:
        return _("%(value)s is not a member of the organisation.") % {"value": text[:80]}
    return _("No member or team is called “%(value)s”.") % {"value": text[:80]}


def read_date(text: str) -> date | None:
    """ISO 8601 (what exports write), or day/month/year as Vietnamese and British people write it."""
    text = text.strip()[:10]
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    parts = text.replace(".", "/").replace("-", "/").split("/")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        day, month, year = (int(p) for p in parts)
        try:
            return date(year, month, day)
        except ValueError:
            return None
    return None
