"""The objective pages, by topic: the cycle's OKRs and the planning flow
(``objectives``), key results and check-ins (``key_results``), initiatives
(``initiatives``), and what they share (``_common``)."""

from objectives.access import can_check_in
from objectives.views._common import _detail_context
from objectives.views.approvals import objective_approve, objective_request_changes, objective_submit
from objectives.views.contributions import contribution_add, contribution_remove, objective_contributions
from objectives.views.initiatives import initiative_create, initiative_delete, initiative_edit
from objectives.views.key_results import (
    key_result_check_in,
    key_result_create,
    key_result_delete,
    key_result_edit,
    key_result_history,
    my_check_ins,
)
from objectives.views.objectives import (
    cycle_okrs,
    objective_create,
    objective_delete,
    objective_detail,
    objective_edit,
    objective_status,
)

__all__ = [
    "_detail_context",
    "can_check_in",
    "contribution_add",
    "contribution_remove",
    "cycle_okrs",
    "initiative_create",
    "initiative_delete",
    "initiative_edit",
    "key_result_check_in",
    "key_result_create",
    "key_result_delete",
    "key_result_edit",
    "key_result_history",
    "my_check_ins",
    "objective_approve",
    "objective_contributions",
    "objective_create",
    "objective_delete",
    "objective_detail",
    "objective_edit",
    "objective_request_changes",
    "objective_status",
    "objective_submit",
]
