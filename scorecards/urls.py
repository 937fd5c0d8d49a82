from django.urls import path

from scorecards.views import cascade, dashboard, scorecards, strategy_map

app_name = "scorecards"

# Mounted under /o/<slug>/ (see okrkpi/urls.py).
urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("forecast/predicted-to-miss/", dashboard.predicted_to_miss, name="predicted_to_miss"),
    path("okrs/cascade/", cascade.cascade_page, name="cascade"),
    path("okrs/<int:objective_id>/alignment/", cascade.alignment, name="alignment"),
    # Balanced scorecards and their strategy maps.
    path("scorecards/", scorecards.scorecard_list, name="scorecard_list"),
    path("scorecards/new/", scorecards.scorecard_create, name="scorecard_create"),
    path("scorecards/from-library/", scorecards.scorecard_from_library, name="scorecard_from_library"),
    path("scorecards/<int:scorecard_id>/", scorecards.scorecard_detail, name="scorecard"),
    path(
        "scorecards/<int:scorecard_id>/export.csv",
        scorecards.scorecard_export,
        {"fmt": "csv"},
        name="scorecard_export_csv",
    ),
    path(
        "scorecards/<int:scorecard_id>/export.xlsx",
        scorecards.scorecard_export,
        {"fmt": "xlsx"},
        name="scorecard_export_xlsx",
    ),
    path("scorecards/<int:scorecard_id>/edit/", scorecards.scorecard_edit, name="scorecard_edit"),
    path("scorecards/<int:scorecard_id>/items/", scorecards.scorecard_items, name="scorecard_items"),
    path("scorecards/<int:scorecard_id>/items/add/", scorecards.scorecard_item_add, name="scorecard_item_add"),
    path("scorecards/<int:scorecard_id>/items/move/", scorecards.scorecard_item_move, name="scorecard_item_move"),
    path("scorecards/<int:scorecard_id>/delete/", scorecards.scorecard_delete, name="scorecard_delete"),
    path("scorecards/<int:scorecard_id>/map/", strategy_map.strategy_map_page, name="scorecard_map"),
    path("scorecards/<int:scorecard_id>/links/", strategy_map.strategy_link_add, name="strategy_link_add"),
    path(
        "scorecards/<int:scorecard_id>/links/<int:link_id>/delete/",
        strategy_map.strategy_link_remove,
        name="strategy_link_remove",
    ),
]
