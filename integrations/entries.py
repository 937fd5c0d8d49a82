"""Reading a check-in typed as text: "1: 45, 2: 4,5 (conf 7), 3: done" (pure: no database).

Each entry starts with the key result's number and a colon; what follows up to the next
number-and-colon is its value, an optional confidence in brackets ("(conf 7)", "(tin cậy
7)"), an optional "!" or "(confirm)" that says an unusual value is meant, and an optional
note after " - ". The value itself is read later by the page's number reader
(``core.numbers``), in the person's language, so "4,5" is 4.5 in Vietnamese and a comma
between entries is never mistaken for a decimal one: entries are split at their numbers.

A reply e-mail's quoted text ("> …", "On … wrote:", Outlook's "From:" block) and its
signature ("-- ") are dropped before any of this (``reply_body``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# An entry's start: its number (1-99), a colon or an equals sign.
_MARKER = re.compile(r"(?:^|(?<=[\s,;]))#?(\d{1,2})\s*[:=]\s*")
_CONFIDENCE = re.compile(
    r"\(?\s*(?:conf(?:idence)?|độ tin cậy|tin cậy|tự tin)\s*[:=]?\s*(\d{1,3})\s*(?:/\s*10)?\s*\)?",
    re.IGNORECASE,
)
_CONFIRM = re.compile(r"\(\s*(?:confirm(?:ed)?|sure|xác nhận|chắc chắn)\s*\)|!\s*$", re.IGNORECASE)
DONE_WORDS = ("done", "complete", "completed", "yes", "xong", "hoàn thành", "đã xong", "rồi")
NOT_DONE_WORDS = ("not done", "not yet", "no", "chưa", "chưa xong", "chưa hoàn thành")
MAX_ENTRIES = 20


@dataclass(frozen=True)
class Entry:
    """One "number: value" of a message, as typed (``value`` not yet read as a number)."""

    number: int
    value: str
    confidence: int | None
    confirmed: bool
    note: str
    raw: str

    @property
    def done(self) -> bool | None:
        """True for "done", False for "not done", None for anything else (a number)."""
        word = self.value.strip().casefold()
        if word in NOT_DONE_WORDS:
            return False
        if word in DONE_WORDS:
            return True
        return None


def parse_entries(text: str) -> tuple[list[Entry], list[str]]:
    """The entries of ``text``, and the lines that hold text but no entry (to answer them)."""
    entries: list[Entry] = []
    stray: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        marks = list(_MARKER.finditer(line))
        if not marks:
            stray.append(line[:200])
            continue
        if line[: marks[0].start()].strip(" ,;"):
            stray.append(line[: marks[0].start()].strip()[:200])
        for i, mark in enumerate(marks):
            end = marks[i + 1].start() if i + 1 < len(marks) else len(line)
            entries.append(_entry(int(mark.group(1)), line[mark.end() : end].strip().rstrip(",;").strip()))
            if len(entries) >= MAX_ENTRIES:
                return entries, stray
    return entries, stray


def _entry(number: int, body: str) -> Entry:
    raw = f"{number}: {body}"
    note = ""
    if " - " in body:
        body, note = (part.strip() for part in body.split(" - ", 1))
    confirmed = _CONFIRM.search(body) is not None
    body = _CONFIRM.sub("", body).strip()
    confidence: int | None = None
    conf = _CONFIDENCE.search(body)
    if conf is not None and conf.start() > 0:
        confidence = int(conf.group(1))
        body = (body[: conf.start()] + body[conf.end() :]).strip()
    return Entry(number=number, value=body.strip(), confidence=confidence, confirmed=confirmed, note=note, raw=raw)


# --- the new text of a reply e-mail -------------------------------------------------------

_QUOTE_HEADERS = (
    re.compile(r"^\s*On .{4,200}wrote:\s*$", re.IGNORECASE),
    re.compile(r"^\s*Vào .{4,200}(đã )?viết:\s*$", re.IGNORECASE),
    re.compile(r"^\s*-{2,}\s*(Original Message|Forwarded message|Thư gốc)\s*-{2,}", re.IGNORECASE),
    re.compile(r"^\s*(From|Từ|De|Von)\s*:\s*.+@", re.IGNORECASE),
    re.compile(r"^_{10,}\s*$"),
)
_SIGNATURE = re.compile(r"^(--|-- |__)\s*$|^Sent from my |^Gửi từ ", re.IGNORECASE)


def reply_body(text: str) -> str:
    """What the person wrote above the quoted message and the signature."""
    kept: list[str] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if any(p.match(line) for p in _QUOTE_HEADERS) or _SIGNATURE.match(line):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    return "\n".join(kept).strip()
