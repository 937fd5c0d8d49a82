from django.urls import path

from conversations import mention_views, views

app_name = "conversations"

# Mounted under /o/<slug>/.
urlpatterns = [
    path("okrs/<int:objective_id>/comments/", views.objective_comment, name="objective_comment"),
    path("check-ins/<int:check_in_id>/comments/", views.check_in_comment, name="check_in_comment"),
    path("check-ins/<int:check_in_id>/react/", views.check_in_react, name="check_in_react"),
    path("check-ins/<int:check_in_id>/acknowledge/", views.check_in_acknowledge, name="acknowledge"),
    path("comments/<int:comment_id>/edit/", views.comment_edit, name="comment_edit"),
    path("comments/<int:comment_id>/delete/", views.comment_delete, name="comment_delete"),
    path("comments/<int:comment_id>/react/", views.comment_react, name="comment_react"),
    path("people/mention/", mention_views.mention_people, name="mention_people"),
]
