"""`make run`'s processes (web, worker, beat under honcho) stop cleanly on Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HONCHO = Path(sys.executable).with_name("honcho")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not HONCHO.exists(), reason="honcho is not installed in this environment")
def test_ctrl_c_stops_web_worker_and_beat_within_ten_seconds_without_a_forced_kill(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")} | {
        "OKRKPI_VAR_DIR": str(tmp_path),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DJANGO_SETTINGS_MODULE": "okrkpi.settings.dev",
        "PYTHONUNBUFFERED": "1",
    }
    subprocess.run(  # noqa: S603 - as `make run` does first
        [sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    log = tmp_path / "honcho.log"
    with log.open("w") as out:
        proc = subprocess.Popen(  # noqa: S603 - our own Procfile
            [str(HONCHO), "-f", "Procfile.dev", "start"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            text = log.read_text()
            if " ready." in text and "beat: Starting" in text:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)  # noqa: S310
                    break
                except OSError:
                    pass
            time.sleep(0.5)
        else:
            pytest.fail("make run's processes did not start:\n" + log.read_text()[-3000:])
        started = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal does: the whole group
        proc.wait(timeout=15)
        elapsed = time.monotonic() - started
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    text = log.read_text()
    assert elapsed < 10, text[-2000:]
    assert "SIGKILL" not in text, text[-2000:]
    assert "Warm shutdown" in text


@pytest.mark.django_db
def test_seed_demo_prints_the_address_make_run_serves(monkeypatch, settings):
    from io import StringIO

    from django.core.management import call_command

    settings.ROLLUP_INLINE = True
    monkeypatch.setenv("HOST", "0.0.0.0")  # noqa: S104 - a bind address, shown as a reachable one
    monkeypatch.setenv("PORT", "8123")
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "Open   http://127.0.0.1:8123/" in out.getvalue()
    monkeypatch.setenv("HOST", "192.168.1.20")
    monkeypatch.delenv("PORT")
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "Open   http://192.168.1.20:8000/" in out.getvalue()
