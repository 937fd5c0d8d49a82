#!/usr/bin/env python
"""The import benchmark: 20,000-row files through the import pipeline, on the current database.

Builds a throwaway organisation, then for a 20,000-row file of KPI values
(``measurements``: 200 monthly KPIs × 100 months) and a 20,000-row OKR file
(``okrs``: 4,000 objectives × 5 key results) measures the dry run, the apply, and
applying the same file again (which must change nothing), exactly as the Celery
task runs them (``transfer.services``), then the organisation's export to a file
(the ``transfer.export_prepare`` task). The organisation is deleted afterwards.
With ``--per-row`` the OKR file is also applied row by row (every objective and key
result through the single services, into a second organisation) in the same run, and
the ratio of the two applies is printed. With ``--round-trip`` the OKR file is shaped
like a cycle's export read back: every objective has a status (Active) and every key
result a confidence, so each key result's latest value is a check-in.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/okrkpi_bench \
      .venv/bin/python scripts/bench_import.py [--rows 20000] [--json var/bench-import.json]

Budgets (seconds, for 20,000 rows; each step is checked against its own):
measurements check 30 and apply 60; OKRs check 60 and apply 1,200 (the budget of the
row-by-row path, every objective and key result through the single services; the bulk
path, the default, takes a few percent of it); a second apply of either file 120.
"""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "okrkpi.settings.dev")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(64))

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

BUDGETS: dict[str, dict[str, int]] = {
    "check": {"measurements": 30, "okrs": 60},
    "apply": {"measurements": 60, "okrs": 1200},
}
AGAIN_BUDGET = 120


def _csv(rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def _org() -> tuple[Any, Any]:
    from cycles.models import Cycle
    from kpis.models import Kpi
    from orgs.models import Membership, Organization, Team, User

    org = Organization.objects.create(name="Import benchmark", slug=f"bench-import-{secrets.token_hex(4)}")
    admin, _ = User.objects.get_or_create(email="bench-import@example.test", defaults={"name": "Bench"})
    Membership.objects.create(organization=org, user=admin, role="admin")
    Team.objects.create(organization=org, name="Sales")
    today = org.today()
    Cycle.objects.create(
        organization=org,
        name="Now",
        start_date=date(today.year, 1, 1),
        end_date=date(today.year, 12, 31),
        status="active",
    )
    Kpi.objects.bulk_create(
        Kpi(
            organization=org,
            name=f"KPI {n}",
            owner_type="company",
            direction="higher_is_better",
            target=100,
            frequency="monthly",
            perspective="financial",
            tracking_since=date(today.year - 10, 1, 1),
        )
        for n in range(200)
    )
    return org, admin


def _files(rows: int, today: date, round_trip: bool = False) -> dict[str, bytes]:
    months = [date(today.year - 10 + m // 12, m % 12 + 1, 1) for m in range(rows // 200)]
    values = [["kpi", "period", "value"]] + [
        [f"KPI {k}", month.isoformat(), (k * 7 + i) % 90 + 10] for i, month in enumerate(months) for k in range(200)
    ]
    okrs = [["Objective", "Owner", "Key result", "Key result owner", "Target", "Current"]] + [
        [f"Objective {n // 5}", "Sales", f"Key result {n % 5}", "bench-import@example.test", 100, n % 100]
        for n in range(rows)
    ]
    if round_trip:  # a cycle's export read back: active objectives, each key result's latest check-in
        okrs[0] += ["Status", "Confidence"]
        for n, row in enumerate(okrs[1:]):
            row += ["Active", n % 10 + 1]
    return {"measurements": _csv(values), "okrs": _csv(okrs)}


def _measure(org: Any, admin: Any, kind: str, data: bytes, options: dict[str, Any] | None = None) -> dict[str, Any]:
    from transfer import services

    started = time.perf_counter()
    run = services.import_run_create(
        org=org, actor=admin, kind=kind, data=data, filename=f"{kind}.csv", background=False, options=options
    )
    checked = time.perf_counter()
    run = services.import_run_apply(run=run, actor=admin, background=False)
    applied = time.perf_counter()
    again = services.import_run_create(
        org=org, actor=admin, kind=kind, data=data, filename=f"{kind}.csv", background=False, options=options
    )
    again = services.import_run_apply(run=again, actor=admin, background=False)
    done = time.perf_counter()
    return {
        "rows": run.rows_total,
        "check": round(checked - started, 2),
        "apply": round(applied - checked, 2),
        "again": round(done - applied, 2),
        "result": run.result,
        "again_result": again.result,
    }


def _step(
    org: Any, admin: Any, kind: str, data: bytes, rows: int, failed: list[str], options: dict[str, Any] | None = None
) -> dict[str, Any]:
    f = _measure(org, admin, kind, data, options)
    print(f"  {kind}: check {f['check']} s, apply {f['apply']} s, again {f['again']} s", flush=True)
    if f["again_result"]["create"] or f["again_result"]["update"]:
        failed.append(f"{kind}: the second apply changed something")
    for step in ("check", "apply"):
        if f[step] > BUDGETS[step][kind] * rows / 20_000:
            failed.append(f"{kind} {step}: {f[step]} s")
    if f["again"] > AGAIN_BUDGET * rows / 20_000:
        failed.append(f"{kind} again: {f['again']} s")
    return f


def _export(org: Any) -> float:
    """The organisation's export written to a file, as the ``transfer.export_prepare`` task does."""
    import tempfile

    from django.test.utils import override_settings

    from transfer.exporting import export_write

    with tempfile.TemporaryDirectory() as folder, override_settings(TRANSFER_EXPORT_DIR=folder):
        started = time.perf_counter()
        export_write(org=org, name="bench.json")
        return round(time.perf_counter() - started, 2)


def main() -> None:
    import argparse

    from django.test.utils import override_settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--only", choices=["measurements", "okrs"])
    parser.add_argument("--json", help="where to write the figures")
    parser.add_argument("--per-row", action="store_true", help="also apply the OKR file row by row, and compare")
    parser.add_argument(
        "--round-trip",
        action="store_true",
        help="the OKR file as a cycle's export reads back: every objective active, every key result with a check-in",
    )
    args = parser.parse_args()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    shape = ", round trip (statuses and check-ins)" if args.round_trip else ""
    print(f"import benchmark on {connection.vendor}, {args.rows:,} rows a file{shape}", flush=True)
    org, admin = _org()
    orgs = [org]
    figures: dict[str, Any] = {"database": connection.vendor}
    failed: list[str] = []
    try:
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            for kind, data in _files(args.rows, org.today(), args.round_trip).items():
                if args.only and kind != args.only:
                    continue
                print(f"  {kind} ...", flush=True)
                figures[kind] = _step(org, admin, kind, data, args.rows, failed)
                if kind == "okrs" and args.per_row:
                    other, _admin = _org()
                    orgs.append(other)
                    print("  okrs row by row ...", flush=True)
                    slow = figures["okrs_per_row"] = _step(other, admin, kind, data, args.rows, [], {"per_row": True})
                    ratio = figures["okrs_apply_ratio"] = round(slow["apply"] / max(figures[kind]["apply"], 1e-3), 1)
                    print(f"  okrs apply: row by row / bulk = {ratio}", flush=True)
            figures["export"] = _export(org)
            print(f"  export of the organisation: {figures['export']} s", flush=True)
    finally:
        from okrkpi.demo.management.commands.seed_demo import delete_organizations
        from orgs.models import Organization

        delete_organizations(Organization.objects.filter(pk__in=[o.pk for o in orgs]))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))
    if failed:
        sys.exit("over budget: " + "; ".join(failed))


if __name__ == "__main__":
    main()
