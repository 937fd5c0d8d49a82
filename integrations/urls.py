"""The inbound endpoints (under /api/v1/integrations/, outside the organisation prefix:
the request's signature or token names the organisation), the pages, and the installed
app's manifest and service worker at the site's root."""

from django.urls import path

from integrations.views import email, offline, pages, pwa, settings, slack, teams

app_name = "integrations"

api_urlpatterns = [
    path("email/inbound/", email.email_inbound, name="email_inbound"),
    path("slack/interactions/", slack.interactions, name="slack_interactions"),
    path("slack/commands/", slack.commands, name="slack_commands"),
    path("teams/messages/", teams.messages, name="teams_messages"),
]

root_urlpatterns = [
    path("chat/link/<str:token>/", pages.link, name="link"),
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("sw.js", pwa.service_worker, name="service_worker"),
    path("offline/", pwa.offline, name="offline"),
    path("push/subscriptions/", pwa.push_subscription, name="push_subscription"),
]

# Under /o/<slug>/ (tenant-scoped by orgs.tenancy.org_view).
org_urlpatterns = [
    path("check-ins/offline/", offline.offline_check_ins, name="offline_check_ins"),
    path("settings/chat/", settings.chat_settings, name="chat"),
]
