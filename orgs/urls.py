from django.urls import path

from orgs import views

app_name = "orgs"

# Mounted under /o/<slug>/ (see okrkpi/urls.py).
urlpatterns = [
    path("teams/", views.team_tree, name="teams"),
    path("teams/new/", views.team_create, name="team_create"),
    path("teams/<int:team_id>/edit/", views.team_edit, name="team_edit"),
    path("teams/<int:team_id>/delete/", views.team_delete, name="team_delete"),
    path("members/", views.member_list, name="members"),
    path("members/invite/", views.invitation_create, name="invite"),
    path("members/<int:user_id>/", views.member_edit, name="member_edit"),
    path("members/<int:user_id>/remove/", views.member_remove, name="member_remove"),
    path("invitations/<int:invitation_id>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("settings/", views.org_settings, name="settings"),
]
