"""Breaking changes between two OpenAPI 3 schemas: the published one and the live one.

A client written against ``old`` keeps working against ``new`` unless ``new``:

- removes a path or an operation (a method of a path);
- removes a parameter, or adds a required one, or makes one required;
- removes a field of a request body or of a response;
- removes an enum value (of a request or a response);
- makes a request field required, or adds a required request field;
- changes a field's type.

New paths, operations, optional fields and enum values are additive. ``$ref`` are
resolved before comparing, so renaming a component is not a change; nor is the media
type a body is described under (the JSON one is compared when there is one).
"""

from __future__ import annotations

import re
from typing import Any

Schema = dict[str, Any]

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_MAX_DEPTH = 12  # recursive components (a tree of objectives) are compared this deep


def _resolve(root: Schema, node: Any, seen: frozenset[str] = frozenset()) -> Any:
    """``node`` with its top-level ``$ref`` (and ``allOf`` of one ``$ref``) followed."""
    while isinstance(node, dict):
        ref = node.get("$ref")
        if ref is None and isinstance(node.get("allOf"), list) and len(node["allOf"]) == 1:
            ref = node["allOf"][0].get("$ref") if isinstance(node["allOf"][0], dict) else None
            if ref is not None:
                node = {**{k: v for k, v in node.items() if k != "allOf"}, **_lookup(root, ref)}
                continue
        if not isinstance(ref, str) or ref in seen:
            return node
        seen = seen | {ref}
        node = _lookup(root, ref)
    return node


def _lookup(root: Schema, ref: str) -> Any:
    target: Any = root
    for part in ref.lstrip("#/").split("/"):
        target = target.get(part, {}) if isinstance(target, dict) else {}
    return target


def _alternatives(root: Schema, node: Schema) -> Schema:
    """A ``oneOf``/``anyOf`` as one schema: what any branch allows (a nullable choice is
    ``oneOf: [XEnum, NullEnum]``, an optional one ``[XEnum, BlankEnum]``)."""
    branches = [_resolve(root, b) for b in node.get("oneOf") or node.get("anyOf") or []]
    branches = [b for b in branches if isinstance(b, dict)]
    if not branches:
        return node
    merged: Schema = {k: v for k, v in node.items() if k not in ("oneOf", "anyOf")}
    if all(_types(b) for b in branches):
        merged["type"] = sorted(set().union(*(_types(b) for b in branches)))
    if all("enum" in b for b in branches):
        merged["enum"] = [v for b in branches for v in b["enum"]]
    properties: Schema = {}
    for branch in branches:
        properties = {**(branch.get("properties") or {}), **properties}
    if properties:
        merged["properties"] = properties
    return merged


def _types(schema: Schema) -> set[str]:
    """The JSON types a schema allows (empty when it does not say)."""
    kind = schema.get("type")
    if isinstance(kind, list):
        return {str(k) for k in kind if k != "null"}
    return {str(kind)} if kind else set()


def _compare(
    old_root: Schema, new_root: Schema, old: Any, new: Any, where: str, request: bool, depth: int = 0
) -> list[str]:
    if depth > _MAX_DEPTH:
        return []
    old = _resolve(old_root, old)
    new = _resolve(new_root, new)
    if not isinstance(old, dict) or not isinstance(new, dict):
        return []
    old, new = _alternatives(old_root, old), _alternatives(new_root, new)
    found: list[str] = []
    old_types, new_types = _types(old), _types(new)
    if old_types and new_types and old_types != new_types:
        found.append(f"{where}: type changed from {'|'.join(sorted(old_types))} to {'|'.join(sorted(new_types))}")
        return found
    if "enum" in old and "enum" in new:
        removed = [v for v in old["enum"] if v not in new["enum"] and v is not None]
        if removed:
            found.append(f"{where}: enum value(s) removed: {', '.join(map(repr, removed))}")
    old_props: dict[str, Any] = old.get("properties") or {}
    new_props: dict[str, Any] = new.get("properties") or {}
    for name, old_prop in old_props.items():
        field = f"{where}.{name}"
        if name not in new_props:
            if not (new.get("additionalProperties") and not new_props):
                found.append(f"{field}: {'request' if request else 'response'} field removed")
            continue
        found += _compare(old_root, new_root, old_prop, new_props[name], field, request, depth + 1)
    if request:
        old_required = set(old.get("required") or [])
        for name in sorted(set(new.get("required") or []) - old_required):
            if name in old_props:
                found.append(f"{where}.{name}: request field made required")
            else:
                found.append(f"{where}.{name}: new required request field")
    if "items" in old and "items" in new:
        found += _compare(old_root, new_root, old["items"], new["items"], f"{where}[]", request, depth + 1)
    return found


def _body(root: Schema, holder: Any) -> Any:
    """The schema of a request body or a response: its JSON one, else its first."""
    holder = _resolve(root, holder)
    content = holder.get("content") if isinstance(holder, dict) else None
    if not isinstance(content, dict) or not content:
        return None
    media = next((m for m in content if m == "application/json" or m.endswith("+json")), next(iter(content)))
    return content[media].get("schema")


def _parameters(root: Schema, path_item: Schema, operation: Schema) -> dict[tuple[str, str], Schema]:
    found: dict[tuple[str, str], Schema] = {}
    for raw in [*(path_item.get("parameters") or []), *(operation.get("parameters") or [])]:
        param = _resolve(root, raw)
        if isinstance(param, dict) and "name" in param:
            found[(str(param.get("in")), str(param["name"]))] = param
    return found


def _compare_operation(old_root: Schema, new_root: Schema, path: str, method: str) -> list[str]:
    old_item, new_item = old_root["paths"][path], new_root["paths"][path]
    old_op, new_op = old_item[method], new_item[method]
    where = f"{method.upper()} {path}"
    found: list[str] = []
    old_params = _parameters(old_root, old_item, old_op)
    new_params = _parameters(new_root, new_item, new_op)
    for key, param in old_params.items():
        if key not in new_params:
            found.append(f"{where}: {key[0]} parameter {key[1]!r} removed")
            continue
        if new_params[key].get("required") and not param.get("required"):
            found.append(f"{where}: {key[0]} parameter {key[1]!r} made required")
        found += _compare(
            old_root, new_root, param.get("schema"), new_params[key].get("schema"), f"{where} {key[1]}", True
        )
    for key, param in new_params.items():
        if key not in old_params and param.get("required"):
            found.append(f"{where}: new required {key[0]} parameter {key[1]!r}")
    old_body, new_body = _body(old_root, old_op.get("requestBody")), _body(new_root, new_op.get("requestBody"))
    if old_body is not None and new_body is not None:
        found += _compare(old_root, new_root, old_body, new_body, f"{where} request", True)
    elif new_body is not None and _resolve(new_root, new_op.get("requestBody")).get("required"):
        found.append(f"{where}: new required request body")
    old_responses: dict[str, Any] = old_op.get("responses") or {}
    new_responses: dict[str, Any] = new_op.get("responses") or {}
    for status, old_response in old_responses.items():
        if status in new_responses:
            old_schema, new_schema = _body(old_root, old_response), _body(new_root, new_responses[status])
            found += _compare(old_root, new_root, old_schema, new_schema, f"{where} {status}", False)
    return found


def breaking_changes(old: Schema, new: Schema) -> list[str]:
    """What in ``new`` breaks a client of ``old``, one line each; empty when nothing does."""
    found: list[str] = []
    old_paths: dict[str, Any] = old.get("paths") or {}
    new_paths: dict[str, Any] = new.get("paths") or {}
    for path, old_item in old_paths.items():
        if path not in new_paths:
            found.append(f"{path}: path removed")
            continue
        for method in METHODS:
            if method not in old_item:
                continue
            if method not in new_paths[path]:
                found.append(f"{method.upper()} {path}: operation removed")
            else:
                found += _compare_operation(old, new, path, method)
    return found


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


def version_problems(old: Schema, new: Schema, changelog: str) -> list[str]:
    """Why ``new`` may not replace ``old``: its breaking changes, unless ``info.version``
    was raised and the changelog has an entry (a ``## <version>`` heading) for it."""
    breaking = breaking_changes(old, new)
    if not breaking:
        return []
    old_version = str((old.get("info") or {}).get("version", ""))
    new_version = str((new.get("info") or {}).get("version", ""))
    problems: list[str] = []
    if _version_key(new_version) <= _version_key(old_version):
        problems.append(f"API_VERSION is {new_version!r}, not raised above the published {old_version!r}")
    heading = re.compile(rf"^##\s*\[?v?{re.escape(new_version)}\]?(\s|$)", re.MULTILINE)
    if not heading.search(changelog):
        problems.append(f"docs/api/CHANGELOG.md has no '## {new_version}' entry")
    if not problems:
        return []
    return [*problems, *(f"BREAKING {line}" for line in breaking)]
