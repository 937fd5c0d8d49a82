"""The OpenAPI schema class: drf-spectacular's, with the error answers each
operation can give documented in the one error format (``core.api``).
Its own module: the pagination class in ``api`` is imported while DRF itself
loads, before drf-spectacular can be."""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer[Any]):
    """Every 4xx answer: one sentence, and the messages by field (empty when none)."""

    message = serializers.CharField()
    errors = serializers.DictField(  # type: ignore[assignment]  # documents the answer's field; never validates
        child=serializers.JSONField(), help_text="Messages by field name."
    )


ERROR_DESCRIPTIONS = {
    "400": "Invalid input: the message says what, `errors` names the fields.",
    "401": "No valid credentials (token or session).",
    "403": "Authenticated, but the role does not allow this (or the session's CSRF token is missing).",
    "404": "No such organisation for the caller, or no such object in it (another organisation's is the same).",
    "409": "The object changed since it was read (its `version` is stale): nothing was written.",
    "415": "The body is not JSON, a form or multipart, or cannot be read as its content type says.",
    "422": "The Idempotency-Key was already used with a different request: nothing was written.",
    "429": "Too many attempts: wait the `Retry-After` seconds.",
}

# Private serializers whose name without the underscore is a public one's.
PRIVATE_COMPONENT_NAMES = {
    "_Cycle": "CycleRef",  # the cycle a scorecard document covers
    "_Team": "TeamProgress",  # a team's row in the company scorecard
}


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema, with the error answers each operation can give
    documented, so a schema-conformance check (the fuzzing in CI) means something:
    400 for writes and for reads with query parameters, 415 for bodies, 401/403 where a login is
    needed, 404 where the path names an organisation or an object, 409 where a
    stale ``version`` is refused. Views add more with ``extra_error_codes``."""

    def _error_codes(self) -> set[str]:
        codes: set[str] = set(getattr(self.view, "extra_error_codes", ()))
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            codes.add("400")  # invalid input, or a rule of the service (a cycle that still holds objectives)
        if self.method in ("POST", "PUT", "PATCH"):
            codes.add("415")  # a body of another media type, or one its parser cannot read
        if self.method == "GET" and (
            self._is_list_view() or self._get_filter_parameters() or self.get_override_parameters()
        ):
            codes.add("400")  # query parameters, page and page_size included, are checked
        if not any(getattr(p, "__name__", "") == "AllowAny" for p in self.view.permission_classes):
            codes |= {"401", "403"}
        if "{" in self.path:
            codes.add("404")
        if self.method in ("PUT", "PATCH") and getattr(self.view, "versioned", False):
            codes.add("409")
        if self.method == "POST" and getattr(self.view, "idempotent", False):
            codes.add("422")  # an Idempotency-Key reused with another body (core.idempotency)
        return codes

    def _get_serializer_name(self, serializer: Any, direction: Any, bypass_extensions: bool = False) -> str:
        """A module's private serializer (``_CycleSerializer``) is named without its
        underscore; where that name is already a public serializer's, by what it is."""
        name: str = super()._get_serializer_name(serializer, direction, bypass_extensions)
        if name.startswith("_"):
            name = PRIVATE_COMPONENT_NAMES.get(name, name.lstrip("_"))
        return name

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code in sorted(self._error_codes()):
            if code not in responses:
                response = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                response["description"] = ERROR_DESCRIPTIONS[code]
                responses[code] = response
        return responses
