"""What a run says when its check or apply stopped, in its reader's language.

These messages are written where no reader is at hand: by a task in the worker (no
language active) or by whoever first opens a run whose worker died, for everyone after
them. So the run keeps a code and its numbers next to the words, and the page and the API
put them in words again for each reader (``shown_dry_run``). The words kept on the run,
in the organisation's language, stand for runs saved before codes and for readers of the
stored run itself.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

CHECK_TIMEOUT = "check_timeout"
CHECK_FAILED = "check_failed"
CHECK_STALE = "check_stale"
APPLY_TIMEOUT = "apply_timeout"
APPLY_FAILED = "apply_failed"
APPLY_STALE = "apply_stale"

MESSAGES: dict[str, Promise] = {
    CHECK_TIMEOUT: _(
        "The check was stopped after %(n)d minutes, before it finished. Split the file into smaller ones."
    ),
    CHECK_FAILED: _("The check failed unexpectedly. Try again later."),
    CHECK_STALE: _("The check stopped before it finished. Upload the file again."),
    APPLY_TIMEOUT: _(
        "The import was stopped after %(n)d minutes, before it finished, so nothing was imported. "
        "Import it again, or split the file into smaller ones."
    ),
    APPLY_FAILED: _("The import failed unexpectedly, so nothing was imported. Try again later."),
    APPLY_STALE: _("The import stopped before it finished, so nothing was imported. Import it again."),
}


def run_message(code: str, **params: int) -> dict[str, Any]:
    """The message ``code`` as a run keeps it: ``message`` (its words in the active
    language), ``code`` and ``params``."""
    return {"message": words(code, params, ""), "code": code, "params": params}


def words(code: str, params: dict[str, Any], fallback: str) -> str:
    """The message ``code`` in the active language, or ``fallback`` for a code not known."""
    template = MESSAGES.get(code)
    if template is None:
        return fallback
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return fallback


def shown_dry_run(dry_run: dict[str, Any] | None) -> dict[str, Any]:
    """A run's dry run as its reader sees it: its coded messages in the active language."""
    shown = dict(dry_run or {})
    errors = shown.get("errors")
    if errors:
        shown["errors"] = [_shown_error(e) for e in errors]
    stopped, coded = shown.get("stopped"), shown.get("stopped_code")
    if stopped and isinstance(coded, dict):
        text = words(str(coded.get("code")), dict(coded.get("params") or {}), stopped)
        shown["notes"] = [text if n == stopped else n for n in shown.get("notes") or []]
        shown["stopped"] = text
    return shown


def _shown_error(error: Any) -> Any:
    if not isinstance(error, dict) or not error.get("code"):
        return error
    return {**error, "message": words(str(error["code"]), dict(error.get("params") or {}), error.get("message", ""))}
