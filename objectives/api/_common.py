"""What the objective API resources share."""

from __future__ import annotations

from typing import Any

from core.ids import parse_id


def _int_param(request: Any, name: str) -> int | None:
    raw = request.query_params.get(name)
    return parse_id(raw)
