from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from datasources import views as datasource_views
from identity import urls as identity_urls
from identity.forms import PasswordResetForm as IdentityPasswordResetForm
from identity.views import sessions as identity_sessions
from identity.views import sso as identity_sso
from integrations import urls as integration_urls
from notifications.views import unsubscribe
from objectives import urls as objectives_urls
from okrkpi.health import healthz
from orgs import views as org_views
from orgs.forms import AdminLoginForm
from rituals import urls as rituals_urls

# Everything under /o/<slug>/ is tenant-scoped by orgs.tenancy.org_view.
org_patterns = [
    path("", include("scorecards.urls")),
    path("", include("orgs.urls")),
    path("", include("cycles.urls")),
    # Objectives' pages and the rituals' share the "objectives:" names: one namespace, two rooms.
    path("", include((objectives_urls.urlpatterns + rituals_urls.urlpatterns, objectives_urls.app_name))),
    path("", include("conversations.urls")),
    path("", include("reminders.urls")),
    path("", include("kpis.urls")),
    path("", include("datasources.urls")),
    path("", include("notifications.urls")),
    path("", include("activity.urls")),
    path("", include("transfer.urls")),
    path("", include((identity_urls.org_urlpatterns, "identity_admin"))),
    path("", include((integration_urls.org_urlpatterns, "integrations_org"))),
]

urlpatterns = [
    path("", org_views.home, name="home"),
    # After login: the organisation's "To do" inbox when something is due, else its dashboard.
    path("start/", org_views.home, {"landing": "inbox:start"}, name="start"),
    path("healthz", healthz, name="healthz"),
    path(
        "accounts/login/",
        # Single sign-on aware (identity): e-mail first, SSO-only organisations refuse the password.
        identity_sso.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password-reset/",
        auth_views.PasswordResetView.as_view(
            form_class=IdentityPasswordResetForm, email_template_name="registration/password_reset_email.txt"
        ),
        name="password_reset",
    ),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        identity_sessions.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("accounts/password/", identity_sessions.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("accounts/profile/", org_views.profile, name="profile"),
    path("i18n/setlang/", org_views.set_language, name="set_language"),
    path("invitations/<str:token>/", org_views.invitation_accept, name="invitation_accept"),
    path("unsubscribe/<str:token>/", unsubscribe, name="unsubscribe"),
    path("", include((integration_urls.root_urlpatterns, "integrations"))),
    # Before the organisation's pages: its public single sign-on endpoints (identity.views.sso).
    path("", include(identity_urls)),
    path("o/<slug:slug>/", include(org_patterns)),
    path("api/v1/", include("okrkpi.api_urls")),
    # The demo organisations' finance sheet, which their demo data source pulls (datasources.demo).
    path("demo/data-sources/finance.csv", datasource_views.demo_sheet, name="demo-finance-sheet"),
] + ([path("admin/", admin.site.urls)] if settings.ADMIN_ENABLED else [])

# The admin's login counts failures with the app's login throttle.
admin.site.login_form = AdminLoginForm

# Under /api/ these answer JSON in the API's error format; elsewhere Django's own pages.
handler400 = "core.errors.bad_request"
handler403 = "core.errors.permission_denied"
handler404 = "core.errors.page_not_found"
handler500 = "core.errors.server_error"
