"""The OpenAPI schema reads cleanly for client generators: drf-spectacular
generates it without a warning or an error, it validates as OpenAPI, every
request body has one media type (JSON; multipart only for a file upload), and
component names are unique and public (no leading underscore, no two that
differ only by underscores or case)."""

from __future__ import annotations

from typing import Any

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from openapi_spec_validator import validate

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    # Warnings are counted once per message per process: start from none, so one
    # another test already triggered is counted here too.
    GENERATOR_STATS._warn_cache.clear()
    GENERATOR_STATS._error_cache.clear()
    generated: dict[str, Any] = SchemaGenerator().get_schema(request=None, public=True)
    generated["x-warnings"] = dict(GENERATOR_STATS._warn_cache)
    generated["x-errors"] = dict(GENERATOR_STATS._error_cache)
    return generated


def test_generated_without_warnings_or_errors(schema: dict[str, Any]) -> None:
    assert schema["x-warnings"] == {}
    assert schema["x-errors"] == {}


def test_valid_openapi(schema: dict[str, Any]) -> None:
    clean = {k: v for k, v in schema.items() if not k.startswith("x-")}
    validate_schema(clean)  # drf-spectacular's own check (the JSON schema of OpenAPI 3.0)
    validate(clean)  # openapi-spec-validator: references resolve, parameters are well formed


def test_one_request_media_type_per_operation(schema: dict[str, Any]) -> None:
    found = {}
    for path, item in schema["paths"].items():
        for method in METHODS:
            body = item.get(method, {}).get("requestBody")
            if body is None:
                continue
            types = list(body["content"])
            uploads = types == ["multipart/form-data"] and _has_binary(body["content"][types[0]]["schema"], schema)
            if types != ["application/json"] and not uploads:
                found[f"{method.upper()} {path}"] = types
    assert found == {}


def test_component_names_public_and_distinct(schema: dict[str, Any]) -> None:
    names = list(schema["components"]["schemas"])
    assert [n for n in names if n.startswith("_")] == []
    by_key: dict[str, list[str]] = {}
    for name in names:
        by_key.setdefault(name.replace("_", "").lower(), []).append(name)
    assert {k: v for k, v in by_key.items() if len(v) > 1} == {}


def _has_binary(node: Any, schema: dict[str, Any]) -> bool:
    """Whether a body schema (its references followed) holds a file field."""
    if isinstance(node, dict):
        if "$ref" in node:
            return _has_binary(schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]], schema)
        if node.get("format") == "binary":
            return True
        return any(_has_binary(v, schema) for v in node.values())
    if isinstance(node, list):
        return any(_has_binary(v, schema) for v in node)
    return False
