"""Reading an OKR file into a plan: objectives (grouped by their key) with their key
results and initiatives, each matched to what the organisation already holds, every
problem reported on its row. Nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from cycles.models import Cycle, CycleStatus
from kpis.models import Direction
from objectives.models import (
    MAX_KEY_RESULTS,
    MIN_KEY_RESULTS_TO_ACTIVATE,
    Commitment,
    KeyResult,
    KeyResultKind,
    Objective,
    ObjectiveStatus,
)
from orgs.models import Team, User
from orgs.ownership import OwnerType
from transfer.columns import Mapped, read_number
from transfer.kinds.base import Context, KeyBook, Report, natural_key
from transfer.kinds.resolve import People, choice_names, read_date, unknown_owner
from transfer.reading import Table, header_key

TOLERANCE = 1e-9
# The kinds a file makes; an ``aligned`` key result takes its value from contributions.
IMPORTED_KINDS = frozenset(
    {KeyResultKind.NUMBER, KeyResultKind.PERCENT, KeyResultKind.CURRENCY, KeyResultKind.MILESTONE}
)


@dataclass
class KrSpec:
    line: int
    key: str
    title: str
    owner: User | None
    start: float
    target: float
    current: float | None
    unit: str
    confidence: int | None
    kind: str = KeyResultKind.NUMBER
    note: str = ""
    existing: KeyResult | None = None


@dataclass
class ObjSpec:
    line: int
    key: str
    title: str
    commitment: str
    owner: tuple[str, Team | None, User | None]
    status: str
    parent_text: str
    cycle: Cycle
    on: date | None
    krs: list[KrSpec] = field(default_factory=list)
    initiatives: list[tuple[int, str]] = field(default_factory=list)
    existing: Objective | None = None
    parent: Objective | ObjSpec | None = None
    bad: bool = False
    description: str = ""


class Plan:
    def __init__(self, ctx: Context, mapped: Mapped, report: Report) -> None:
        self.ctx, self.m, self.report = ctx, mapped, report
        self.people = People(ctx)
        self.keys = KeyBook(ctx.org, "okrs")
        self.cycles = list(Cycle.objects.filter(organization=ctx.org))
        self.objectives: dict[str, ObjSpec] = {}
        # Every objective with its key results and initiatives, read once: the plan asks
        # about them for every row.
        self.org_objectives = list(
            Objective.objects.filter(organization=ctx.org).prefetch_related("key_results", "initiatives")
        )
        self.objective_by_pk = {o.pk: o for o in self.org_objectives}
        self.kr_by_pk = {k.pk: k for o in self.org_objectives for k in o.key_results.all()}
        self.by_title: dict[tuple[int | None, str], list[Objective]] = {}
        for o in self.org_objectives:
            self.by_title.setdefault((o.cycle_id, o.title.casefold()), []).append(o)
            self.by_title.setdefault((-1, o.title.casefold()), []).append(o)
        self.parent_ids = {o.pk: o.parent_id for o in self.org_objectives}
        self.statuses = choice_names(ObjectiveStatus)
        self.commitments = choice_names(Commitment)
        self.levels = choice_names(OwnerType)
        kinds = choice_names(KeyResultKind)
        self.kr_kinds = {k: v for k, v in kinds.items() if v in IMPORTED_KINDS}
        self.directions = choice_names(Direction)

    # --- reading ------------------------------------------------------------------------------

    def read(self, table: Table) -> None:
        for done, (line, cells) in enumerate(table.rows, start=1):
            self.ctx.tick(done)
            spec = self._objective(line, cells)
            if spec is not None and self.m.get(cells, "key_result"):
                self._key_result(spec, line, cells)
            if spec is not None and self.m.get(cells, "initiative"):
                spec.initiatives.append((line, self.m.get(cells, "initiative")))

    def _objective(self, line: int, cells: list[str]) -> ObjSpec | None:
        title = self.m.get(cells, "objective")
        if not title:
            self.report.error(line, "objective", _("The objective's title is missing."))
            return None
        cycle = self._cycle(line, cells)
        if cycle is None:
            return None
        key = self.m.get(cells, "objective_key") or natural_key(cycle.name, title)
        if key in self.objectives:
            return self.objectives[key]
        owner = self._owner(line, cells)
        status_text = self.m.get(cells, "status")
        status = self.statuses.get(header_key(status_text), "") if status_text else ""
        if status_text and not status:
            self.report.error(line, "status", _("Unknown value “%(value)s”.") % {"value": status_text[:40]})
        type_text = self.m.get(cells, "type")
        commitment = self.commitments.get(header_key(type_text), "") if type_text else Commitment.COMMITTED
        if not commitment:
            self.report.error(line, "type", _("Unknown value “%(value)s”.") % {"value": type_text[:40]})
        if owner is None or not commitment or (status_text and not status):
            return None
        spec = ObjSpec(line, key, title, commitment, owner, status, self.m.get(cells, "parent"), cycle, None)
        spec.description = self.m.get(cells, "description")
        spec.existing = self._known(Objective, key) or self._by_title(title, cycle)
        self.objectives[key] = spec
        return spec

    def _by_title(self, title: str, cycle: Cycle) -> Objective | None:
        found = self.by_title.get((cycle.pk, title.casefold()), [])
        return found[0] if len(found) == 1 else None

    def _known(self, model: type[Objective] | type[KeyResult], key: str) -> Any:
        """What an earlier import of this key made, if it is still in the organisation."""
        known = self.keys.get(model, key)
        if known is None:
            return None
        return (self.objective_by_pk if model is Objective else self.kr_by_pk).get(known.object_id)

    def _cycle(self, line: int, cells: list[str]) -> Cycle | None:
        name, day_text = self.m.get(cells, "cycle"), self.m.get(cells, "date")
        if name:
            found = [c for c in self.cycles if header_key(c.name) == header_key(name)]
            if not found:
                self.report.error(line, "cycle", _("Unknown cycle “%(value)s”.") % {"value": name[:80]})
            return found[0] if found else None
        if day_text:
            day = read_date(day_text)
            if day is None:
                self.report.error(line, "date", _("Enter a date as YYYY-MM-DD."))
                return None
            found = [c for c in self.cycles if c.start_date <= day <= c.end_date]
            if not found:
                self.report.error(line, "date", _("%(date)s is outside every cycle.") % {"date": day.isoformat()})
            return found[0] if found else None
        return self._default_cycle(line)

    def _default_cycle(self, line: int) -> Cycle | None:
        chosen = self.ctx.options.get("cycle")
        if chosen:
            found = [c for c in self.cycles if c.pk == int(chosen)]
        else:
            today = self.ctx.org.today()
            found = [c for c in self.cycles if c.status == CycleStatus.ACTIVE and c.start_date <= today <= c.end_date]
            found = found or [c for c in self.cycles if c.status == CycleStatus.ACTIVE]
        if not found:
            self.report.error(line, "cycle", _("Add a Cycle column, or choose the cycle to import into."))
            return None
        return found[0]

    def _owner(self, line: int, cells: list[str]) -> tuple[str, Team | None, User | None] | None:
        level_text, text = self.m.get(cells, "owner_level"), self.m.get(cells, "owner")
        level = self.levels.get(header_key(level_text), "") if level_text else ""
        owner = self.people.owner(text, level)
        if owner is None:
            self.report.unknown_person(line, "owner", text, unknown_owner(text))
        return owner

    def _number(self, line: int, cells: list[str], name: str, default: float | None) -> Any:
        text = self.m.get(cells, name)
        if not text:
            return default
        try:
            return read_number(text, language=self.m.language)
        except ValidationError as exc:
            self.report.error_from(line, name, exc)
            return ValidationError

    def _key_result(self, spec: ObjSpec, line: int, cells: list[str]) -> None:
        title = self.m.get(cells, "key_result")
        owner_text = self.m.get(cells, "key_result_owner")
        owner = self.people.person(owner_text) if owner_text else spec.owner[2] or self.ctx.actor
        if owner_text and owner is None:
            self.report.unknown_person(line, "key_result_owner", owner_text, unknown_owner(owner_text))
        kind = self._kr_kind(line, cells)
        start = self._number(line, cells, "start", 0.0)
        target = self._number(line, cells, "target", 1.0 if kind == KeyResultKind.MILESTONE else None)
        current = self._number(line, cells, "current", None)
        confidence = self._number(line, cells, "confidence", None)
        if kind is None or not self._direction_fits(line, cells, start, target):
            return
        if target is None:
            self.report.error(line, "target", _("A target is required."))
        numbers = (start, target, current, confidence)
        if owner is None or target is None or ValidationError in numbers:
            return
        key = self.m.get(cells, "key_result_key") or natural_key(spec.key, title)
        if any(k.key == key for k in spec.krs):
            self.report.error(line, "key_result", _("This key result appears twice."))
            return
        conf = None if confidence is None else max(1, min(10, round(confidence)))
        kr = KrSpec(line, key, title, owner, start, target, current, self.m.get(cells, "unit"), conf, kind)
        kr.note = self.m.get(cells, "note")
        kr.existing = self._existing_kr(spec, kr)
        spec.krs.append(kr)

    def _kr_kind(self, line: int, cells: list[str]) -> str | None:
        """The key result's kind as the file writes it (a value or a label, English or
        Vietnamese); a number when the column is empty. An aligned one is not a file's to make."""
        text = self.m.get(cells, "kind")
        if not text:
            return KeyResultKind.NUMBER
        kind = self.kr_kinds.get(header_key(text))
        if kind is None:
            self.report.error(line, "kind", _("Unknown value %(value)s.") % {"value": text[:40]})
        return kind

    def _direction_fits(self, line: int, cells: list[str], start: Any, target: Any) -> bool:
        """The direction column, when there is one, agrees with the start and the target (a key
        result moves the way its target lies from its start: that is its direction)."""
        text = self.m.get(cells, "direction")
        if not text or not isinstance(start, float | int) or not isinstance(target, float | int):
            return True
        direction = self.directions.get(header_key(text))
        down = direction == Direction.LOWER_IS_BETTER
        if direction in (Direction.HIGHER_IS_BETTER, Direction.LOWER_IS_BETTER) and (
            start == target or (target < start) == down
        ):
            return True
        self.report.error(line, "direction", _("The direction does not match the start and the target."))
        return False

    def _existing_kr(self, spec: ObjSpec, kr: KrSpec) -> KeyResult | None:
        found = self._known(KeyResult, kr.key)
        if found is not None and spec.existing is not None and found.objective_id != spec.existing.pk:
            found = None
        if found is None and spec.existing is not None:
            same = [k for k in spec.existing.key_results.all() if k.title.casefold() == kr.title.casefold()]
            found = same[0] if len(same) == 1 else None
        return found

    # --- checking the whole -------------------------------------------------------------------

    def resolve(self) -> None:
        self.file_titles: dict[str, list[ObjSpec]] = {}
        for s in self.objectives.values():
            self.file_titles.setdefault(s.title.casefold(), []).append(s)
        self.spec_by_pk = {s.existing.pk: s for s in self.objectives.values() if s.existing is not None}
        for spec in self.objectives.values():
            self._check_count(spec)
            if spec.status == ObjectiveStatus.ACTIVE and len(spec.krs) < MIN_KEY_RESULTS_TO_ACTIVATE:
                kept = spec.existing.key_results.count() if spec.existing else 0
                if kept < MIN_KEY_RESULTS_TO_ACTIVATE:
                    self._bad(spec, "status", _("An active objective needs at least 2 key results."))
            if spec.parent_text:
                self._parent(spec)
        for spec in self.objectives.values():
            if spec.parent is not None and self._loops(spec):
                self._bad(spec, "parent", _("This alignment makes a loop."))

    def _bad(self, spec: ObjSpec, column: str, message: str) -> None:
        spec.bad = True
        self.report.error(spec.line, column, message)

    def _check_count(self, spec: ObjSpec) -> None:
        matched = {kr.existing.pk for kr in spec.krs if kr.existing is not None}
        kept = 0
        if spec.existing is not None:
            kept = sum(1 for k in spec.existing.key_results.all() if k.pk not in matched)
        for n, kr in enumerate(spec.krs, start=1):
            if kept + n > MAX_KEY_RESULTS:
                spec.bad = True
                self.report.error(
                    kr.line, "key_result", _("An objective has at most %(n)d key results.") % {"n": MAX_KEY_RESULTS}
                )

    def _parent(self, spec: ObjSpec) -> None:
        text = spec.parent_text
        in_file = self.objectives.get(text) or self._unique(self.file_titles.get(text.casefold(), []))
        found: Objective | ObjSpec | None = in_file
        if found is None:
            by_id = self.objective_by_pk.get(int(text)) if text.isdigit() else None
            found = self._known(Objective, text) or by_id or self._unique(self.by_title.get((-1, text.casefold()), []))
        if found is None:
            self._bad(spec, "parent", _("No objective “%(value)s” to align to.") % {"value": text[:80]})
        spec.parent = found

    @staticmethod
    def _unique(found: list[Any]) -> Any:
        return found[0] if len(found) == 1 else None

    def _loops(self, spec: ObjSpec) -> bool:
        parents, by_pk = self.parent_ids, self.spec_by_pk
        node: Any = spec.parent
        for _step in range(len(parents) + len(self.objectives) + 2):
            if node is None:
                return False
            if node is spec or (spec.existing is not None and getattr(node, "pk", None) == spec.existing.pk):
                return True
            if isinstance(node, Objective) and node.pk in by_pk:
                node = by_pk[node.pk]
            if isinstance(node, ObjSpec):
                node = node.parent if node.parent_text else node.existing and node.existing.parent
            else:
                pid = parents.get(node.pk)
                node = None if pid is None else by_pk.get(pid) or self.objective_by_pk.get(pid)
        return True

    # --- counting -----------------------------------------------------------------------------

    def count(self) -> None:
        for spec in self.objectives.values():
            if spec.bad:
                continue
            self.report.count(_objective_action(spec))
            for kr in spec.krs:
                self.report.count(_kr_action(kr))


def objective_changes(spec: ObjSpec) -> dict[str, Any]:
    o = spec.existing
    if o is None:
        return {}
    level, team, user = spec.owner
    changes: dict[str, Any] = {}
    if o.title != spec.title:
        changes["title"] = spec.title
    if o.commitment != spec.commitment:
        changes["commitment"] = spec.commitment
    if spec.description and o.description != spec.description:  # an empty cell keeps what is there
        changes["description"] = spec.description
    if (o.owner_type, o.owner_team_id, o.owner_user_id) != (
        level,
        getattr(team, "pk", None),
        getattr(user, "pk", None),
    ):
        changes.update(owner_type=level, owner_team=team, owner_user=user)
    if isinstance(spec.parent, Objective) and o.parent_id != spec.parent.pk:
        changes["parent"] = spec.parent
    return changes


def _objective_action(spec: ObjSpec) -> str:
    if spec.existing is None:
        return "create"
    # Aligned to an objective of the file: moved unless it is already under that one.
    parent = spec.parent
    moved = isinstance(parent, ObjSpec) and (parent.existing is None or spec.existing.parent_id != parent.existing.pk)
    status = spec.status and spec.status != spec.existing.status
    return "update" if objective_changes(spec) or moved or status or new_initiatives(spec) else "unchanged"


def new_initiatives(spec: ObjSpec) -> list[tuple[int, str]]:
    """The file's initiatives the objective does not have yet (by title)."""
    if not spec.initiatives:
        return []
    have = {i.title.casefold() for i in spec.existing.initiatives.all()} if spec.existing else set()
    out, seen = [], set()
    for line, title in spec.initiatives:
        if title.casefold() not in have and title.casefold() not in seen:
            seen.add(title.casefold())
            out.append((line, title))
    return out


def kr_changes(kr: KrSpec) -> dict[str, Any]:
    k = kr.existing
    if k is None:
        return {}
    changes: dict[str, Any] = {}
    if k.title != kr.title:
        changes["title"] = kr.title
    if kr.owner is not None and k.owner_id != kr.owner.pk:
        changes["owner"] = kr.owner
    if kr.unit != k.unit:
        changes["unit"] = kr.unit
    if kr.kind != k.kind:
        changes["kind"] = kr.kind
    for name, value in (("start_value", kr.start), ("target_value", kr.target)):
        if abs(getattr(k, name) - value) > TOLERANCE:
            changes[name] = value
    return changes


def value_changed(kr: KrSpec) -> bool:
    k = kr.existing
    if k is None or kr.current is None:
        return False
    return abs(k.current_value - kr.current) > TOLERANCE or (
        kr.confidence is not None and k.confidence != kr.confidence
    )


def _kr_action(kr: KrSpec) -> str:
    if kr.existing is None:
        return "create"
    return "update" if kr_changes(kr) or value_changed(kr) else "unchanged"
