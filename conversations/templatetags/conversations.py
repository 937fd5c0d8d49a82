from __future__ import annotations

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from conversations.mentions import MENTION_RE, readable_for

register = template.Library()


@register.filter
def comment_html(comment: object) -> SafeString:
    """The comment's text, escaped, with mentions highlighted and line breaks kept."""
    body = getattr(comment, "body", "")
    names = getattr(comment, "mentioned_names", {}) or {}
    out: list[str] = []
    last = 0
    for m in MENTION_RE.finditer(body):
        out.append(escape(body[last : m.start()]))
        if m.group("id"):
            label = names.get(int(m.group("id"))) or m.group(0)
            label = label if label.startswith("@") else f"@{label}"
        else:
            label = m.group(0)
        out.append(format_html('<span class="mention">{}</span>', label))
        last = m.end()
    out.append(escape(body[last:]))
    return mark_safe("".join(out).replace("\n", "<br>"))  # noqa: S308 — every piece is escaped above


@register.filter
def mention_text(text: str | None, org: object = None) -> str:
    """A check-in note with its ``@[id]`` mentions written with the members' current names
    (plain text: the template escapes it). ``org`` is the current organisation; without it the
    ids stay as written."""
    org_id = org if isinstance(org, int) else getattr(org, "pk", None)
    if not text or "@[" not in text or not isinstance(org_id, int):
        return text or ""
    return readable_for(org_id, text)
