"""The inbound ``webhook`` kind: a system pushes ``[{"kpi", "period", "value"}]`` to the
source's own address, signed with an HMAC-SHA256 of the body under the source's secret
(``X-Signature: sha256=<hex>``). A bad or missing signature writes nothing; the items are
checked all first and recorded together or not at all; a replay of the same body records
nothing new (each value is already there)."""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.ids import parse_id
from core.provenance import Origin
from core.secrets import SecretUnreadable
from datasources.models import DataSource, PullStatus, SourceKind
from datasources.pullers import Pulled
from datasources.services.pulls import note_run, record_pulled
from datasources.services.sources import source_config
from kpis.models import Kpi
from kpis.services import check_period

MAX_ITEMS = 500


class BadSignature(Exception):
    """The body is not signed with the source's secret (answered 401)."""


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_source(token: str) -> DataSource | None:
    return (
        DataSource.objects.select_related("organization")
        .filter(token=token, kind=SourceKind.WEBHOOK, active=True)
        .first()
    )


@dataclass
class WebhookResult:
    recorded: int = 0
    unchanged: int = 0
    conflicts: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


def _reject_constant(name: str) -> float:
    raise ValueError(name)


def _items(body: bytes) -> list[Any]:
    try:
        data = json.loads(body, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError):
        raise ValidationError({"body": _("The body is not JSON (NaN and Infinity are not numbers).")}) from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not data or len(data) > MAX_ITEMS:
        raise ValidationError({"body": _('Send a list of 1 to 500 items: [{"kpi", "period", "value"}].')})
    return data


def _check_item(source: DataSource, item: Any, kpis: dict[int, Kpi]) -> tuple[Kpi, date, float]:
    if not isinstance(item, dict):
        raise ValidationError(_("Each item is an object with kpi, period and value."))
    kpi = kpis.get(parse_id(item.get("kpi")) or 0)
    if kpi is None:
        raise ValidationError(_("Unknown KPI: %(kpi)s.") % {"kpi": str(item.get("kpi"))[:20]})
    value = item.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError(_("The value must be a finite number."))
    org = source.organization
    try:
        period = check_period(
            kpi, item.get("period"), fiscal_year_start_month=org.fiscal_year_start_month, today=org.today()
        )
    except ValidationError as exc:
        raise ValidationError(" ".join(exc.messages)) from None
    return kpi, period, float(value)


def webhook_receive(*, source: DataSource, body: bytes, signature: str) -> WebhookResult:
    """Check the signature (``BadSignature``), then every item (``ValidationError`` naming
    each bad one: nothing is recorded), then record them all in one transaction."""
    try:
        secret = str(source_config(source).get("secret") or "")
    except SecretUnreadable:
        secret = ""
    if not secret or not hmac.compare_digest(sign(secret, body), (signature or "").strip()):
        raise BadSignature
    items = _items(body)
    ids = [parse_id(i.get("kpi")) for i in items if isinstance(i, dict)]
    kpis = {k.pk: k for k in Kpi.objects.filter(organization=source.organization, pk__in=[i for i in ids if i])}
    checked, errors = [], []
    for index, item in enumerate(items):
        try:
            checked.append(_check_item(source, item, kpis))
        except ValidationError as exc:
            errors.append({"item": index, "message": " ".join(exc.messages)})
    if errors:
        raise ValidationError({"items": [f"{e['item']}: {e['message']}" for e in errors]})
    result = WebhookResult()
    with transaction.atomic():
        for kpi, period, value in checked:
            pulled = Pulled(raw=json.dumps(value), value=value)
            outcome = record_pulled(kpi, source=source, period=period, pulled=pulled, origin=Origin.WEBHOOK)
            if outcome.status == PullStatus.RECORDED:
                result.recorded += 1
            elif outcome.status == PullStatus.CONFLICT:
                result.conflicts += 1
            else:
                result.unchanged += 1
    note_run(source, error="")
    return result
