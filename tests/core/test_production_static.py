"""Production serves its pages: static files collect with the production
storage (WhiteNoise's manifest refuses a file whose references do not
resolve, and then every page answers 500 "Missing staticfiles manifest entry")."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE_MAP = re.compile(r"sourceMappingURL=([^\s*'\"]+)")


def test_every_source_map_a_static_file_names_is_vendored_next_to_it():
    missing = []
    for path in (ROOT / "static").rglob("*"):
        if path.suffix not in {".js", ".css"}:
            continue
        for name in SOURCE_MAP.findall(path.read_text(errors="replace")):
            if not name.startswith("data:") and not (path.parent / name).is_file():
                missing.append(f"{path.relative_to(ROOT)} -> {name}")
    assert missing == []


def _production_env(tmp_path: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="okrkpi.settings.production",
        SECRET_KEY=secrets.token_urlsafe(64),
        OKRKPI_VAR_DIR=str(tmp_path),
        ALLOWED_HOSTS="okr.example.com",
    )
    return env


RENDER_LOGIN_PAGE = """
import django
django.setup()
from django.test import Client
r = Client().get("/accounts/login/", secure=True, HTTP_HOST="okr.example.com")
print(r.status_code)
"""


def test_collectstatic_with_production_settings_succeeds_and_pages_render(tmp_path):
    env = _production_env(tmp_path)
    collect = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert collect.returncode == 0, collect.stderr[-2000:]
    assert (tmp_path / "staticfiles" / "staticfiles.json").is_file()
    page = subprocess.run(
        [sys.executable, "-c", RENDER_LOGIN_PAGE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert page.returncode == 0, page.stderr[-2000:]
    assert page.stdout.strip().splitlines()[-1] == "200", page.stdout + page.stderr[-2000:]


def test_check_deploy_also_collects_static_files():
    makefile = (ROOT / "Makefile").read_text()
    target = makefile.split("\ncheck-deploy:", 1)[1].split("\n\n", 1)[0]
    assert "collectstatic --noinput" in target
    assert "okrkpi.settings.production" in target
