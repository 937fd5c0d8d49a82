"""Where a value came from (DESIGN §4, "Provenance"): every measurement and check-in
records its ``origin`` and a small JSON object saying more — who typed it, which import
file, which data source (when, the raw value and its hash), which formula inputs.

One shape for every floor: the KPI services, the check-in services, imports, data
sources and formulas pass a ``Provenance``; nothing else builds the JSON. It lives on
the ground floor because both ``kpis`` and ``objectives`` write it and the rooms above
(imports, data sources, chat) hand it in.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class Origin(models.TextChoices):
    MANUAL = "manual", _("Typed by a person")
    IMPORT = "import", _("Imported from a file")
    SOURCE = "source", _("Pulled from a data source")
    FORMULA = "formula", _("Computed by a formula")
    WEBHOOK = "webhook", _("Pushed by a webhook")
    CHAT = "chat", _("Sent from chat")
    EMAIL = "email", _("Sent by e-mail")


RAW_LIMIT = 200  # characters of the raw value kept (the hash covers all of it)


def raw_hash(raw: str) -> str:
    """``sha256:<hex>`` of the raw value as received: the same text gives the same hash."""
    return "sha256:" + hashlib.sha256(raw.encode("utf-8", errors="replace")).hexdigest()


@dataclass(frozen=True)
class Provenance:
    """A value's origin and what to say about it. Every field but ``origin`` is optional;
    ``as_json`` keeps only those given. ``inputs``: a formula's ``{"kpi:<id>": value}``."""

    origin: str = Origin.MANUAL
    who: int | None = None
    who_name: str = ""
    file: str = ""
    source: int | None = None
    source_name: str = ""
    fetched_at: datetime | None = None
    raw: str | None = None
    formula: str = ""
    inputs: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.who is not None:
            out["who"] = self.who
        if self.who_name:
            out["who_name"] = self.who_name
        if self.file:
            out["file"] = self.file
        if self.source is not None:
            out["source"] = self.source
        if self.source_name:
            out["source_name"] = self.source_name
        if self.fetched_at is not None:
            out["fetched_at"] = self.fetched_at.isoformat()
        if self.raw is not None:
            out["raw"] = self.raw[:RAW_LIMIT]
            out["hash"] = raw_hash(self.raw)
        if self.formula:
            out["formula"] = self.formula
        if self.inputs:
            out["inputs"] = dict(self.inputs)
        return out


def manual(who: Any) -> Provenance:
    """A value typed by ``who`` (a user, or None when nobody is known)."""
    if who is None:
        return Provenance(origin=Origin.MANUAL)
    name = str(getattr(who, "display_name", "") or getattr(who, "email", "") or "")
    return Provenance(origin=Origin.MANUAL, who=int(who.pk), who_name=name)
