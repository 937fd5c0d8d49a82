"""The isolation matrix (DESIGN §3, §7): every tenant URL pattern and every
OpenAPI operation, tried by every role of organisation A, an outsider and an
anonymous visitor, with every method, against organisation B — through B's
slug, and through A's own slug with the ids of B's rows.

A new URL pattern is covered without editing this file; one whose URL
arguments cannot be mapped to a kind of object makes the test fail, so it is
noticed. Whatever happens, B's rows must be exactly as they were.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.db import transaction
from django.urls import resolve

from orgs.models import Membership, User
from tests.orgs.tenant_matrix import (
    SECRET,
    Catalogue,
    Kind,
    Route,
    cross_tenant_references,
    fingerprint,
    populate,
    tenant_routes,
)

pytestmark = pytest.mark.django_db

API_METHODS = ("get", "post", "put", "patch", "delete")
HTML_METHODS = ("get", "post")  # mutating HTML views are POST-only
MISSING_ID = 987654321

# A body that many forms and serializers would accept, so that a lookup that
# lost its organisation filter has something to write.
FORM_BODY = {
    "title": "Taken over",
    "name": "Taken over",
    "status": "cancelled",
    "role": "viewer",
    "value": "1",
    "confidence": "5",
    "note": "taken over",
    "description": "taken over",
}
JSON_BODY = {**FORM_BODY, "value": 1, "confidence": 5, "read_at": None, "active": False}

ROLES = ("admin", "manager", "member", "viewer")


@pytest.fixture
def orgs(world_a, world_b):
    a = populate(world_a)
    b = populate(
        world_b,
        secret=SECRET,
        # People of A who once belonged to B still have notifications there.
        also_notify=(world_a.admin, world_a.manager, world_a.member, world_a.viewer),
    )
    return a, b


def _send(client, method: str, url: str, *, api: bool, body: bool = True):
    if method in ("get", "delete") or not body:
        return getattr(client, method)(url)
    if api:
        return getattr(client, method)(url, JSON_BODY, format="json")
    if method == "post":
        return client.post(url, FORM_BODY)
    return getattr(client, method)(url)


def _object_routes() -> list[Route]:
    return [r for r in tenant_routes() if r.kwargs]


def _methods(route: Route) -> tuple[str, ...]:
    return API_METHODS if route.is_api else HTML_METHODS


def _clients(user, client, api) -> tuple[Any, Any]:
    """(HTML client, API client) for ``user`` (None: anonymous)."""
    client.logout()
    if user is not None:
        client.force_login(user)
    return client, api(user)


# --- the enumeration itself --------------------------------------------------------------


def test_every_url_argument_names_a_kind_of_object():
    """Fails (never skips) for a new pattern whose argument cannot be mapped."""
    routes = tenant_routes()
    assert len(routes) >= 50
    kinds = {r.route: {kw: k.label for kw, k in r.kinds.items()} for r in routes if r.kwargs}
    labels = {label for m in kinds.values() for label in m.values()}
    assert {
        "objectives.Objective",
        "objectives.KeyResult",
        "objectives.CheckIn",
        "objectives.Initiative",
        "kpis.Kpi",
        "kpis.Measurement",
        "orgs.Team",
        "orgs.Membership",
        "cycles.Cycle",
        "notifications.Notification",
        "orgs.Invitation",
    } <= labels, labels


def test_the_catalogue_holds_every_kind_the_routes_name(orgs):
    a, b = orgs
    for route in _object_routes():
        for kind in route.kinds.values():
            assert a.targets(kind) and b.targets(kind)


def test_every_openapi_operation_is_a_enumerated_route(client, world_a):
    """The schema and the resolver agree: every operation under /api/v1/orgs/<slug>/
    is one of the routes the matrix walks (with all its methods)."""
    client.force_login(world_a.admin)
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    routes = {r.key: r for r in tenant_routes()}
    operations = 0
    for path, ops in schema["paths"].items():
        if not path.startswith("/api/v1/orgs/{slug}/"):
            continue
        url = re.sub(r"\{(\w+)\}", lambda m: "alpha" if m.group(1) == "slug" else "1", path)
        match = resolve(url)
        assert match.route in routes, f"{path} is in the schema but not among the tenant routes"
        route = routes[match.route]
        for method in ops:
            if method in ("get", "post", "put", "patch", "delete"):
                assert method in _methods(route), (path, method)
                operations += 1
        for name in re.findall(r"\{(\w+)\}", path):
            if name != "slug":
                assert route.kwargs, (path, name)
                route.kinds  # noqa: B018 - raises for an argument the matrix cannot aim
    assert operations >= 25


# --- issue 8: A's own slug, B's ids ------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_own_slug_with_another_organisations_ids_is_404(role, orgs, world_a, client, api):
    """A member of A, whatever their role, asks A's URLs for B's objects: the same answer
    as for an id that does not exist (a 404 — or the 403/405 that an unknown id gets too),
    and B's rows are untouched. An admin passes every role check, so for them only the
    scoped lookup stands between the request and B's row: they must get 404 (or 405)."""
    a, b = orgs
    user: User = getattr(world_a, role)
    html, api_client = _clients(user, client, api)
    before = fingerprint(b.org)
    references = set(cross_tenant_references())
    failures = []
    requests = 0
    for route in _object_routes():
        kinds = route.kinds
        foreign = {kw: b.ids(kind, user)[0] for kw, kind in kinds.items()}
        missing = dict.fromkeys(kinds, MISSING_ID)
        c = api_client if route.is_api else html
        for method in _methods(route):
            url = route.url(a.org.slug, foreign)
            status = _send(c, method, url, api=route.is_api).status_code
            requests += 1
            if status == 404:
                continue
            baseline = _send(c, method, route.url(a.org.slug, missing), api=route.is_api).status_code
            allowed = {404, 405} if role == "admin" else {404, 403, 405}
            if status != baseline or status not in allowed:
                failures.append(f"{method.upper()} {url} as {role}: {status} (an unknown id gets {baseline})")
    assert not failures, "B's objects reachable through A's URLs:\n" + "\n".join(failures)
    assert fingerprint(b.org) == before, "B's rows changed"
    assert set(cross_tenant_references()) <= references, "A's rows now point into B"
    assert requests >= 90


# --- B's slug: every route, every method, everyone but B's members --------------------------------


@pytest.mark.parametrize("who", [*ROLES, "outsider"])
def test_another_organisations_slug_is_404_everywhere(who, orgs, world_a, outsider, client, api):
    a, b = orgs
    user = outsider if who == "outsider" else getattr(world_a, who)
    html, api_client = _clients(user, client, api)
    before = fingerprint(b.org)
    failures = []
    for route in tenant_routes():
        ids = {kw: b.ids(kind)[0] for kw, kind in route.kinds.items()}
        url = route.url(b.org.slug, ids)
        c = api_client if route.is_api else html
        for method in API_METHODS:
            status = _send(c, method, url, api=route.is_api).status_code
            if status != 404:
                failures.append(f"{method.upper()} {url} as {who}: {status}")
    assert not failures, "\n".join(failures)
    assert fingerprint(b.org) == before


@pytest.mark.parametrize("slug_of", ["own", "other"])
def test_anonymous_is_sent_to_login_or_refused(slug_of, orgs, client, api):
    """HTML pages redirect to the login page, the API answers 401/403 — for every
    method, whether or not the ids exist in that organisation."""
    a, b = orgs
    org = a if slug_of == "own" else b
    before = fingerprint(b.org)
    html, api_client = _clients(None, client, api)
    failures = []
    for route in tenant_routes():
        url = route.url(org.org.slug, {kw: b.ids(kind)[0] for kw, kind in route.kinds.items()})
        for method in API_METHODS:
            response = _send(api_client if route.is_api else html, method, url, api=route.is_api)
            if route.is_api:
                ok = response.status_code in (401, 403)
            else:
                ok = response.status_code == 302 and response["Location"].startswith("/accounts/login/")
            if not ok:
                failures.append(f"{method.upper()} {url}: {response.status_code}")
    assert not failures, "\n".join(failures)
    assert fingerprint(b.org) == before


# --- reads: nothing of B shows through A's pages, lists and filters -------------------------------------


HTML_QUERY_PARAMS = ("cycle", "parent", "team", "kpi", "objective", "owner", "user", "as_of")
# Which of B's rows to put in a query parameter; a parameter not listed gets every id of B.
PARAM_KINDS = {
    "cycle": ("cycles.Cycle",),
    "kpi": ("kpis.Kpi",),
    "objective": ("objectives.Objective",),
    "key_result": ("objectives.KeyResult",),
    "parent": ("objectives.Objective", "orgs.Team"),
    "team": ("orgs.Team",),
    "owner_team": ("orgs.Team",),
    "owner": ("orgs.Team", "orgs.User"),
    "owner_user": ("orgs.User",),
    "author": ("orgs.User",),
    "user": ("orgs.User",),
    "as_of": (),
    "owner_type": (),
    "status": (),
    "perspective": (),
    "frequency": (),
    "active": (),
    "role": (),
    "unread": (),
    "period_from": (),
    "period_to": (),
}


@pytest.mark.parametrize("role", ["admin", "viewer"])
def test_reads_never_show_the_other_organisation(role, orgs, world_a, client, api):
    """Every page and API resource of A, read by a member of A — its lists, its own
    objects, and its lists filtered by ids of B's rows — says nothing about B."""
    a, b = orgs
    user = getattr(world_a, role)
    html, api_client = _clients(user, client, api)
    every_id = sorted({r.pk for rows in b.rows.values() for r in rows} | {m.user_id for m in b.rows[Membership]})

    def b_ids(param: str) -> list[int]:
        labels = PARAM_KINDS.get(param)
        if labels is None:
            return every_id
        return sorted({b.ids(Kind(apps.get_model(label), "pk"))[0] for label in labels})

    schema = html.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    query_params: dict[str, list[str]] = {}
    for path, ops in schema["paths"].items():
        params = [p["name"] for p in ops.get("get", {}).get("parameters", []) if p["in"] == "query"]
        query_params[path] = [p for p in params if p not in ("page", "page_size")]
    leaks, errors = [], []
    requests = 0
    for route in tenant_routes():
        own = {kw: a.ids(kind, user)[0] for kw, kind in route.kinds.items()}
        url = route.url(a.org.slug, own)
        c = api_client if route.is_api else html
        if route.is_api:
            schema_path = re.sub(r"/\d+/", "/{id}/", url.replace(f"/{a.org.slug}/", "/{slug}/", 1))
            names = query_params.get(schema_path, [])
        else:
            names = list(HTML_QUERY_PARAMS) if not route.kwargs else []
        queries = [""]
        for name in names:
            for value in b_ids(name):
                queries.append(f"?{name}={value}")
                if name == "owner":
                    queries += [f"?owner=team:{value}", f"?owner=person:{value}"]
        for q in queries:
            response = c.get(url + q)
            requests += 1
            if response.status_code >= 500:
                errors.append(f"GET {url}{q}: {response.status_code}")
            body = b"".join(response.streaming_content) if response.streaming else response.content
            if SECRET.encode() in body:
                leaks.append(f"GET {url}{q} as {role} shows B's data")
    assert not leaks, "\n".join(leaks)
    assert not errors, "\n".join(errors)
    assert requests >= 200


# --- foreign keys in request bodies --------------------------------------------------------------------


def _resolve_ref(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    for key in ("allOf", "oneOf", "anyOf"):
        if key in node:
            options = [_resolve_ref(schema, n) for n in node[key]]
            options = [o for o in options if o.get("enum") not in ([None], [""], ["", None])]
            merged = dict(options[0]) if options else {}
            merged.update({k: v for k, v in node.items() if k != key})
            return merged
    return node


_counter = itertools.count()

# Values that satisfy the rules of the method (targets above thresholds, a
# period that has started…) where the schema alone cannot say.
VALUE_HINTS: dict[str, Any] = {
    "start_value": 0,
    "target_value": 10,
    "target": 100,
    "amber_threshold": 80,
    "value": 3,
    # The plausibility guard (check-ins, KPI values) is not what these bodies try: a value it
    # would ask about must not turn the foreign key's refusal into the guard's 400.
    "confirm": True,
    "confidence": 5,
    "weight": 1,
    "period": "2026-11-01",
    "start_date": "2027-01-01",
    "end_date": "2027-03-31",
    "password": "a-long-Passw0rd-2026",
    "role": "member",
}
# Choosing one of these owners means saying which kind of owner it is.
CO_FIELDS = {"owner_team": {"owner_type": "team"}, "owner_user": {"owner_type": "person"}}
# Fields a row needs beside another whenever that other is in the body (a KPI read from a
# data source names what to read there).
NEEDS = {"source": {"source_query": "Revenue"}}
# Operations whose valid body for A needs a graph the catalogue does not hold, so no control
# request shows the body valid: the foreign id must still be refused with nothing changed.
# A contribution never moves (PATCH refuses its ends), and a new one needs an objective that
# is neither the child's primary parent nor already linked, or an `aligned` key result;
# tests/objectives/test_contributions.py makes those and proves another organisation's 404.
NO_CONTROL = {
    ("post", "/api/v1/orgs/{slug}/contributions/"),
    ("patch", "/api/v1/orgs/{slug}/contributions/{id}/"),
}
# Fields of which a body names exactly one (a comment is on an objective or a check-in).
EXCLUSIVE = {
    "/api/v1/orgs/{slug}/comments/": ("objective", "check_in"),
    "/api/v1/orgs/{slug}/reactions/": ("check_in", "comment"),
}


def _strategy_link_body(a: Catalogue, name: str) -> dict[str, Any]:
    """A link the catalogue's map does not hold yet, whose ends leave ``name`` to be set:
    each end is exactly one KPI or one objective (see ``populate``)."""
    link = a.first(apps.get_model("scorecards", "StrategyLink"))  # the map holds team KPI → member's KPI
    objective = a.first(apps.get_model("objectives", "Objective"))  # on the map too
    team_kpi, member_kpi = link.source_kpi_id, link.target_kpi_id
    bodies = {
        "scorecard": {"source_kpi": member_kpi, "target_kpi": team_kpi},
        "source_kpi": {"target_kpi": team_kpi},
        "source_objective": {"target_kpi": team_kpi},
        "target_kpi": {"source_objective": objective.pk},
        "target_objective": {"source_kpi": team_kpi},
    }
    return {"scorecard": link.scorecard_id, **bodies[name]}


# Bodies whose fields depend on each other beyond CO_FIELDS: path → (catalogue, field under test) → body.
BASE_BODIES = {"/api/v1/orgs/{slug}/strategy-links/": _strategy_link_body}


def _example(schema: dict, name: str, prop: dict) -> Any:
    prop = _resolve_ref(schema, prop)
    if name in VALUE_HINTS:
        return VALUE_HINTS[name]
    if "enum" in prop:
        return next(v for v in prop["enum"] if v not in (None, ""))
    kind, fmt = prop.get("type"), prop.get("format")
    if kind == "array":
        return [_example(schema, name, prop.get("items", {}))]
    if kind == "integer":
        return prop.get("minimum", 1)
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return True
    if fmt == "email":
        return f"new{next(_counter)}@alpha.test"
    if fmt == "date":
        return "2026-11-15"
    if fmt == "date-time":
        return "2026-11-15T10:00:00Z"
    return f"New {next(_counter)}"


def _relations(route: Route, action: str) -> dict[str, tuple[type, bool]]:
    """Writable fields of the operation's serializer that hold ids of rows: name → (model, many)."""
    from rest_framework import serializers

    view = route.callback.cls()
    view.action, view.request, view.format_kwarg, view.kwargs = action, None, None, {}
    # A generic view names its serializer through get_serializer_class; a plain APIView
    # (the single sign-on settings) through serializer_class. One with neither is a gap.
    if hasattr(view, "get_serializer_class"):
        serializer_class = view.get_serializer_class()
    else:
        serializer_class = getattr(view, "serializer_class", None)
    assert serializer_class is not None, f"{route.route}: no serializer class to find its relations"
    serializer = serializer_class(context={"org": None})
    found = {}
    for name, f in serializer.fields.items():
        if f.read_only:
            continue
        many = False
        if isinstance(f, serializers.ManyRelatedField):
            f, many = f.child_relation, True
        elif isinstance(f, serializers.ListField) and isinstance(f.child, serializers.RelatedField):
            f, many = f.child, True
        if isinstance(f, serializers.RelatedField):
            qs = f.queryset if f.queryset is not None else f.get_queryset()
            found[name] = (qs.model, many)
    return found


def _pick(cat: Catalogue, model: type, *, avoid: Any = None) -> int:
    if model is User:
        return cat.first(Membership).user_id
    rows = [r for r in cat.rows[model] if r.pk != getattr(avoid, "pk", None)]
    return rows[0].pk


@dataclass
class WriteOperation:
    path: str
    method: str
    route: Route
    schema: dict  # the whole OpenAPI document
    body_schema: dict
    relations: dict[str, tuple[type, bool]]
    target: Any  # A's row the operation changes (None for a create)

    @property
    def props(self) -> dict:
        return self.body_schema.get("properties", {})

    def body(self, a: Catalogue, name: str, value: int) -> dict:
        """A valid body for A, except that ``name`` holds ``value``."""
        if self.path in BASE_BODIES:
            return {**BASE_BODIES[self.path](a, name), name: value}
        props = self.props
        if self.method == "patch":
            fields = []
        else:
            fields = [*self.body_schema.get("required", []), *(h for h in VALUE_HINTS if h in props)]
        data = {f: _example(self.schema, f, props[f]) for f in fields}
        for other, (model, many) in self.relations.items():
            # A create gets every other row it can name (from A); owners only with their owner type.
            wanted = other in fields or (self.method == "post" and other not in CO_FIELDS)
            if other != name and other in props and wanted:
                v = _pick(a, model, avoid=self.target)
                data[other] = [v] if many else v
        data.update(CO_FIELDS.get(name, {}))
        data[name] = [value] if self.relations[name][1] else value
        for field, needed in NEEDS.items():
            if field in data:
                data.update(needed)
        group = EXCLUSIVE.get(self.path, ())
        keep = name if name in group else next((f for f in group if f in data), None)
        for other in group:
            if other != keep:
                data.pop(other, None)
        return data


def _write_operations(schema: dict, a: Catalogue):
    routes = {r.key: r for r in tenant_routes()}
    for path, ops in schema["paths"].items():
        if not path.startswith("/api/v1/orgs/{slug}/"):
            continue
        for method in ("post", "put", "patch"):
            op = ops.get(method)
            if not op or "requestBody" not in op:
                continue
            if "application/json" not in op["requestBody"]["content"]:
                continue  # a file upload (multipart, POST imports/): its fields name no row
            body_schema = _resolve_ref(schema, op["requestBody"]["content"]["application/json"]["schema"])
            url = re.sub(r"\{(\w+)\}", lambda m: "alpha" if m.group(1) == "slug" else "1", path)
            route = routes[resolve(url).route]
            action = {"post": "create", "put": "update", "patch": "partial_update"}[method]
            target = a.targets(route.kind_of(route.kwargs[0]))[0] if route.kwargs else None
            yield WriteOperation(path, method, route, schema, body_schema, _relations(route, action), target)


# Integer fields of request bodies that are plain numbers, not ids of rows.
PLAIN_INTEGERS = {"confidence", "version"}  # version: optimistic locking, not a row


def test_foreign_keys_into_another_organisation_are_refused(orgs, world_a, client, api):
    """For every write operation of the schema and every field of it that names a row:
    the operation succeeds with A's row (the control), and is refused (400/404) with
    B's — nothing is created or changed in either organisation."""
    a, b = orgs
    api_client = api(world_a.admin)
    client.force_login(world_a.admin)
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    before_b = fingerprint(b.org)
    failures = []
    tried = 0
    for op in _write_operations(schema, a):
        for name, prop in op.props.items():
            prop = _resolve_ref(schema, prop)
            item = _resolve_ref(schema, prop.get("items", {})) if prop.get("type") == "array" else prop
            if item.get("type") == "integer" and not prop.get("readOnly") and name not in op.relations:
                assert name in PLAIN_INTEGERS, (
                    f"{op.method.upper()} {op.path}: {name!r} is an integer field that is not a related field; "
                    "if it names a row, make it one (scoped to the organisation); if not, list it in PLAIN_INTEGERS"
                )
        ids = {kw: getattr(op.target, k.attr) for kw, k in op.route.kinds.items()}
        url = op.route.url(a.org.slug, ids)
        send = getattr(api_client, op.method)
        for name, (model, _many) in op.relations.items():
            if name not in op.props:
                continue
            own = op.body(a, name, _pick(a, model, avoid=op.target if model is type(op.target) else None))
            if (op.method, op.path) not in NO_CONTROL:
                with transaction.atomic():
                    control = send(url, own, format="json")
                    transaction.set_rollback(True)
                if control.status_code >= 300:
                    failures.append(
                        f"control {op.method.upper()} {url} {own}: {control.status_code} {control.content[:300]!r} "
                        "(teach VALUE_HINTS/CO_FIELDS a valid body)"
                    )
                    continue
            before_a = fingerprint(a.org)
            foreign = op.body(a, name, _pick(b, model))
            response = send(url, foreign, format="json")
            tried += 1
            if response.status_code not in (400, 404):
                failures.append(f"{op.method.upper()} {url} {foreign}: {response.status_code}")
            elif fingerprint(a.org) != before_a:
                failures.append(f"{op.method.upper()} {url} {foreign}: refused, but A's rows changed")
    assert not failures, "\n".join(failures)
    assert fingerprint(b.org) == before_b
    assert tried >= 20
