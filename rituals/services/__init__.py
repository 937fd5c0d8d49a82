"""Every write of the quarter's rituals, by topic: grades (``grades``), retrospectives
(``retrospectives``), the close (``closing``), carry-over (``carry_over``), the coach's
dismissals (``coach``) and templates (``templates``).
The rows are objectives' (``objectives.models``); the hot path's writes are
``objectives.services``."""

from rituals.services.carry_over import objectives_carry_over
from rituals.services.closing import cycle_close
from rituals.services.coach import coach_dismiss, coach_dismissable, coach_dismissal_allowed, coach_undismiss
from rituals.services.grades import key_result_grade
from rituals.services.retrospectives import retrospective_review, retrospective_save
from rituals.services.templates import objective_create_from_template, okr_template_delete, okr_template_save

__all__ = [
    "coach_dismiss",
    "coach_dismissable",
    "coach_dismissal_allowed",
    "coach_undismiss",
    "cycle_close",
    "key_result_grade",
    "objective_create_from_template",
    "objectives_carry_over",
    "okr_template_delete",
    "okr_template_save",
    "retrospective_review",
    "retrospective_save",
]
