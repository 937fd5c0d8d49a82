from django.urls import path, re_path

from identity import scim, scim_discovery
from identity.views import scim_tokens, sessions, settings_page, sso, two_factor

app_name = "identity"

# Outside the organisation prefix: the account's own pages, and the public single sign-on
# endpoints (identity.views.sso says why they are not members-only tenant pages).
urlpatterns = [
    path("accounts/sessions/", sessions.session_list, name="sessions"),
    path("accounts/sessions/<int:session_id>/end/", sessions.session_end_view, name="session_end"),
    path("accounts/sessions/end-all/", sessions.sessions_end_everywhere, name="sessions_end_all"),
    path("accounts/login/verify/", two_factor.login_verify, name="login_verify"),
    path("accounts/two-factor/", two_factor.two_factor, name="two_factor"),
    path("o/<slug:org_slug>/sso/login/", sso.sso_login, name="sso_login"),
    path("o/<slug:org_slug>/sso/callback/", sso.sso_callback, name="sso_callback"),
    # SCIM 2.0 (RFC 7644): the organisation's bearer token, not a session (identity.scim).
    re_path(r"^scim/v2/orgs/(?P<org_slug>[-\w]+)/Users/?$", scim.users, name="scim_users"),
    re_path(r"^scim/v2/orgs/(?P<org_slug>[-\w]+)/Users/(?P<user_id>[^/]+)/?$", scim.user_detail, name="scim_user"),
    re_path(r"^scim/v2/orgs/(?P<org_slug>[-\w]+)/Groups/?$", scim.groups, name="scim_groups"),
    re_path(r"^scim/v2/orgs/(?P<org_slug>[-\w]+)/Groups/(?P<group_id>[^/]+)/?$", scim.group_detail, name="scim_group"),
    re_path(
        r"^scim/v2/orgs/(?P<org_slug>[-\w]+)/ServiceProviderConfig/?$",
        scim_discovery.service_provider_config,
        name="scim_config",
    ),
    re_path(r"^scim/v2/orgs/(?P<org_slug>[-\w]+)/ResourceTypes/?$", scim_discovery.resource_types, name="scim_types"),
    re_path(
        r"^scim/v2/orgs/(?P<org_slug>[-\w]+)/ResourceTypes/(?P<name>[^/]+)/?$",
        scim_discovery.resource_types,
        name="scim_type",
    ),
    re_path(r"^scim/v2/orgs/(?P<org_slug>[-\w]+)/Schemas/?$", scim_discovery.schemas, name="scim_schemas"),
    re_path(
        r"^scim/v2/orgs/(?P<org_slug>[-\w]+)/Schemas/(?P<urn>[^/]+)/?$", scim_discovery.schemas, name="scim_schema"
    ),
]

# Mounted under /o/<slug>/ with the other tenant pages (members only).
org_urlpatterns = [
    path("members/<int:user_id>/sessions/end/", sessions.member_sessions_end, name="member_sessions_end"),
    path("settings/sso/", settings_page.sso_settings, name="sso_settings"),
    path("settings/scim/", scim_tokens.scim_token_list, name="scim_tokens"),
    path("settings/two-factor/", two_factor.two_factor_settings, name="two_factor_settings"),
    path("settings/scim/<int:token_id>/revoke/", scim_tokens.scim_token_revoke_view, name="scim_token_revoke"),
]
