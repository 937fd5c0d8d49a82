"""The production smoke test (scripts/smoke_production.py, run by .ci/run) runs
exactly what the Dockerfile and docker-compose.yml run: it reads its commands
from them, and these tests keep it that way (and the two files in step)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def smoke():
    spec = importlib.util.spec_from_file_location("smoke_production", ROOT / "scripts" / "smoke_production.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


def test_the_smoke_test_runs_every_deployment_process(smoke):
    commands = smoke.deployment_commands()
    assert commands["collectstatic"] == ["python", "manage.py", "collectstatic", "--noinput"]
    assert commands["migrate"] == ["python", "manage.py", "migrate", "--noinput"]
    assert commands["web"][:2] == ["gunicorn", "okrkpi.wsgi:application"]
    assert commands["worker"][:4] == ["celery", "-A", "okrkpi", "worker"]
    assert commands["beat"][:4] == ["celery", "-A", "okrkpi", "beat"]


def test_the_image_default_command_is_compose_web_command(smoke):
    commands = smoke.deployment_commands()
    assert commands["image_cmd"] == commands["web"]


def test_the_commands_come_from_the_files_as_written(smoke):
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    commands = smoke.deployment_commands()
    assert " ".join(commands["worker"]) == compose["worker"]["command"]
    assert " ".join(commands["beat"]) == compose["beat"]["command"]
    web = compose["web"]["command"]
    assert " ".join(commands["migrate"]) in web and " ".join(commands["web"]) in web
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert " ".join(commands["collectstatic"]) in dockerfile


def _unlocalise(arg: str, bin_dir: Path, var_dir: Path, port: int) -> str:
    for program in ("python", "gunicorn", "celery"):
        arg = arg.replace(str(bin_dir / program), program)
    arg = arg.replace(f"127.0.0.1:{port}", "0.0.0.0:8000")
    return arg.replace(str(var_dir), "/app/var")


def test_the_smoke_plan_changes_only_paths_and_the_port(smoke, tmp_path):
    bin_dir, var_dir, port = tmp_path / "bin", tmp_path / "var", 54321
    planned = smoke.plan(bin_dir=bin_dir, var_dir=var_dir, port=port)
    original = smoke.deployment_commands()
    assert set(planned) == set(original) - {"image_cmd"}
    for role, argv in planned.items():
        back = [_unlocalise(a, bin_dir, var_dir, port) for a in argv]
        want = [a.replace("127.0.0.1:8000", "0.0.0.0:8000") for a in original[role]]
        assert back == want, role


def test_the_smoke_test_starts_processes_only_from_the_plan():
    source = (ROOT / "scripts" / "smoke_production.py").read_text()
    starts = re.findall(r"procs\.start\(([^)]*)\)", source)
    assert len(starts) == 3
    assert all('commands["' in call for call in starts)
    for role in ("collectstatic", "migrate"):
        assert f'procs.run("{role}", commands["{role}"], env)' in source


def test_ci_runs_the_smoke_test_and_fails_with_it():
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"scripts/smoke_production\.py \|\| die", ci)
