"""One publish back-off per process (core.broker), configured under its general
name, the old rollup-only name still honoured."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _backoff_setting(extra_env: dict[str, str]) -> str:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}
        and "PUBLISH_BACKOFF" not in k
    }
    done = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "--no-imports",
            "-c",
            "from django.conf import settings; print(settings.BROKER_PUBLISH_BACKOFF_SECONDS)",
        ],
        cwd=ROOT,
        env={**base, **extra_env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("variables", "seconds"),
    [
        ({}, "10"),
        ({"ROLLUP_PUBLISH_BACKOFF_SECONDS": "42"}, "42"),  # the old name
        ({"ROLLUP_PUBLISH_BACKOFF_SECONDS": "42", "BROKER_PUBLISH_BACKOFF_SECONDS": "7"}, "7"),
    ],
)
def test_the_publish_back_off_reads_its_name_and_the_old_one(variables, seconds):
    assert _backoff_setting(variables) == seconds


def test_a_failed_publish_of_any_kind_holds_every_publish_of_the_process(settings, monkeypatch):
    from core import broker

    settings.BROKER_PUBLISH_BACKOFF_SECONDS = 30
    now = 1000.0
    monkeypatch.setattr(broker, "_monotonic", lambda: now)
    sent: list[str] = []

    def down() -> None:
        raise ConnectionRefusedError(111, "Connection refused")

    assert broker.publish(down, what="a rollup") is False
    assert broker.publish(lambda: sent.append("post"), what="a post") is False  # not even tried
    assert sent == []
    now += 31
    assert broker.publish(lambda: sent.append("post"), what="a post") is True
    assert sent == ["post"]
