"""The Python client an integrator generates from our OpenAPI schema, with the most used
generator (openapi-python-client, pinned in the dev dependencies), works: it generates
without a single warning, imports, and drives a live server through a whole week of an
integrator's calls — token, objectives, key results, a check-in, the cascade, the dashboard,
a scorecard and paging — with the values asserted, not only the status codes.

The client is generated from the live schema (the committed ``docs/api/openapi.json`` is
held equal to it by ``test_api_schema_snapshot``), into a folder of the test's own."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.factories import PASSWORD
from tests.objectives.okr_factories import make_cycle

PACKAGE = "okrkpi_api_client"
GENERATOR = Path(sys.executable).with_name("openapi-python-client")


def generate_client(folder: Path) -> subprocess.CompletedProcess[str]:
    """Writes the live schema and the client generated from it into ``folder``."""
    schema = folder / "openapi.json"
    call_command("spectacular", "--format", "openapi-json", "--file", str(schema))
    env = {**os.environ, "PATH": f"{GENERATOR.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(
        [str(GENERATOR), "generate", "--path", str(schema), "--meta", "none", "--output-path", str(folder / PACKAGE)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    folder = tmp_path_factory.mktemp("generated-client")
    done = generate_client(folder)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    # Any warning means a piece of the client is missing (a dropped model, an untyped answer).
    assert "warning" not in output.lower(), output
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))


def _imp(generated: ModuleType, name: str) -> Any:
    return importlib.import_module(f"{generated.__name__}.{name}")


def test_every_operation_module_imports(generated: ModuleType) -> None:
    """Every generated operation imports (a schema with three request bodies per operation
    once gave a client whose token operation failed at import with a NameError)."""
    root = Path(generated.__file__).parent / "api"
    modules = sorted(p for p in root.rglob("*.py") if p.name != "__init__.py")
    assert len(modules) > 80
    for path in modules:
        dotted = ".".join(path.relative_to(root.parent).with_suffix("").parts)
        module = _imp(generated, dotted)
        assert callable(module.sync), dotted


@pytest.mark.django_db(transaction=True)
def test_an_integrators_week_through_the_generated_client(generated: ModuleType, live_server, world_a) -> None:
    m = _imp(generated, "models")
    api = _imp(generated, "api.orgs")
    client_mod = _imp(generated, "client")
    token_op = _imp(generated, "api.auth.auth_token_create")
    slug, today = world_a.org.slug, timezone.localdate()
    cycle = make_cycle(world_a.org, name="This quarter", start=today - timedelta(days=30))

    # A token for the admin, then an authenticated client.
    anonymous = client_mod.Client(base_url=live_server.url, raise_on_unexpected_status=True)
    token = token_op.sync(client=anonymous, body=m.TokenRequestRequest(email=world_a.admin.email, password=PASSWORD))
    assert isinstance(token, m.TokenResponse) and token.token
    client = client_mod.AuthenticatedClient(
        base_url=live_server.url, token=token.token, prefix="Token", raise_on_unexpected_status=True
    )
    wrong = token_op.sync(client=anonymous, body=m.TokenRequestRequest(email=world_a.admin.email, password="nope"))
    assert isinstance(wrong, m.Error) and wrong.message  # the typed error body

    # A company objective with two key results, made active.
    objective = _op(api, "orgs_objectives_create").sync(
        slug,
        client=client,
        body=m.ObjectiveRequest(cycle=cycle.pk, title="Grow revenue", owner_type=m.OwnerTypeEnum.COMPANY),
    )
    assert isinstance(objective, m.Objective) and objective.title == "Grow revenue"
    krs = [
        _op(api, "orgs_key_results_create").sync(
            slug,
            client=client,
            body=m.KeyResultRequest(
                objective=objective.id, title=title, owner=world_a.admin.pk, start_value=0.0, target_value=target
            ),
        )
        for title, target in (("New customers", 40.0), ("Revenue (bn VND)", 10.0))
    ]
    assert [kr.target_value for kr in krs] == [40.0, 10.0]
    active = _op(api, "orgs_objectives_partial_update").sync(
        slug, objective.id, client=client, body=m.PatchedObjectiveRequest(status=m.ObjectiveStatusEnum.ACTIVE)
    )
    assert active.status == m.ObjectiveStatusEnum.ACTIVE

    # A check-in: half of the first key result, so the objective stands at (0.5 + 0) / 2.
    check_in = _op(api, "orgs_check_ins_create").sync(
        slug, client=client, body=m.CheckInRequest(key_result=krs[0].id, value=20.0, confidence=7, note="On pace")
    )
    assert isinstance(check_in, m.CheckIn) and check_in.value == 20.0 and check_in.author == world_a.admin.pk
    read = _op(api, "orgs_objectives_retrieve").sync(slug, objective.id, client=client)
    assert read.progress == pytest.approx(0.25)

    # The cascade: the objective with its key results, and the company's progress.
    cascade = _op(api, "orgs_cascade_retrieve").sync(slug, client=client, cycle=cycle.pk)
    assert isinstance(cascade, m.Cascade) and cascade.cycle == cycle.pk
    assert cascade.progress == pytest.approx(0.25)
    [node] = cascade.objectives
    assert (node.id, node.title, node.progress) == (objective.id, "Grow revenue", pytest.approx(0.25))
    assert [(k.title, k.progress) for k in node.key_results] == [
        ("New customers", pytest.approx(0.5)),
        ("Revenue (bn VND)", 0.0),
    ]
    assert node.health in set(m.ObjectiveHealthEnum)

    # The dashboard agrees.
    dashboard = _op(api, "orgs_dashboard_retrieve").sync(slug, client=client, cycle=cycle.pk)
    assert isinstance(dashboard, m.Dashboard)
    assert dashboard.cycle.id == cycle.pk and dashboard.objective_count == 1
    assert dashboard.company_progress == pytest.approx(0.25)

    _scorecard_from_a_kpi(api, m, client, slug, today, world_a)
    _paging(api, m, client, slug, cycle)


def _scorecard_from_a_kpi(api: Any, m: Any, client: Any, slug: str, today: Any, world_a: Any) -> None:
    """A monthly KPI at 80 of 100 last month: a company scorecard of that one KPI scores 0.8."""
    kpi = _op(api, "orgs_kpis_create").sync(
        slug,
        client=client,
        body=m.KpiRequest(
            name="Qualified leads",
            owner_type=m.OwnerTypeEnum.COMPANY,
            direction=m.DirectionEnum.HIGHER_IS_BETTER,
            frequency=m.FrequencyEnum.MONTHLY,
            perspective=m.PerspectiveEnum.CUSTOMER,
            target=100.0,
            amber_threshold=70.0,
        ),
    )
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    measured = _op(api, "orgs_measurements_create").sync(
        slug, client=client, body=m.MeasurementRequest(kpi=kpi.id, period=last_month, value=80.0)
    )
    assert (measured.kpi, measured.period, measured.value) == (kpi.id, last_month, 80.0)
    made = _op(api, "orgs_scorecards_create").sync(
        slug,
        client=client,
        body=m.ScorecardRequest(
            name="Company", frequency=m.FrequencyEnum.MONTHLY, items=[m.ItemRequest(kpi=kpi.id, weight=1.0)]
        ),
    )
    scorecard = _op(api, "orgs_scorecards_retrieve").sync(slug, made.id, client=client)
    assert scorecard.score == pytest.approx(0.8)
    assert [(p.perspective, p.score) for p in scorecard.perspectives if p.score is not None] == [
        (m.PerspectiveEnum.CUSTOMER, pytest.approx(0.8))
    ]


def _paging(api: Any, m: Any, client: Any, slug: str, cycle: Any) -> None:
    """Five objectives, two a page: three pages, each id once, ``next`` ending the walk."""
    for n in range(4):
        _op(api, "orgs_objectives_create").sync(
            slug,
            client=client,
            body=m.ObjectiveRequest(cycle=cycle.pk, title=f"Objective {n}", owner_type=m.OwnerTypeEnum.COMPANY),
        )
    seen: list[int] = []
    page = 1
    while True:
        listing = _op(api, "orgs_objectives_list").sync(slug, client=client, page=page, page_size=2)
        assert isinstance(listing, m.PaginatedObjectiveList) and listing.count == 5
        seen += [o.id for o in listing.results]
        if not listing.next_:
            break
        page += 1
    assert page == 3 and len(seen) == len(set(seen)) == 5


def _op(api: Any, name: str) -> Any:
    return importlib.import_module(f"{api.__name__}.{name}")
