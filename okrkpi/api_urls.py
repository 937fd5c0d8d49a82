"""/api/v1/: the schema, docs, token auth and every tenant resource under
/api/v1/orgs/<slug>/. Apps register their viewsets on ``router``."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from conversations.api import CommentViewSet, ReactionViewSet
from cycles.api import CycleViewSet
from kpis.api import KpiViewSet, MeasurementViewSet
from notifications.api import ChannelViewSet, NotificationViewSet
from objectives.api import CheckInViewSet, InitiativeViewSet, KeyResultViewSet, ObjectiveViewSet
from okrkpi.core.apidocs import DocsView, SchemaView
from orgs.api import MemberViewSet, TeamViewSet, TokenView
from reminders.api import InboxView
from scorecards.api import CascadeView
from scorecards.scorecard_api import ScorecardViewSet, StrategyLinkViewSet

router = SimpleRouter()
router.register("teams", TeamViewSet, basename="team")
router.register("members", MemberViewSet, basename="member")
router.register("cycles", CycleViewSet, basename="cycle")
router.register("objectives", ObjectiveViewSet, basename="objective")
router.register("key-results", KeyResultViewSet, basename="key-result")
router.register("check-ins", CheckInViewSet, basename="check-in")
router.register("initiatives", InitiativeViewSet, basename="initiative")
router.register("kpis", KpiViewSet, basename="kpi")
router.register("measurements", MeasurementViewSet, basename="measurement")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("scorecards", ScorecardViewSet, basename="scorecard")
router.register("strategy-links", StrategyLinkViewSet, basename="strategy-link")
router.register("comments", CommentViewSet, basename="comment")
router.register("reactions", ReactionViewSet, basename="reaction")
router.register("channels", ChannelViewSet, basename="channel")

urlpatterns = [
    path("schema/", SchemaView.as_view(), name="api-schema"),
    path("docs/", DocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("orgs/<slug:slug>/cascade/", CascadeView.as_view(), name="api-cascade"),
    path("orgs/<slug:slug>/inbox/", InboxView.as_view(), name="api-inbox"),
    path("orgs/<slug:slug>/", include(router.urls)),
]
