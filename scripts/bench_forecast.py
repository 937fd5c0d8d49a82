"""The forecasts of the 2,000-objective organisation ÷ its cascade document (``benchmark.py``,
DESIGN §7): both built after a check-in, and both served from the documents cache (target
≤ 1× each). Imported by ``benchmark.py`` once Django is set up."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.core.serializers.json import DjangoJSONEncoder

from objectives.models import KeyResult, Objective
from orgs.models import Organization


def best_of(runs: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def ensure_check_in_history(org: Organization, weeks: int = 8) -> int:
    """Weekly check-ins on every key result of ``org`` over the first ``weeks`` weeks of its
    latest cycle, when it has none (seed_large writes none): what a forecast reads."""
    import random
    from datetime import datetime, time, timedelta

    from cycles.models import Cycle
    from objectives.models import CheckIn

    cycle = Cycle.objects.filter(organization=org).order_by("-start_date").first()
    if cycle is None or CheckIn.objects.filter(organization=org).exists():
        return 0
    del cycle  # only that it exists: the history ends yesterday, wherever the cycle stands
    rng = random.Random(org.pk)  # noqa: S311 - benchmark data
    today = org.today()
    rows = []
    for kr_id, start, target in KeyResult.objects.filter(organization=org).values_list(
        "id", "start_value", "target_value"
    ):
        pace = rng.uniform(0.4, 1.2)
        for week in range(1, weeks + 1):
            # In the past, whatever the cycle's dates: a forecast reads only what is known now.
            when = datetime.combine(today - timedelta(days=7 * (weeks - week) + 1), time(10), tzinfo=org.tzinfo)
            value = start + (target - start) * pace * week / 13 * (1 + rng.gauss(0, 0.05))
            rows.append(CheckIn(organization=org, key_result_id=kr_id, value=value, confidence=6, created_at=when))
    CheckIn.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def forecast_figures(figures: dict, org: Organization) -> None:
    """The forecasts of a 2,000-objective organisation (every key result's and objective's, as
    the API's five figures) ÷ its cascade document (without them), each built afresh as JSON,
    then each served from the documents cache (DESIGN §7: target ≤ 1×)."""
    import json

    from django.core.cache import caches

    from cycles.models import Cycle
    from objectives import forecasts
    from scorecards.cascade import cascade
    from scorecards.documents import cached_json, document_key

    added = ensure_check_in_history(org)
    cycle = Cycle.objects.filter(organization=org).order_by("-start_date").first()
    if cycle is None:
        raise SystemExit(f"{org.slug} has no cycle: seed it with seed_large")

    def cascade_doc() -> dict:
        return cascade(org=org, cycle=cycle, with_forecasts=False)

    def cascade_json() -> bytes:
        return json.dumps(cascade_doc(), cls=DjangoJSONEncoder, separators=(",", ":")).encode()

    def forecast_json() -> bytes:
        doc = forecasts.build_cycle_forecast(org=org, cycle=cycle)
        body = {
            "key_results": {k: forecasts.as_dict(f) for k, f in doc.key_results.items()},
            "objectives": {k: forecasts.as_dict(f) for k, f in doc.objectives.items()},
            "predicted_to_miss": [o.id for o in doc.predicted_to_miss()],
        }
        return json.dumps(body, cls=DjangoJSONEncoder, separators=(",", ":")).encode()

    cascade_seconds = best_of(3, cascade_json)
    cold_seconds = best_of(1, forecast_json)  # nothing kept yet: every key result's check-ins read
    kr_ids = list(KeyResult.objects.filter(organization=org, objective__cycle=cycle).values_list("id", flat=True)[:3])
    forecast_seconds = float("inf")
    for kr_id in kr_ids:  # after a check-in, as a request would find it: only that key result's read again
        check_in_by_hand(org, kr_id)
        forecast_seconds = min(forecast_seconds, best_of(1, forecast_json))
    # Served from the documents cache under the data version, as the API serves both: JSON bytes,
    # each under its key made on every request.
    caches["documents"].clear()
    cached_json(document_key("bench-cascade", org, cycle.pk), cascade_doc)
    forecasts.cached("bench-forecast", org, forecast_json, cycle.pk)
    cascade_hit = best_of(20, lambda: cached_json(document_key("bench-cascade", org, cycle.pk), cascade_doc))
    forecast_hit = best_of(20, lambda: forecasts.cached("bench-forecast", org, forecast_json, cycle.pk))
    figures["forecast"] = {
        "objectives": Objective.objects.filter(organization=org, cycle=cycle).count(),
        "key_results": KeyResult.objects.filter(organization=org, objective__cycle=cycle).count(),
        "check_ins_added": added,
        "cold_seconds": cold_seconds,
        "seconds": forecast_seconds,
        "cascade_seconds": cascade_seconds,
        "ratio": forecast_seconds / cascade_seconds,
        "cached_seconds": forecast_hit,
        "cascade_cached_seconds": cascade_hit,
        "cached_ratio": forecast_hit / cascade_hit,
    }


def check_in_by_hand(org: Organization, kr_id: int) -> None:
    """One check-in's rows as the check-in service writes them (the check-in, and its key
    result's value, last check-in and updated_at), without its rollup: what a forecast reads."""
    from django.utils import timezone

    from objectives.models import CheckIn

    now = timezone.now()
    kr = KeyResult.objects.get(pk=kr_id)
    value = kr.current_value + (kr.target_value - kr.start_value) / 20
    CheckIn.objects.create(organization=org, key_result_id=kr_id, value=value, confidence=6, created_at=now)
    KeyResult.objects.filter(pk=kr_id).update(current_value=value, last_check_in_at=now, updated_at=now)
