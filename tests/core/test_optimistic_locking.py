"""Optimistic locking of objective, key-result and KPI edits: an edit made from
an older version is refused (409 in the API, a message on the page that keeps
what was typed), and nothing is overwritten. Check-ins and measurements do not
change the version, so the weekly update never makes an open edit form stale."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from core.validation import StaleVersionError
from kpis import services as kpi_services
from kpis.models import Kpi
from objectives import services as okr_services
from objectives.models import KeyResult, Objective
from tests.kpis.kpi_factories import make_kpi
from tests.objectives.okr_factories import make_cycle, make_objective

STALE = "Someone else changed this while you were editing it"


@pytest.fixture
def things(world_a):
    cycle = make_cycle(world_a.org)
    objective = make_objective(world_a.org, cycle, title="Delight customers", krs=2, kr_owner=world_a.member)
    kr = objective.key_results.order_by("position").first()
    kpi = make_kpi(world_a.org, name="Qualified leads")
    return {"objective": objective, "kr": kr, "kpi": kpi}


def _edit(kind: str, obj, *, actor, version=None, title: str):
    if kind == "objective":
        return okr_services.objective_update(objective=obj, actor=actor, title=title, expected_version=version)
    if kind == "kr":
        return okr_services.key_result_update(key_result=obj, actor=actor, title=title, expected_version=version)
    return kpi_services.kpi_update(kpi=obj, actor=actor, name=title, expected_version=version)


def _title(kind: str, obj) -> str:
    model = {"objective": Objective, "kr": KeyResult, "kpi": Kpi}[kind]
    row = model.objects.get(pk=obj.pk)
    return row.name if kind == "kpi" else row.title


KINDS = ["objective", "kr", "kpi"]


# --- services ------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("kind", KINDS)
def test_an_edit_from_an_older_version_is_refused_and_writes_nothing(world_a, things, kind):
    obj = things[kind]
    assert obj.version == 1
    theirs = _edit(kind, obj, actor=world_a.admin, version=1, title="Their title")
    assert theirs.version == 2
    with pytest.raises(StaleVersionError) as caught:
        _edit(kind, obj, actor=world_a.manager, version=1, title="My title")
    assert isinstance(caught.value, ValidationError)  # pages and the API already know how to show it
    assert _title(kind, obj) == "Their title"
    assert _edit(kind, obj, actor=world_a.manager, version=2, title="My title").version == 3
    assert _title(kind, obj) == "My title"


@pytest.mark.django_db
def test_check_ins_and_measurements_do_not_make_an_edit_stale(world_a, things):
    kr, kpi = things["kr"], things["kpi"]
    okr_services.key_result_check_in(key_result=kr, actor=world_a.member, value=4, confidence=6)
    kpi_services.measurement_record(kpi=kpi, actor=None, period="2026-10-01", value=10)
    assert KeyResult.objects.get(pk=kr.pk).version == 1 and Kpi.objects.get(pk=kpi.pk).version == 1
    assert Objective.objects.get(pk=things["objective"].pk).version == 1  # the rollup is not an edit


# --- pages --------------------------------------------------------------------------------------------


EDIT_URL = {
    "objective": "/o/alpha/okrs/{pk}/edit/",
    "kr": "/o/alpha/key-results/{pk}/edit/",
    "kpi": "/o/alpha/kpis/{pk}/edit/",
}
TITLE_FIELD = {"objective": "title", "kr": "title", "kpi": "name"}


def _form_data(page) -> dict:
    """What the browser would send back for the form as shown."""
    form = page.context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else value
    return data


@pytest.mark.django_db
@pytest.mark.parametrize("kind", KINDS)
def test_a_stale_edit_page_says_so_keeps_the_typing_and_a_second_save_overwrites(world_a, things, web, kind):
    obj = things[kind]
    url = EDIT_URL[kind].format(pk=obj.pk)
    client = web(world_a.admin)
    page = client.get(url)
    data = _form_data(page)
    assert data["version"] == 1 and 'type="hidden" name="version" value="1"' in page.content.decode()
    # Meanwhile someone else saves the same object.
    _edit(kind, obj, actor=world_a.manager, version=None, title="Their title")

    data[TITLE_FIELD[kind]] = "My careful rewrite"
    r = client.post(url, data)
    html = r.content.decode()
    assert r.status_code == 409
    assert STALE in html
    assert 'value="My careful rewrite"' in html  # nothing typed is lost
    assert _title(kind, obj) == "Their title"  # nothing overwritten
    assert 'name="version" value="2"' in html  # a second save is a deliberate overwrite

    r = client.post(url, {**data, "version": "2"})
    assert r.status_code == 302
    assert _title(kind, obj) == "My careful rewrite"


# --- API --------------------------------------------------------------------------------------------


API_URL = {
    "objective": "/api/v1/orgs/alpha/objectives/{pk}/",
    "kr": "/api/v1/orgs/alpha/key-results/{pk}/",
    "kpi": "/api/v1/orgs/alpha/kpis/{pk}/",
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", KINDS)
def test_the_api_answers_409_to_a_stale_version_and_writes_nothing(world_a, things, api, kind):
    obj = things[kind]
    url = API_URL[kind].format(pk=obj.pk)
    client = api(world_a.admin)
    assert client.get(url).json()["version"] == 1
    _edit(kind, obj, actor=world_a.manager, version=None, title="Their title")

    r = client.patch(url, {TITLE_FIELD[kind]: "Mine", "version": 1}, format="json")
    assert r.status_code == 409
    assert r.json()["errors"]["version"] and STALE in r.json()["message"]
    assert _title(kind, obj) == "Their title"

    r = client.patch(url, {TITLE_FIELD[kind]: "Mine", "version": 2}, format="json")
    assert r.status_code == 200 and r.json()["version"] == 3
    # Without a version the change is not checked (clients that do not send it keep working).
    r = client.patch(url, {TITLE_FIELD[kind]: "Mine again"}, format="json")
    assert r.status_code == 200 and r.json()["version"] == 4


@pytest.mark.django_db
def test_a_stale_version_with_only_a_status_change_is_refused_too(world_a, things, api):
    objective = things["objective"]
    _edit("objective", objective, actor=world_a.manager, version=None, title="Their title")
    r = api(world_a.admin).patch(
        f"/api/v1/orgs/alpha/objectives/{objective.pk}/", {"status": "active", "version": 1}, format="json"
    )
    assert r.status_code == 409
    assert Objective.objects.get(pk=objective.pk).status == "draft"


def test_the_schema_documents_409_on_versioned_updates():
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    for resource in ("objectives", "key-results", "kpis"):
        assert "409" in paths[f"/api/v1/orgs/{{slug}}/{resource}/{{id}}/"]["patch"]["responses"]
    assert "409" not in paths["/api/v1/orgs/{slug}/cycles/{id}/"]["patch"]["responses"]
