"""Finding English UI words in a page meant for a Vietnamese reader."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Common words of this interface in English. A page in Vietnamese shows none of
# them; proper names (okrkpi, KPI, OKR, API, CSV, people's names) are not here.
_WORDS = """
    about active activate activity add added ago ahead aligned all amber and any are at back before behind
    by cancel cancelled change changed check check-in check-ins checked choose close closed company
    confidence correct create created current cycle cycles dashboard day days delete deleted describe
    done draft due edit edited every expected export for from green health history hours how import in
    initiative initiatives invite is just key language last latest log measured member members menu minutes
    month months my new next no none not note notifications now objective objectives of off on open or
    out over owner pace people period person planning previous profile progress recorded red remove
    result results risk save saved search section sections settings show since start status target team
    teams the this to today track unit unread update value values week weeks weight what when with year
    years yes you your
"""
ENGLISH_UI_WORDS = frozenset(_WORDS.split())

# Whole words in any script: "toàn" is one Vietnamese word, not "to" + "n".
_WORD = re.compile(r"[^\W\d_][\w'-]*")


class _Text(HTMLParser):
    """Visible text and the attributes people read (title, placeholder, aria-label, alt, value of buttons)."""

    # <code> holds what is typed literally (CSV column names), not words of the interface.
    SKIP = {"script", "style", "noscript", "template", "code"}
    READ_ATTRS = {"title", "placeholder", "aria-label", "alt"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skip += 1
        for name, value in attrs:
            if name in self.READ_ATTRS and value:
                self.parts.append(value)
            if name.startswith("data-") and name.endswith("template") and value:
                self.parts.append(value)  # text a script will show
        if tag == "input" and dict(attrs).get("type") in ("submit", "button") and dict(attrs).get("value"):
            self.parts.append(dict(attrs)["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "\n".join(p.strip() for p in parser.parts if p.strip())


def english_words_in(text: str, *, allowed: frozenset[str] = frozenset()) -> list[str]:
    """The English UI words in ``text`` (lower-cased, each once, in order of appearance)."""
    found: list[str] = []
    for word in _WORD.findall(text):
        low = word.lower()
        if low in ENGLISH_UI_WORDS and low not in allowed and low not in found:
            found.append(low)
    return found
