"""Backups (README, "Backups"): a pg_dump taken while people check in restores with
pg_restore into a fresh database, and the reconcile (``manage.py rollup``) then brings the
stored progress back to what the key results say: 0 drift."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.test import override_settings

from objectives import queue, services
from tests.objectives.okr_factories import make_cycle, make_kr, make_objective

ROOT = Path(__file__).resolve().parents[2]

# Drift exactly as the rollup tests measure it: stored progress against a full recompute.
DRIFT = """
import django
django.setup()
from objectives import reconcile
from objectives.models import Objective
from orgs.models import Organization
org = Organization.objects.get(slug="alpha")
expected = reconcile.compute(org)[0]
stored = dict(Objective.objects.filter(organization=org).values_list("id", "progress"))
print(sum(1 for oid, (p, _c) in expected.items() if abs(stored[oid] - p) > 1e-9))
"""


def test_the_readme_says_how_to_back_up_restore_and_reconcile():
    readme = (ROOT / "README.md").read_text()
    assert "### Backups" in readme
    section = readme.split("### Backups", 1)[1].split("\n## ", 1)[0]
    for command in ("pg_dump --format=custom", "pg_restore", "createdb", "manage.py rollup"):
        assert command in section, command


def _url(settings: dict, name: str) -> str:
    auth = quote(settings["USER"] or "postgres")
    if settings.get("PASSWORD"):
        auth += ":" + quote(settings["PASSWORD"])
    return f"postgresql://{auth}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{name}"


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300, **kwargs)
    assert done.returncode == 0, f"{' '.join(args)}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return done


@pytest.mark.django_db(transaction=True)
@override_settings(ROLLUP_INLINE=False)
def test_a_dump_taken_mid_burst_restores_and_the_reconcile_repairs_it_to_zero_drift(world_a, monkeypatch, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip(
            "pg_dump and pg_restore back up PostgreSQL; the embedded SQLite database is one file, "
            "copied with sqlite3's .backup (README, Backups). Run with DATABASE_URL=postgresql://…"
        )
    if not (shutil.which("pg_dump") and shutil.which("pg_restore") and shutil.which("psql")):
        pytest.skip("the PostgreSQL client programs (pg_dump, pg_restore, psql) are not installed")
    db = connection.settings_dict
    live_url = _url(db, db["NAME"])
    restored = f"{db['NAME']}_restored"
    server = _url(db, "postgres")

    # A company objective, two team objectives, eight leaves with a key result each.
    cycle = make_cycle(world_a.org)
    company = make_objective(world_a.org, cycle, title="Grow", status="active")
    teams = [make_objective(world_a.org, cycle, title=f"Team {i}", parent=company, status="active") for i in range(2)]
    leaves = [
        make_objective(world_a.org, cycle, title=f"Leaf {i}", parent=teams[i % 2], status="active") for i in range(8)
    ]
    krs = [make_kr(o, owner=world_a.member, target=100) for o in leaves]
    # The workers lag behind the burst, as on a busy Friday: each check-in commits with its
    # rollup waiting in the outbox, and none has run when the dump is taken.
    monkeypatch.setattr(queue, "publish_rollups", lambda *, org_id: True)

    lock, stop = threading.Lock(), threading.Event()
    counted = {"check_ins": 0}
    errors: list[BaseException] = []

    def burst(i: int) -> None:
        try:
            step = 0
            while not stop.is_set() and step < 500:
                for kr in krs[i::4]:
                    services.key_result_check_in(
                        key_result=kr, actor=world_a.member, value=(i * 17 + step * 13) % 101, confidence=6
                    )
                    with lock:
                        counted["check_ins"] += 1
                step += 1
        except BaseException as exc:  # noqa: BLE001 — re-raised in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    def wait_for(check_ins: int) -> int:
        deadline = time.monotonic() + 60
        while counted["check_ins"] < check_ins and not errors:
            assert time.monotonic() < deadline, "the burst stalled"
            time.sleep(0.01)
        return counted["check_ins"]

    dump = tmp_path / "okrkpi.dump"
    threads = [threading.Thread(target=burst, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    try:
        wait_for(20)
        # The README's commands, on our own database names.
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", live_url])
        at_dump = counted["check_ins"]
        wait_for(at_dump + 8)  # check-ins went on after the dump: it was taken mid-burst
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    assert not errors, errors

    _run(["psql", server, "-c", f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)'])
    _run(["psql", server, "-c", f'CREATE DATABASE "{restored}"'])
    try:
        _run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={_url(db, restored)}", str(dump)])
        env = {
            k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}
        }
        env.update(
            DJANGO_SETTINGS_MODULE="okrkpi.settings.dev",
            DATABASE_URL=_url(db, restored),
            OKRKPI_VAR_DIR=str(tmp_path),
            PYTHONPATH=str(ROOT),
        )
        before = int(_run([sys.executable, "-c", DRIFT], env=env).stdout.split()[-1])
        assert before > 0, "the dump held no check-in waiting for its rollup: nothing for the reconcile to show"
        out = _run([sys.executable, "manage.py", "rollup"], env=env).stdout
        repaired = re.search(r"alpha: \d+ objectives, (\d+) repaired", out)
        assert repaired and int(repaired.group(1)) >= before, out  # confidence may have drifted too
        print(f"dump after {at_dump} check-ins: {before} objectives drifted; {repaired.group(1)} repaired")
        assert int(_run([sys.executable, "-c", DRIFT], env=env).stdout.split()[-1]) == 0
        again = _run([sys.executable, "manage.py", "rollup"], env=env).stdout
        assert "0 repaired" in again, again
    finally:
        _run(["psql", server, "-c", f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)'])
