"""``@mentions`` in comment bodies: ``@email`` or ``@[user id]``."""

from __future__ import annotations

import re

# "@" at the start or after a space/punctuation (so "bob@example.com" is not a mention),
# then an e-mail address or a bracketed user id.
MENTION_RE = re.compile(r"(?<![\w@.])@(?:\[(?P<id>\d{1,12})\]|(?P<email>[\w.+-]+@[\w-]+(?:\.[\w-]+)+))")


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
