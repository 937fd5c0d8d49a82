from django.urls import path

from objectives import views

app_name = "objectives"

# Mounted under /o/<slug>/, with the rituals' pages (rituals/urls.py) in the same
# "objectives:" namespace (okrkpi/urls.py joins them).
urlpatterns = [
    path("okrs/", views.cycle_okrs, name="cycle"),
    path("okrs/new/", views.objective_create, name="create"),
    path("okrs/<int:objective_id>/", views.objective_detail, name="detail"),
    path("okrs/<int:objective_id>/edit/", views.objective_edit, name="edit"),
    path("okrs/<int:objective_id>/status/", views.objective_status, name="status"),
    path("okrs/<int:objective_id>/delete/", views.objective_delete, name="delete"),
    path("okrs/<int:objective_id>/submit/", views.objective_submit, name="submit"),
    path("okrs/<int:objective_id>/approve/", views.objective_approve, name="approve"),
    path("okrs/<int:objective_id>/request-changes/", views.objective_request_changes, name="request_changes"),
    path("okrs/<int:objective_id>/key-results/", views.key_result_create, name="kr_create"),
    path("okrs/<int:objective_id>/initiatives/", views.initiative_create, name="initiative_create"),
    path("okrs/<int:objective_id>/contributions/", views.objective_contributions, name="contributions"),
    path("okrs/<int:objective_id>/contributions/add/", views.contribution_add, name="contribution_add"),
    path(
        "okrs/<int:objective_id>/contributions/<int:contribution_id>/remove/",
        views.contribution_remove,
        name="contribution_remove",
    ),
    path("key-results/<int:kr_id>/edit/", views.key_result_edit, name="kr_edit"),
    path("key-results/<int:kr_id>/delete/", views.key_result_delete, name="kr_delete"),
    path("key-results/<int:kr_id>/check-in/", views.key_result_check_in, name="check_in"),
    path("key-results/<int:kr_id>/history/", views.key_result_history, name="kr_history"),
    path("initiatives/<int:initiative_id>/edit/", views.initiative_edit, name="initiative_edit"),
    path("initiatives/<int:initiative_id>/delete/", views.initiative_delete, name="initiative_delete"),
    path("check-ins/", views.my_check_ins, name="my_check_ins"),
]
