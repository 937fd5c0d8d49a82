"""The quarter's rituals' pages, mounted under /o/<slug>/. They keep their "objectives:"
names (``objectives:cycle_close``, ``objectives:quality``…): okrkpi/urls.py joins these
patterns to objectives' in that one namespace, so links and bookmarks stay as they were."""

from django.urls import path

from rituals.views import closing, quality, templates

urlpatterns = [
    # The end-of-cycle ritual (rituals/views/closing.py).
    path("cycles/<int:cycle_id>/close/", closing.cycle_close, name="cycle_close"),
    path("cycles/<int:cycle_id>/carry-over/", closing.carry_over, name="carry_over"),
    path("cycles/<int:cycle_id>/report/", closing.cycle_report, name="cycle_report"),
    path("cycles/<int:cycle_id>/export.csv", closing.cycle_export, {"fmt": "csv"}, name="cycle_export_csv"),
    path("cycles/<int:cycle_id>/export.xlsx", closing.cycle_export, {"fmt": "xlsx"}, name="cycle_export_xlsx"),
    path("cycles/<int:cycle_id>/grades/", closing.cycle_grades, name="cycle_grades"),
    path("key-results/<int:kr_id>/grade/", closing.key_result_grade, name="kr_grade"),
    path("okrs/<int:objective_id>/retrospective/", closing.retrospective_save, name="retrospective"),
    path(
        "okrs/<int:objective_id>/retrospective/review/",
        closing.retrospective_review,
        name="retrospective_review",
    ),
    path("okrs/backlog/", closing.backlog, name="backlog"),
    path("okrs/<int:objective_id>/plan/", closing.plan_objective, name="plan"),
    # Templates (rituals/views/templates.py).
    path("okrs/templates/", templates.template_library, name="templates"),
    path("okrs/templates/use/", templates.template_use, name="template_use"),
    path("okrs/templates/own/<int:template_id>/delete/", templates.template_delete, name="template_delete"),
    path("okrs/<int:objective_id>/save-as-template/", templates.template_save, name="template_save"),
    # The quality coach (rituals/views/quality.py).
    path("quality/", quality.quality_page, name="quality"),
    path("quality/check/", quality.coach_check, name="coach_check"),
    path("quality/dismiss/", quality.coach_dismiss, name="coach_dismiss"),
    path("quality/undismiss/", quality.coach_undismiss, name="coach_undismiss"),
    path("okrs/<int:objective_id>/coach/", quality.objective_coach, name="objective_coach"),
]
