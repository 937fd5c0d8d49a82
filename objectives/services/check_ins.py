"""Check-ins: the hot path of the Friday rush. The API's check-in reads the key result once
and, on PostgreSQL, writes everything in one statement (``key_result_check_in_by_id``);
the pages' takes the row lock (``key_result_check_in``)."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from activity.models import ActivityEntry
from activity.services import activity_record
from core.provenance import Provenance
from core.provenance import manual as manual_provenance
from core.rows import Columns, typed_placeholders
from core.validation import clean_number
from cycles.models import Cycle, CycleStatus
from notifications.channels import carried_sql, channel_publish
from notifications.models import ChannelEvent
from objectives import queue
from objectives.models import (
    CheckIn,
    KeyResult,
    KeyResultKind,
    Objective,
    ObjectiveStatus,
    RollupPending,
)
from objectives.queue import outbox_in_use, schedule_rollup
from objectives.services._helpers import (
    _check_planned,
    _confidence,
    _rollup,
    check_cycle_open,
)
from objectives.signals import check_in_mentions
from orgs import mentions, permissions
from orgs.models import Membership, Organization, User
from orgs.visibility import Visibility


@transaction.atomic
def key_result_check_in(
    *,
    key_result: KeyResult,
    actor: User,
    value: Any,
    confidence: Any,
    note: str = "",
    at: Any = None,
    provenance: Provenance | None = None,
) -> CheckIn:
    """Append a check-in and set the key result's current value and confidence.

    The key-result row is locked (``select_for_update``) so concurrent
    check-ins on one key result apply one after the other; the objective
    chain is then recomputed from stored values, after commit (``queue``). ``provenance``
    says where the value came from (``core.provenance``; None: typed by ``actor``).
    """
    org = None
    if KeyResult.objective.is_cached(key_result) and Objective.organization.is_cached(key_result.objective):
        org = key_result.objective.organization
    kr = _read_for_check_in(org_id=key_result.organization_id, key_result_id=key_result.pk, org=org, lock=True)
    if kr is None:
        raise KeyResult.DoesNotExist
    came = provenance or manual_provenance(actor)
    return _locked_apply(kr, actor=actor, value=value, confidence=confidence, note=note, at=at, came=came)


class CheckInRefused(Exception):
    """The caller may not check in on this key result (the view answers 403)."""


# Attempts of the unlocked check-in on PostgreSQL before it takes the row lock instead.
OPTIMISTIC_ATTEMPTS = 3


def key_result_check_in_by_id(
    *,
    membership: Membership,
    key_result_id: int,
    value: Any,
    confidence: Any,
    note: str = "",
    provenance: Provenance | None = None,
) -> CheckIn | None:
    """The API's check-in: the key result is read once within the caller's organisation
    (``None`` when it has no such key result), and the caller must be its owner or someone
    who may edit its objective (``CheckInRefused`` otherwise).

    On PostgreSQL nothing is locked and no transaction is opened: the key result is read,
    then one statement writes everything on condition that the row has not changed since
    (its ``xmin``). Outside a transaction that statement commits by itself: two round trips
    to the database where a locked read in a transaction takes four (``BEGIN``, the read,
    the write, ``COMMIT``). When another check-in got there first the read is repeated on
    the new values; after ``OPTIMISTIC_ATTEMPTS`` the row lock settles it."""
    org = membership.organization
    came = provenance or manual_provenance(membership.user)
    # With ROLLUP_INLINE the rollup runs in the caller's transaction: then take the lock.
    if _one_statement() and outbox_in_use():
        for _attempt in range(OPTIMISTIC_ATTEMPTS):
            kr = _read_for_check_in(org_id=org.pk, key_result_id=key_result_id, org=org, lock=False)
            if kr is None:
                return None
            if kr._check_ins_carried:  # type: ignore[attr-defined]
                # A channel carries check-ins: its post (an outbox row) must commit with the
                # check-in, so this one takes the transaction below. Most organisations have none.
                break
            _check_may_check_in(membership, kr)
            check_in = _apply_check_in(
                kr, actor=membership.user, value=value, confidence=confidence, note=note, came=came
            )
            if check_in is not None:
                return check_in
    # A refusal or a bad value rolls all of it back (to a savepoint only when a caller's
    # transaction is open: at the top level, as in a request, there is none to make).
    with transaction.atomic():
        kr = _read_for_check_in(org_id=org.pk, key_result_id=key_result_id, org=org, lock=True)
        if kr is None:
            return None
        _check_may_check_in(membership, kr)
        return _locked_apply(kr, actor=membership.user, value=value, confidence=confidence, note=note, came=came)


def _check_may_check_in(membership: Membership, kr: KeyResult) -> None:
    if not permissions.can_check_in(
        membership, key_result_owner_id=kr.owner_id, objective_editable=kr.objective.editable_by(membership)
    ):
        raise CheckInRefused


def _one_statement() -> bool:
    return connection.vendor == "postgresql" and ONE_STATEMENT_CHECK_IN


_KR = Columns(KeyResult, "k")
_OBJECTIVE = Columns(Objective, "o")
_CYCLE = Columns(Cycle, "c")
_READ_SQL = (
    f"SELECT {_KR.sql}, {_OBJECTIVE.sql}, {_CYCLE.sql} FROM {KeyResult._meta.db_table} k "  # noqa: S608
    f"JOIN {Objective._meta.db_table} o ON o.id = k.objective_id "
    f"LEFT JOIN {Cycle._meta.db_table} c ON c.id = o.cycle_id "
    "WHERE k.id = %s AND k.organization_id = %s"
)
# PostgreSQL also reads whether a chat channel carries check-ins (most organisations have
# none: then nothing is announced and nothing asks Redis), and the key-result row's
# version (the transaction that wrote it): the write applies only to that version.
_CARRIED_SQL, _CARRIED_PARAMS = carried_sql("k.organization_id", ChannelEvent.CHECK_IN)
_READ_SQL_PG = _READ_SQL.replace(" FROM ", f", {_CARRIED_SQL}, k.xmin::text FROM ", 1)


def _read_for_check_in(
    *, org_id: int, key_result_id: int, org: Organization | None = None, lock: bool
) -> KeyResult | None:
    """One statement reads the key result with its objective and cycle. ``lock`` takes only
    the key-result row (``FOR UPDATE OF k``): concurrent check-ins on it apply one after
    the other, while check-ins on sibling key results do not wait for each other. Written
    in SQL: the ORM took five times as long to build this query as to run it (``core.rows``)."""
    postgresql = connection.vendor == "postgresql"
    sql = _READ_SQL_PG if postgresql else _READ_SQL
    if lock and postgresql:
        # The cycle first, then the key result: the close takes them in that order too.
        _share_lock_cycle(org_id=org_id, key_result_id=key_result_id)
        sql += " FOR UPDATE OF k"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*_CARRIED_PARAMS, key_result_id, org_id] if postgresql else [key_result_id, org_id])
        row = cursor.fetchone()
    if row is None:
        return None
    kr = _KR.build(row)
    kr._row_version = row[-1] if postgresql else None  # type: ignore[attr-defined]
    kr._check_ins_carried = row[-2] if postgresql else None  # type: ignore[attr-defined]  # None: ask later
    objective = _OBJECTIVE.build(row, _KR.width)
    cycle_start = _KR.width + _OBJECTIVE.width
    objective.cycle = _CYCLE.build(row, cycle_start) if row[cycle_start] is not None else None
    objective.organization = org if org is not None else Organization.objects.get(pk=org_id)
    kr.objective = objective
    return kr


# The key result's cycle, share-locked until the transaction ends: ``cycle_update`` locks
# the row for update before a close (or a re-open), so a check-in that read the cycle open
# commits before the close freezes it, and one that comes later waits and reads it closed.
_CYCLE_LOCK_SQL = (
    f"SELECT c.id FROM {Cycle._meta.db_table} c "  # noqa: S608 — table names from model metadata
    f"JOIN {Objective._meta.db_table} o ON o.cycle_id = c.id "
    f"JOIN {KeyResult._meta.db_table} k ON k.objective_id = o.id "
    "WHERE k.id = %s AND k.organization_id = %s FOR SHARE OF c"
)


def _share_lock_cycle(*, org_id: int, key_result_id: int) -> None:
    """PostgreSQL, inside the check-in's transaction (a backlog objective has no cycle to lock)."""
    with connection.cursor() as cursor:
        cursor.execute(_CYCLE_LOCK_SQL, [key_result_id, org_id])


def _locked_apply(
    kr: KeyResult, *, actor: User, value: Any, confidence: Any, note: str, came: Provenance, at: Any = None
) -> CheckIn:
    check_in = _apply_check_in(kr, actor=actor, value=value, confidence=confidence, note=note, at=at, came=came)
    if check_in is None:  # the row is locked: nobody can have changed it
        raise RuntimeError(f"check-in on key result {kr.pk}: the locked row changed under the lock")
    return check_in


def _apply_check_in(
    kr: KeyResult, *, actor: User, value: Any, confidence: Any, note: str, came: Provenance, at: Any = None
) -> CheckIn | None:
    """The rules, then the writes; ``None`` when the one-statement write found the key
    result changed since it was read (nothing written: read it again)."""
    objective = kr.objective
    number, conf, note = _check_in_values(kr, value=value, confidence=confidence, note=note)
    when = at or timezone.now()
    before = {"current_value": kr.current_value, "confidence": kr.confidence}
    after = {"current_value": number, "confidence": conf, "note": note, "origin": came.origin}
    kr.current_value, kr.confidence = number, conf
    kr.progress = kr.progress_value()
    if kr.last_check_in_at is None or when >= kr.last_check_in_at:
        kr.last_check_in_at = when
    if _one_statement():
        outbox = outbox_in_use()
        check_in = _write_check_in_at_once(
            kr, actor=actor, when=when, note=note, before=before, after=after, outbox=outbox, came=came
        )
        if check_in is None:
            return None
        if outbox:  # the statement wrote the rollup's outbox row too
            schedule_rollup(org_id=kr.organization_id, objective_id=objective.pk, written=True)
        else:
            _rollup(objective)
    else:
        check_in = _write_check_in(kr, actor=actor, when=when, note=note, before=before, after=after, came=came)
        _rollup(objective)
    _announce_check_in(objective, kr, check_in, actor)
    if "@[" in check_in.note:
        check_in_mentions.send(sender=CheckIn, check_in=check_in, key_result=kr, objective=objective, actor=actor)
    return check_in


def _check_in_values(kr: KeyResult, *, value: Any, confidence: Any, note: str) -> tuple[float, int, str]:
    """The rules of a check-in (the cycle open, the objective planned and taking check-ins, a
    milestone 0 or 1, a short note): the value, confidence and note to write."""
    objective = kr.objective
    check_cycle_open(objective.cycle)
    _check_planned(objective)
    if objective.status in (ObjectiveStatus.CANCELLED, ObjectiveStatus.CLOSED):
        raise ValidationError(
            {
                "key_result": _("This objective is %(status)s; it takes no more check-ins.")
                % {"status": objective.get_status_display().lower()}
            }
        )
    if kr.kind == KeyResultKind.ALIGNED:
        raise ValidationError(
            {"key_result": _("This key result follows the objectives contributing to it; it takes no check-ins.")}
        )
    if kr.kind == KeyResultKind.MILESTONE:
        number = clean_number(value, "value")
        if number not in (0.0, 1.0):
            raise ValidationError({"value": _("A milestone is 1 (done) or 0 (not done).")})
    else:
        number = clean_number(value, "value")
    conf = _confidence(confidence)
    note = (note or "").strip()
    if len(note) > 2000:
        raise ValidationError({"note": _("Keep the note under 2,000 characters.")})
    stored = mentions.stored_form(kr.organization_id, note)  # "@Name" kept as the member's id
    mentions.refuse_blind_mentions(objective, stored, field="note")
    return number, conf, stored


def _write_check_in(
    kr: KeyResult,
    *,
    actor: User,
    when: Any,
    note: str,
    before: dict[str, Any],
    after: dict[str, Any],
    came: Provenance,
) -> CheckIn:
    """The check-in's writes through the ORM (SQLite, or the one statement turned off): the
    check-in, the key result's columns and the activity entry, whose data version the
    rollup bumps."""
    check_in = CheckIn.objects.create(
        organization_id=kr.organization_id,
        key_result=kr,
        author=actor,
        value=kr.current_value,
        confidence=kr.confidence,
        note=note,
        origin=came.origin,
        provenance=came.as_json(),
        created_at=when,
    )
    kr.save(update_fields=["current_value", "confidence", "progress", "last_check_in_at", "updated_at"])
    activity_record(
        org=kr.objective.organization,
        actor=actor,
        verb="key_result.checked_in",
        target=kr,
        before=before,
        after=after,
        bump_version=False,  # the rollup queued below bumps it: one commit per check-in (orgs.versions)
    )
    return check_in


# On PostgreSQL the check-in's writes go in one statement (a test turns it off to compare
# the rows with the ORM's). The key result is updated only if its row is the version read
# (``xmin``); the other rows are written only if it was (``FROM kr``).
ONE_STATEMENT_CHECK_IN = True
_CHECK_IN_COLUMNS = (
    "organization_id", "key_result_id", "author_id", "value", "confidence", "note",
    "origin", "provenance", "created_at",
)  # fmt: skip
_ACTIVITY_COLUMNS = (
    "organization_id", "actor_id", "verb", "target_type", "target_id", "target_repr", "before", "after", "created_at",
)  # fmt: skip
# The write also needs the objective's cycle open (share-locked, as ``_share_lock_cycle``
# does for the locked path: a close waits for this statement, and this statement, when a
# close holds the row, waits and then sees it closed) and the objective still taking
# check-ins; otherwise nothing is written and the caller's new read refuses the check-in.
_WRITE_SQL = f"""
    WITH open AS (
        SELECT c.id FROM {Cycle._meta.db_table} c JOIN {Objective._meta.db_table} o ON o.cycle_id = c.id
        WHERE o.id = %s AND c.status <> %s AND o.status NOT IN (%s, %s) FOR SHARE OF c
    ), kr AS (
        UPDATE {KeyResult._meta.db_table}
        SET current_value = %s, confidence = %s, progress = %s, last_check_in_at = %s, updated_at = %s
        WHERE id = %s AND xmin = %s::xid AND EXISTS (SELECT 1 FROM open) RETURNING id
    ), ci AS (
        INSERT INTO {CheckIn._meta.db_table} ({", ".join(_CHECK_IN_COLUMNS)})
        SELECT {typed_placeholders(CheckIn, _CHECK_IN_COLUMNS)} FROM kr RETURNING id
    ), act AS (
        INSERT INTO {ActivityEntry._meta.db_table} ({", ".join(_ACTIVITY_COLUMNS)})
        SELECT {typed_placeholders(ActivityEntry, _ACTIVITY_COLUMNS)} FROM kr RETURNING id
    )
    SELECT (SELECT id FROM ci), (SELECT COUNT(*) FROM kr), (SELECT COUNT(*) FROM act)
"""  # noqa: S608 — table names come from model metadata, values are parameters
# ... and the rollup's outbox row (objectives.queue), when rollups go through the worker.
_WRITE_WITH_OUTBOX_SQL = _WRITE_SQL.replace(
    "\n    )\n    SELECT",
    f"\n    ), rp AS ({queue.PENDING_INTO} SELECT {typed_placeholders(RollupPending, queue.PENDING_COLUMNS)}"  # noqa: S608
    " FROM kr RETURNING id)\n    SELECT",
    1,
)


def _write_check_in_at_once(
    kr: KeyResult,
    *,
    actor: User,
    when: Any,
    note: str,
    before: dict[str, Any],
    after: dict[str, Any],
    outbox: bool,
    came: Provenance,
) -> CheckIn | None:
    """PostgreSQL: the key result's new values, the check-in and the activity entry in one
    statement (the rows ``kr.save(update_fields=…)``, ``CheckIn.objects.create`` and
    ``activity_record`` write on SQLite, column for column; a test compares them), with
    ``outbox`` the row that queues the objective's rollup too (as ``queue.schedule_rollup``
    writes it). The busiest write of the product in one round trip instead of four.
    ``None`` when the key result's row is no longer the version read: nothing is written."""
    now = timezone.now()
    params = [
        kr.objective_id, CycleStatus.CLOSED, ObjectiveStatus.CANCELLED, ObjectiveStatus.CLOSED,
        kr.current_value, kr.confidence, kr.progress, kr.last_check_in_at, now, kr.pk, kr._row_version,
        kr.organization_id, kr.pk, actor.pk if actor else None, kr.current_value, kr.confidence, note,
        came.origin, json.dumps(came.as_json()), when,
        kr.organization_id, actor.pk if actor else None, "key_result.checked_in", kr._meta.label_lower, kr.pk,
        str(kr)[:255], json.dumps(before), json.dumps(after), now,
    ]  # fmt: skip
    if outbox:
        params += queue.pending_params(kr.organization_id, kr.objective_id)
    with connection.cursor() as cursor:
        cursor.execute(_WRITE_WITH_OUTBOX_SQL if outbox else _WRITE_SQL, params)
        check_in_id, updated, logged = cursor.fetchone()
    if updated == 0:
        return None
    if updated != 1 or logged != 1 or check_in_id is None:
        raise RuntimeError(f"check-in on key result {kr.pk}: {updated} key results updated, {logged} entries logged")
    kr.updated_at = now
    check_in = CheckIn(
        id=check_in_id,
        organization_id=kr.organization_id,
        key_result=kr,
        author=actor,
        value=kr.current_value,
        confidence=kr.confidence,
        note=note,
        origin=came.origin,
        provenance=came.as_json(),
        created_at=when,
    )
    check_in._state.adding, check_in._state.db = False, connection.alias
    return check_in


def _announce_check_in(objective: Objective, kr: KeyResult, check_in: CheckIn, actor: User | None) -> None:
    """Chat channels that carry check-ins hear of it after the commit (in the organisation's language)."""
    if getattr(kr, "_check_ins_carried", None) is False:  # none did when the key result was read
        return
    org = objective.organization
    with translation.override(org.language):
        text = _("%(who)s checked in on “%(kr)s”: %(value)s (confidence %(confidence)d/10)") % {
            "who": actor.display_name if actor else _("Someone"),
            "kr": kr.title,
            "value": f"{check_in.value:g}",
            "confidence": check_in.confidence,
        }
        facts = [
            (_("Objective"), objective.title),
            (_("Key result"), kr.title),
            (_("Progress"), f"{round(kr.progress_value() * 100)}%"),
        ]
        if check_in.note:
            facts.append((_("Note"), mentions.readable_for(org, check_in.note)[:300]))
    url = reverse("objectives:detail", kwargs={"slug": org.slug, "objective_id": objective.pk})
    restricted = objective.visibility != Visibility.ORGANIZATION  # only to channels marked safe for it
    channel_publish(
        org=org,
        event=ChannelEvent.CHECK_IN,
        text=text,
        url=f"{url}#check-in-{check_in.pk}",
        facts=facts,
        restricted=restricted,
    )
