from django.urls import path

from identity.views import sessions, settings_page, sso

app_name = "identity"

# Outside the organisation prefix: the account's own pages, and the public single sign-on
# endpoints (identity.views.sso says why they are not members-only tenant pages).
urlpatterns = [
    path("accounts/sessions/", sessions.session_list, name="sessions"),
    path("accounts/sessions/<int:session_id>/end/", sessions.session_end_view, name="session_end"),
    path("accounts/sessions/end-all/", sessions.sessions_end_everywhere, name="sessions_end_all"),
    path("o/<slug:org_slug>/sso/login/", sso.sso_login, name="sso_login"),
    path("o/<slug:org_slug>/sso/callback/", sso.sso_callback, name="sso_callback"),
]

# Mounted under /o/<slug>/ with the other tenant pages (members only).
org_urlpatterns = [
    path("members/<int:user_id>/sessions/end/", sessions.member_sessions_end, name="member_sessions_end"),
    path("settings/sso/", settings_page.sso_settings, name="sso_settings"),
]
