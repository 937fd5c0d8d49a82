from django.urls import path

from scorecards import scorecard_views, views

app_name = "scorecards"

# Mounted under /o/<slug>/ (see okrkpi/urls.py).
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("okrs/cascade/", views.cascade_page, name="cascade"),
    path("okrs/<int:objective_id>/alignment/", views.alignment, name="alignment"),
    # Balanced scorecards and their strategy maps.
    path("scorecards/", scorecard_views.scorecard_list, name="scorecard_list"),
    path("scorecards/new/", scorecard_views.scorecard_create, name="scorecard_create"),
    path("scorecards/from-library/", scorecard_views.scorecard_from_library, name="scorecard_from_library"),
    path("scorecards/<int:scorecard_id>/", scorecard_views.scorecard_detail, name="scorecard"),
    path(
        "scorecards/<int:scorecard_id>/export.csv",
        scorecard_views.scorecard_export,
        {"fmt": "csv"},
        name="scorecard_export_csv",
    ),
    path(
        "scorecards/<int:scorecard_id>/export.xlsx",
        scorecard_views.scorecard_export,
        {"fmt": "xlsx"},
        name="scorecard_export_xlsx",
    ),
    path("scorecards/<int:scorecard_id>/edit/", scorecard_views.scorecard_edit, name="scorecard_edit"),
    path("scorecards/<int:scorecard_id>/items/", scorecard_views.scorecard_items, name="scorecard_items"),
    path("scorecards/<int:scorecard_id>/items/add/", scorecard_views.scorecard_item_add, name="scorecard_item_add"),
    path("scorecards/<int:scorecard_id>/items/move/", scorecard_views.scorecard_item_move, name="scorecard_item_move"),
    path("scorecards/<int:scorecard_id>/delete/", scorecard_views.scorecard_delete, name="scorecard_delete"),
    path("scorecards/<int:scorecard_id>/map/", scorecard_views.strategy_map_page, name="scorecard_map"),
    path("scorecards/<int:scorecard_id>/links/", scorecard_views.strategy_link_add, name="strategy_link_add"),
    path(
        "scorecards/<int:scorecard_id>/links/<int:link_id>/delete/",
        scorecard_views.strategy_link_remove,
        name="strategy_link_remove",
    ),
]
