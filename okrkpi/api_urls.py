"""/api/v1/: the schema, docs, token auth and every tenant resource under
/api/v1/orgs/<slug>/. Apps register their viewsets on ``router``."""

from django.urls import include, path, register_converter
from rest_framework.routers import SimpleRouter

from conversations.api import CommentViewSet, ReactionViewSet
from core.apidocs import DocsView, SchemaView
from core.ids import parse_id
from cycles.api import CycleViewSet
from datasources import api as datasource_api
from identity import api as identity_api
from integrations import urls as integration_urls
from kpis.api import KpiViewSet, MeasurementViewSet
from notifications.api import ChannelViewSet, DeliveryViewSet, NotificationViewSet
from objectives.api import (
    CheckInViewSet,
    ContributionViewSet,
    InitiativeViewSet,
    KeyResultViewSet,
    ObjectiveViewSet,
)
from objectives.api import forecasts as forecast_api
from orgs.api import MemberViewSet, TeamViewSet
from reminders.api import InboxView
from rituals import api as ritual_api
from scorecards.api.documents import CascadeView, DashboardView
from scorecards.api.scorecards import ScorecardViewSet
from scorecards.api.strategy_links import StrategyLinkViewSet
from transfer import api as transfer_api


class AnyIdConverter:
    """An object id in an API path. Any segment reaches the view, as with the router's
    lookups, so that an id that cannot exist gets the API's JSON 404 rather than the HTML
    one: a segment that is not a valid id becomes 0, which matches no row."""

    regex = "[^/]+"

    def to_python(self, value: str) -> int:
        return parse_id(value) or 0

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(AnyIdConverter, "id")

router = SimpleRouter()
router.register("teams", TeamViewSet, basename="team")
router.register("members", MemberViewSet, basename="member")
router.register("cycles", CycleViewSet, basename="cycle")
router.register("objectives", ObjectiveViewSet, basename="objective")
router.register("key-results", KeyResultViewSet, basename="key-result")
router.register("check-ins", CheckInViewSet, basename="check-in")
router.register("initiatives", InitiativeViewSet, basename="initiative")
router.register("contributions", ContributionViewSet, basename="contribution")
router.register("kpis", KpiViewSet, basename="kpi")
router.register("measurements", MeasurementViewSet, basename="measurement")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("scorecards", ScorecardViewSet, basename="scorecard")
router.register("strategy-links", StrategyLinkViewSet, basename="strategy-link")
router.register("comments", CommentViewSet, basename="comment")
router.register("reactions", ReactionViewSet, basename="reaction")
router.register("channels", ChannelViewSet, basename="channel")
router.register("deliveries", DeliveryViewSet, basename="delivery")
router.register("data-sources", datasource_api.DataSourceViewSet, basename="data-source")

urlpatterns = [
    path("schema/", SchemaView.as_view(), name="api-schema"),
    path("docs/", DocsView.as_view(url_name="api-schema"), name="api-docs"),
    # Logs the token's creation; refuses a password-made one where only single sign-on is allowed.
    path("auth/token/", identity_api.TokenView.as_view(), name="api-token"),
    path("integrations/sources/<str:token>/", datasource_api.SourceWebhookView.as_view(), name="api-source-webhook"),
    path("integrations/", include((integration_urls.api_urlpatterns, "integrations_api"))),
    path("orgs/<slug:slug>/cascade/", CascadeView.as_view(), name="api-cascade"),
    path("orgs/<slug:slug>/inbox/", InboxView.as_view(), name="api-inbox"),
    path("orgs/<slug:slug>/sso/", identity_api.SsoView.as_view(), name="api-sso"),
    # The quarter's ritual; before the router, whose detail routes would take "carry-over" for an id.
    path("orgs/<slug:slug>/quality/", ritual_api.QualityView.as_view(), name="api-quality"),
    path("orgs/<slug:slug>/quality/dismissals/", ritual_api.DismissalView.as_view(), name="api-quality-dismiss"),
    path(
        "orgs/<slug:slug>/quality/dismissals/undo/",
        ritual_api.DismissalUndoView.as_view(),
        name="api-quality-undismiss",
    ),
    path(
        "orgs/<slug:slug>/objectives/<id:objective_id>/quality/",
        ritual_api.ObjectiveQualityView.as_view(),
        name="api-objective-quality",
    ),
    path(
        "orgs/<slug:slug>/objectives/<id:objective_id>/retrospective/",
        ritual_api.RetrospectiveView.as_view(),
        name="api-retrospective",
    ),
    path(
        "orgs/<slug:slug>/objectives/<id:objective_id>/retrospective/review/",
        ritual_api.RetrospectiveReviewView.as_view(),
        name="api-retrospective-review",
    ),
    path("orgs/<slug:slug>/objectives/carry-over/", ritual_api.CarryOverView.as_view(), name="api-carry-over"),
    path(
        "orgs/<slug:slug>/key-results/<id:kr_id>/grade/", ritual_api.KeyResultGradeView.as_view(), name="api-kr-grade"
    ),
    path(
        "orgs/<slug:slug>/cycles/<id:cycle_id>/statistics/",
        ritual_api.CycleStatisticsView.as_view(),
        name="api-cycle-statistics",
    ),
    path("orgs/<slug:slug>/dashboard/", DashboardView.as_view(), name="api-dashboard"),
    path("orgs/<slug:slug>/forecast/", forecast_api.CycleForecastView.as_view(), name="api-forecast"),
    path(
        "orgs/<slug:slug>/key-results/<id:kr_id>/forecast/",
        forecast_api.KeyResultForecastView.as_view(),
        name="api-kr-forecast",
    ),
    path("orgs/<slug:slug>/export/", transfer_api.ExportView.as_view(), name="api-export"),
    path("orgs/<slug:slug>/imports/", transfer_api.ImportListView.as_view(), name="api-imports"),
    path("orgs/<slug:slug>/imports/<id:import_id>/", transfer_api.ImportDetailView.as_view(), name="api-import"),
    path(
        "orgs/<slug:slug>/imports/<id:import_id>/apply/",
        transfer_api.ImportApplyView.as_view(),
        name="api-import-apply",
    ),
    path("orgs/<slug:slug>/kpis/<id:kpi_id>/pull/", datasource_api.KpiPullView.as_view(), name="api-kpi-pull"),
    path(
        "orgs/<slug:slug>/data-sources/<id:source_id>/test/",
        datasource_api.SourceTestView.as_view(),
        name="api-data-source-test",
    ),
    path("orgs/<slug:slug>/", include(router.urls)),
]
