from django.urls import path

from objectives import closing_views, quality_views, template_views, views

app_name = "objectives"

# Mounted under /o/<slug>/.
urlpatterns = [
    path("okrs/", views.cycle_okrs, name="cycle"),
    path("okrs/new/", views.objective_create, name="create"),
    path("okrs/<int:objective_id>/", views.objective_detail, name="detail"),
    path("okrs/<int:objective_id>/edit/", views.objective_edit, name="edit"),
    path("okrs/<int:objective_id>/status/", views.objective_status, name="status"),
    path("okrs/<int:objective_id>/delete/", views.objective_delete, name="delete"),
    path("okrs/<int:objective_id>/key-results/", views.key_result_create, name="kr_create"),
    path("okrs/<int:objective_id>/initiatives/", views.initiative_create, name="initiative_create"),
    path("key-results/<int:kr_id>/edit/", views.key_result_edit, name="kr_edit"),
    path("key-results/<int:kr_id>/delete/", views.key_result_delete, name="kr_delete"),
    path("key-results/<int:kr_id>/check-in/", views.key_result_check_in, name="check_in"),
    path("key-results/<int:kr_id>/history/", views.key_result_history, name="kr_history"),
    path("initiatives/<int:initiative_id>/edit/", views.initiative_edit, name="initiative_edit"),
    path("initiatives/<int:initiative_id>/delete/", views.initiative_delete, name="initiative_delete"),
    path("check-ins/", views.my_check_ins, name="my_check_ins"),
    # The end-of-cycle ritual (objectives/closing_views.py).
    path("cycles/<int:cycle_id>/close/", closing_views.cycle_close, name="cycle_close"),
    path("cycles/<int:cycle_id>/carry-over/", closing_views.carry_over, name="carry_over"),
    path("cycles/<int:cycle_id>/report/", closing_views.cycle_report, name="cycle_report"),
    path("cycles/<int:cycle_id>/export.csv", closing_views.cycle_export, {"fmt": "csv"}, name="cycle_export_csv"),
    path("cycles/<int:cycle_id>/export.xlsx", closing_views.cycle_export, {"fmt": "xlsx"}, name="cycle_export_xlsx"),
    path("key-results/<int:kr_id>/grade/", closing_views.key_result_grade, name="kr_grade"),
    path("okrs/<int:objective_id>/retrospective/", closing_views.retrospective_save, name="retrospective"),
    path(
        "okrs/<int:objective_id>/retrospective/review/",
        closing_views.retrospective_review,
        name="retrospective_review",
    ),
    path("okrs/backlog/", closing_views.backlog, name="backlog"),
    path("okrs/<int:objective_id>/plan/", closing_views.plan_objective, name="plan"),
    # Templates (objectives/template_views.py).
    path("okrs/templates/", template_views.template_library, name="templates"),
    path("okrs/templates/use/", template_views.template_use, name="template_use"),
    path("okrs/templates/own/<int:template_id>/delete/", template_views.template_delete, name="template_delete"),
    path("okrs/<int:objective_id>/save-as-template/", template_views.template_save, name="template_save"),
    # The quality coach (objectives/quality_views.py).
    path("quality/", quality_views.quality_page, name="quality"),
    path("quality/check/", quality_views.coach_check, name="coach_check"),
    path("quality/dismiss/", quality_views.coach_dismiss, name="coach_dismiss"),
    path("quality/undismiss/", quality_views.coach_undismiss, name="coach_undismiss"),
    path("okrs/<int:objective_id>/coach/", quality_views.objective_coach, name="objective_coach"),
]
