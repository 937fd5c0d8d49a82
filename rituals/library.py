"""The template library: OKR and KPI templates shipped as data files
(``rituals/template_data/*.json``, English and Vietnamese side by side).

Pure reading here; writing from a template is ``objectives.services.templates``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.utils.translation import get_language

from rituals import coach

LIBRARY_DIR = Path(__file__).resolve().parent / "template_data"
FUNCTIONS = ("marketing", "sales", "finance", "hr", "customer_service", "operations", "product")
LANGUAGES = ("en", "vi")


@dataclass(frozen=True)
class KeyResultTemplate:
    title: str
    unit: str
    start: float
    target: float
    kind: str = "number"


@dataclass(frozen=True)
class OkrTemplate:
    key: str
    function: str
    function_label: str
    commitment: str
    title: str
    description: str
    key_results: tuple[KeyResultTemplate, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class KpiTemplate:
    key: str
    function: str
    function_label: str
    name: str
    description: str
    how_measured: str
    unit: str
    direction: str
    target: float
    amber_threshold: float | None
    frequency: str
    perspective: str

    def as_query(self) -> dict[str, Any]:
        """The KPI form's fields, to open it prefilled."""
        out = {
            "name": self.name,
            "description": self.description,
            "how_measured": self.how_measured,
            "unit": self.unit,
            "direction": self.direction,
            "target": self.target,
            "frequency": self.frequency,
            "perspective": self.perspective,
        }
        if self.amber_threshold is not None:
            out["amber_threshold"] = self.amber_threshold
        return out


@cache
def _raw() -> dict[str, dict[str, Any]]:
    return {name: json.loads((LIBRARY_DIR / f"{name}.json").read_text(encoding="utf-8")) for name in FUNCTIONS}


def _lang(language: str | None) -> str:
    code = (language or get_language() or "en").split("-")[0]
    return code if code in LANGUAGES else "en"


def okr_templates(language: str | None = None) -> list[OkrTemplate]:
    lang = _lang(language)
    out = []
    for function, data in _raw().items():
        for item in data["okrs"]:
            text = item[lang]
            out.append(
                OkrTemplate(
                    key=item["key"],
                    function=function,
                    function_label=data["label"][lang],
                    commitment=item["commitment"],
                    title=text["title"],
                    description=text["description"],
                    key_results=tuple(
                        KeyResultTemplate(
                            title=kr["title"],
                            unit=kr["unit"],
                            start=kr["start"],
                            target=kr["target"],
                            kind=kr.get("kind", "number"),
                        )
                        for kr in text["key_results"]
                    ),
                )
            )
    return out


def kpi_templates(language: str | None = None) -> list[KpiTemplate]:
    lang = _lang(language)
    out = []
    for function, data in _raw().items():
        for item in data["kpis"]:
            text = item[lang]
            out.append(
                KpiTemplate(
                    key=item["key"],
                    function=function,
                    function_label=data["label"][lang],
                    name=text["name"],
                    description=text["description"],
                    how_measured=text["how_measured"],
                    unit=text["unit"],
                    direction=item["direction"],
                    target=item["target"],
                    amber_threshold=item.get("amber_threshold"),
                    frequency=item["frequency"],
                    perspective=item["perspective"],
                )
            )
    return out


def okr_template(key: str, language: str | None = None) -> OkrTemplate | None:
    return next((t for t in okr_templates(language) if t.key == key), None)


# --- the coach on templates ----------------------------------------------------------------


def okr_facts(template: OkrTemplate, *, owner_id: int = 1) -> coach.ObjectiveFacts:
    """Coach facts of an OKR template. Owners and alignment are chosen when the template is used,
    so the template is judged as a company objective whose key results have an owner."""
    return coach.ObjectiveFacts(
        title=template.title,
        owner_type="company",
        key_results=[
            coach.KeyResultFacts(
                title=kr.title, owner_id=owner_id, kind=kr.kind, unit=kr.unit, start=kr.start, target=kr.target
            )
            for kr in template.key_results
        ],
    )


def kpi_facts(template: KpiTemplate) -> coach.KpiFacts:
    return coach.KpiFacts(
        name=template.name,
        unit=template.unit,
        how_measured=template.how_measured,
        description=template.description,
        frequency=template.frequency,
        direction=template.direction,
        amber_threshold=template.amber_threshold,
    )
