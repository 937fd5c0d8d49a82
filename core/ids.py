"""Parsing object ids from URLs and query strings without ever reaching the
database with a value it cannot store (a 30-digit "id" is not found, not a 500)."""

from __future__ import annotations

MAX_ID = 2**63 - 1


def parse_id(raw: object) -> int | None:
    """A positive 64-bit integer id from user input, or None."""
    text = str(raw).strip() if raw is not None else ""
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None
