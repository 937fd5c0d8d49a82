"""Every write to objectives, key results, check-ins and initiatives, by topic (the close,
grades, retrospectives, carry-over, the coach's dismissals and templates are
``rituals.services``).

Each service validates, writes inside ``transaction.atomic``, records the
activity and brings stored progress up to date through ``objectives.rollup``.
Permission checks happen in the views/API (``OwnedMixin.editable_by`` and
``orgs.permissions``) — but for the API's check-in, which reads the key result once,
locked, and checks the same rule there; services enforce the rules of the method (2–5 key
results, no alignment loops, no check-in in a closed cycle) whoever calls them.
"""

from objectives.services.approvals import objective_approve, objective_request_changes, objective_submit
from objectives.services.check_ins import CheckInRefused, key_result_check_in, key_result_check_in_by_id
from objectives.services.contributions import contribution_create, contribution_delete, contribution_update
from objectives.services.initiatives import initiative_create, initiative_delete, initiative_update
from objectives.services.key_results import (
    key_result_create,
    key_result_delete,
    key_result_progress_preview,
    key_result_update,
)
from objectives.services.kpi_link import key_results_follow_kpis
from objectives.services.objectives import (
    objective_create,
    objective_delete,
    objective_set_status,
    objective_update,
)

__all__ = [
    "CheckInRefused",
    "contribution_create",
    "contribution_delete",
    "contribution_update",
    "initiative_create",
    "initiative_delete",
    "initiative_update",
    "key_result_check_in",
    "key_result_check_in_by_id",
    "key_result_create",
    "key_result_delete",
    "key_result_progress_preview",
    "key_result_update",
    "key_results_follow_kpis",
    "objective_approve",
    "objective_create",
    "objective_delete",
    "objective_request_changes",
    "objective_set_status",
    "objective_submit",
    "objective_update",
]
