"""Content negotiation for an API that answers JSON only (production).

The browsable API's pages carry inline styles, which the content security policy
refuses, so production renders JSON alone. A client that asks for nothing but
HTML (``Accept: text/html``) then gets the JSON anyway rather than a 406: the
documentation for people is ``/api/v1/docs/``."""

from __future__ import annotations

from collections.abc import Iterable

from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request


class FallBackToFirstRenderer(DefaultContentNegotiation):
    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderers = list(renderers)
        try:
            chosen: tuple[BaseRenderer, str] = super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            return renderers[0], renderers[0].media_type
        return chosen
