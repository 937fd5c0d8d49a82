"""docker-compose.yml stays consistent with the settings and the processes the app needs."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_web_workers_one_beat_postgres_and_redis_with_health_checks():
    services = _compose()["services"]
    assert set(services) == {"web", "worker", "worker-background", "beat", "postgres", "redis"}
    for name in ("web", "worker", "worker-background", "postgres", "redis"):
        assert "healthcheck" in services[name], name
    assert "gunicorn okrkpi.wsgi" in services["web"]["command"]
    assert services["worker"]["command"].startswith("celery -A okrkpi worker")
    assert services["worker-background"]["command"].startswith("celery -A okrkpi worker")
    assert services["beat"]["command"].startswith("celery -A okrkpi beat")
    assert services["beat"]["deploy"]["replicas"] == 1


def test_every_compose_variable_is_read_by_the_settings():
    environment = _compose()["services"]["web"]["environment"]
    settings_code = "".join(p.read_text() for p in (ROOT / "okrkpi" / "settings").glob("*.py"))
    settings_code += (ROOT / "okrkpi" / "env.py").read_text()
    unread = [name for name in environment if name != "DJANGO_SETTINGS_MODULE" and f'"{name}"' not in settings_code]
    assert unread == []
    assert environment["DJANGO_SETTINGS_MODULE"] == "okrkpi.settings.production"


def test_the_production_settings_read_the_variables_compose_requires():
    environment = _compose()["services"]["web"]["environment"]
    assert environment["SECRET_KEY"].startswith("${SECRET_KEY:?")  # compose refuses to start without it
    assert environment["DATABASE_URL"].startswith("postgresql://")
    assert environment["REDIS_URL"].startswith("redis://")
