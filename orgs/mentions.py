"""``@mentions`` written in comments and check-in notes.

A person is mentioned as ``@Their Name`` (what the member picker inserts), ``@email`` or
``@[user id]``. Before a text is stored, a mention by a member's name becomes ``@[id]``
(``stored_form``): the stored text keeps naming the same person when they rename themselves,
and every page writes their current name back in (``readable``)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils.translation import gettext as _

from orgs.models import Membership, Organization
from orgs.visibility import Visibility, can_see

# "@" at the start or after a space/punctuation (so "bob@example.com" is not a mention),
# then an e-mail address or a bracketed user id.
MENTION_RE = re.compile(r"(?<![\w@.])@(?:\[(?P<id>\d{1,12})\]|(?P<email>[\w.+-]+@[\w-]+(?:\.[\w-]+)+))")
# "@" where a mention may start, then the first word of a name.
_NAME_START_RE = re.compile(r"(?<![\w@.])@(?P<word>[^\W\d_][\w'-]*)")
# Members looked at per "@" when turning names into ids.
_NAME_CANDIDATES = 50


def parse(body: str) -> tuple[set[int], set[str]]:
    """The user ids and (lower-cased) e-mails a body mentions."""
    ids: set[int] = set()
    emails: set[str] = set()
    for m in MENTION_RE.finditer(body):
        if m.group("id"):
            ids.add(int(m.group("id")))
        else:
            emails.add(m.group("email").rstrip(".").lower())
    return ids, emails


def readable(body: str, names: dict[int, str]) -> str:
    """The body with ``@[id]`` mentions written as ``@Name`` (for notifications and e-mails)."""

    def name(m: re.Match[str]) -> str:
        if m.group("id") and int(m.group("id")) in names:
            return f"@{names[int(m.group('id'))]}"
        return m.group(0)

    return MENTION_RE.sub(name, body)


def _org_id(org: Organization | int) -> int:
    return org if isinstance(org, int) else org.pk


def stored_form(org: Organization | int, body: str) -> str:
    """``body`` with every ``@Name`` of one of ``org``'s members written ``@[id]``: the longest
    name that follows the "@" wins; a name two members share is left as typed."""
    if "@" not in body:
        return body
    out: list[str] = []
    last = 0
    for m in _NAME_START_RE.finditer(body):
        if m.start() < last:
            continue
        found = _member_named_at(org, body, m.start() + 1, m.group("word"))
        if found is None:
            continue
        user_id, length = found
        out.append(body[last : m.start()])
        out.append(f"@[{user_id}]")
        last = m.start() + 1 + length
    out.append(body[last:])
    return "".join(out)


def _member_named_at(org: Organization | int, body: str, at: int, word: str) -> tuple[int, int] | None:
    """The member whose name starts ``body`` at ``at`` (the longest, and only one of that
    name), with the name's length; None when nobody's."""
    rows = (
        Membership.objects.filter(organization_id=_org_id(org), user__name__istartswith=word)
        .values_list("user_id", "user__name")
        .order_by("user_id")[:_NAME_CANDIDATES]
    )
    text = body[at:].casefold()
    fitting: dict[str, list[int]] = {}
    for user_id, name in rows:
        key = name.strip().casefold()
        end = len(key)
        if key and text.startswith(key) and (end == len(text) or not (text[end].isalnum() or text[end] == "_")):
            fitting.setdefault(key, []).append(user_id)
    if not fitting:
        return None
    longest = max(fitting, key=len)
    if len(fitting[longest]) > 1:
        return None
    return fitting[longest][0], len(longest)


def member_names(org: Organization | int, texts: Iterable[str]) -> dict[int, str]:
    """The current names of the members the texts mention by id (one query; none without one)."""
    ids: set[int] = set()
    for text in texts:
        if text and "@[" in text:
            ids |= parse(text)[0]
    if not ids:
        return {}
    rows = Membership.objects.filter(organization_id=_org_id(org), user_id__in=ids).select_related("user")
    return {m.user_id: m.user.display_name for m in rows}


def readable_for(org: Organization | int, body: str) -> str:
    """``body`` with its ``@[id]`` mentions written with the members' current names."""
    return readable(body, member_names(org, [body])) if body and "@[" in body else body


def refuse_blind(on: Model | None, user_ids: Iterable[int], *, field: str) -> None:
    """A ValidationError on ``field`` naming the mentioned people (``user_ids``) who may not
    see ``on``, a team-only or private objective or KPI: a mention would show them what they
    may not read. No query for an open object or nobody mentioned."""
    ids = set(user_ids)
    if on is None or not ids or getattr(on, "visibility", Visibility.ORGANIZATION) == Visibility.ORGANIZATION:
        return
    org_id = on.organization_id  # type: ignore[attr-defined]  # objectives and KPIs are tenant models
    rows = Membership.objects.filter(organization_id=org_id, user_id__in=ids).select_related("user")
    blind = sorted(m.user.display_name for m in rows if not can_see(m, on))
    if blind:
        raise ValidationError(
            {field: [_("%(who)s may not see this objective, so cannot be mentioned.") % {"who": ", ".join(blind)}]}
        )


def refuse_blind_mentions(on: Model, body: str, *, field: str) -> None:
    """``refuse_blind`` for the people a stored text mentions by id (``@[id]``)."""
    if "@[" in body:
        refuse_blind(on, parse(body)[0], field=field)
