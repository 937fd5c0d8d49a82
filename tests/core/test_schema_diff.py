"""core.schema_diff: each kind of breaking change is caught, additive changes pass, and a
break needs a raised version with a changelog entry."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from core.schema_diff import breaking_changes, version_problems


def _schema() -> dict[str, Any]:
    """A small API: a list of things with a JSON create, a $ref'd response and an enum."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1.0.0"},
        "paths": {
            "/things/": {
                "get": {
                    "parameters": [{"in": "query", "name": "page", "schema": {"type": "integer"}}],
                    "responses": {
                        "200": {
                            "content": {
                                "application/json": {
                                    "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}}
                                }
                            }
                        }
                    },
                },
                "post": {
                    "requestBody": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/ThingRequest"}},
                            "multipart/form-data": {"schema": {"$ref": "#/components/schemas/ThingRequest"}},
                        },
                        "required": True,
                    },
                    "responses": {
                        "201": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}
                    },
                },
            },
            "/things/{id}/": {"get": {"responses": {"200": {"description": ""}}}},
        },
        "components": {
            "schemas": {
                "Thing": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer", "readOnly": True},
                        "name": {"type": "string"},
                        "status": {"$ref": "#/components/schemas/StatusEnum"},
                    },
                },
                "ThingRequest": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "note": {"type": "string"},
                        "status": {"$ref": "#/components/schemas/StatusEnum"},
                    },
                    "required": ["name"],
                },
                "StatusEnum": {"type": "string", "enum": ["green", "amber", "red"]},
            }
        },
    }


def _changed(change: Any) -> list[str]:
    new = _schema()
    change(new)
    return breaking_changes(_schema(), new)


def test_the_same_schema_has_no_breaking_change() -> None:
    assert breaking_changes(_schema(), _schema()) == []


def _components(s: dict[str, Any]) -> dict[str, Any]:
    schemas: dict[str, Any] = s["components"]["schemas"]
    return schemas


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda s: s["paths"].pop("/things/{id}/"), "/things/{id}/: path removed"),
        (lambda s: s["paths"]["/things/"].pop("post"), "POST /things/: operation removed"),
        (
            lambda s: _components(s)["Thing"]["properties"].pop("name"),
            "GET /things/ 200[].name: response field removed",
        ),
        (
            lambda s: _components(s)["ThingRequest"]["properties"].pop("note"),
            "POST /things/ request.note: request field removed",
        ),
        (
            lambda s: _components(s)["StatusEnum"]["enum"].remove("amber"),
            "POST /things/ request.status: enum value(s) removed: 'amber'",
        ),
        (
            lambda s: _components(s)["ThingRequest"]["required"].append("note"),
            "POST /things/ request.note: request field made required",
        ),
        (
            lambda s: (
                _components(s)["ThingRequest"]["properties"].update(colour={"type": "string"}),
                _components(s)["ThingRequest"]["required"].append("colour"),
            ),
            "POST /things/ request.colour: new required request field",
        ),
        (
            lambda s: _components(s)["Thing"]["properties"].update(id={"type": "string"}),
            "POST /things/ 201.id: type changed from integer to string",
        ),
        (lambda s: s["paths"]["/things/"]["get"].pop("parameters"), "GET /things/: query parameter 'page' removed"),
        (
            lambda s: s["paths"]["/things/"]["get"]["parameters"][0].update(required=True),
            "GET /things/: query parameter 'page' made required",
        ),
    ],
    ids=[
        "path",
        "operation",
        "response-field",
        "request-field",
        "enum-value",
        "made-required",
        "new-required",
        "type",
        "parameter",
        "parameter-required",
    ],
)
def test_each_kind_of_breaking_change_is_caught(change: Any, expected: str) -> None:
    assert expected in _changed(change)


def _additive(s: dict[str, Any]) -> None:
    s["paths"]["/others/"] = {"get": {"responses": {"200": {"description": ""}}}}
    s["paths"]["/things/{id}/"]["delete"] = {"responses": {"204": {"description": ""}}}
    _components(s)["ThingRequest"]["properties"]["colour"] = {"type": "string"}
    _components(s)["Thing"]["properties"]["colour"] = {"type": "string"}
    _components(s)["StatusEnum"]["enum"].append("blue")
    _components(s)["ThingRequest"]["required"] = []  # a required field made optional
    s["paths"]["/things/"]["get"]["parameters"].append({"in": "query", "name": "q", "schema": {"type": "string"}})
    # Renamed components and a dropped form media type describe the same JSON.
    schemas = _components(s)
    schemas["Renamed"] = schemas.pop("Thing")
    body = s["paths"]["/things/"]["post"]["requestBody"]["content"]
    body.pop("multipart/form-data")
    s["paths"]["/things/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["items"] = {
        "$ref": "#/components/schemas/Renamed"
    }
    s["paths"]["/things/"]["post"]["responses"]["201"]["content"]["application/json"]["schema"] = {
        "$ref": "#/components/schemas/Renamed"
    }


def test_additive_changes_are_not_breaking() -> None:
    assert _changed(_additive) == []


def test_a_break_needs_a_raised_version_and_a_changelog_entry() -> None:
    old = _schema()
    new = copy.deepcopy(old)
    _components(new)["Thing"]["properties"].pop("name")
    problems = version_problems(old, new, "# API changelog\n\n## 1.0.0\n")
    assert "API_VERSION is '1.0.0', not raised above the published '1.0.0'" in problems
    assert any(p.startswith("BREAKING GET /things/ 200[].name") for p in problems)

    new["info"]["version"] = "1.10.0"  # compared as numbers, not as text
    problems = version_problems(old, new, "# API changelog\n\n## 1.0.0\n")
    assert problems[0] == "docs/api/CHANGELOG.md has no '## 1.10.0' entry"
    assert version_problems(old, new, "# API changelog\n\n## 1.10.0\n\nThings lose `name`.\n\n## 1.0.0\n") == []

    new["info"]["version"] = "0.9.0"
    assert version_problems(old, new, "## 0.9.0\n")[0].startswith("API_VERSION is '0.9.0'")


def test_an_additive_change_needs_no_new_version() -> None:
    new = _schema()
    _additive(new)
    assert version_problems(_schema(), new, "") == []


def test_choices_under_one_of_are_compared() -> None:
    """A nullable choice is ``oneOf: [XEnum, NullEnum]``: becoming one is not a break,
    losing a value under one is."""

    def nullable(s: dict[str, Any]) -> None:
        _components(s)["NullEnum"] = {"enum": [None]}
        _components(s)["Thing"]["properties"]["status"] = {
            "oneOf": [{"$ref": "#/components/schemas/StatusEnum"}, {"$ref": "#/components/schemas/NullEnum"}]
        }

    assert _changed(nullable) == []
    old = _schema()
    nullable(old)
    new = copy.deepcopy(old)
    _components(new)["StatusEnum"]["enum"].remove("red")
    assert "GET /things/ 200[].status: enum value(s) removed: 'red'" in breaking_changes(old, new)
