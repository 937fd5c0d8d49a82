"""Single sign-on per organisation through a local OpenID Connect provider (DESIGN §3)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core.exceptions import ValidationError

from activity.models import ActivityEntry
from identity.models import OidcProvider, SsoIdentity
from orgs.models import LoginRule, Membership, User
from tests.identity.conftest import configure, sso_login
from tests.identity.provider import CLIENT_SECRET

pytestmark = pytest.mark.django_db

ALICE = {"sub": "alice-1", "email": "alice@alpha.test", "name": "Alice Nguyen", "groups": ["okr-managers"]}


def test_a_full_code_and_pkce_login_creates_the_account_and_membership(world_a, idp, client):
    configure(world_a.org, world_a.admin, idp)
    response = sso_login(client, "alpha", idp, claims=ALICE)
    assert response.status_code == 302 and response["Location"] == "/o/alpha/"
    alice = User.objects.get(email="alice@alpha.test")
    assert alice.name == "Alice Nguyen" and not alice.has_usable_password()
    assert Membership.objects.get(organization=world_a.org, user=alice).role == "manager"
    assert SsoIdentity.objects.filter(organization=world_a.org, user=alice, subject="alice-1").exists()
    assert client.get("/o/alpha/").status_code == 200
    assert idp.token_requests == 1
    entry = ActivityEntry.objects.get(organization=world_a.org, verb="security.login")
    assert entry.after["method"] == "sso" and entry.after["client_address"] == "127.0.0.1"


def test_the_authorization_request_carries_pkce_state_and_nonce(world_a, idp, client):
    configure(world_a.org, world_a.admin, idp)
    start = client.get("/o/alpha/sso/login/")
    query = parse_qs(urlsplit(start["Location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["state"][0] and query["nonce"][0] and query["scope"] == ["openid email profile"]
    assert query["redirect_uri"] == ["http://testserver/o/alpha/sso/callback/"]


def test_later_logins_follow_the_claims_role_and_name(world_a, idp, client):
    configure(world_a.org, world_a.admin, idp)
    sso_login(client, "alpha", idp, claims=ALICE)
    client.logout()
    sso_login(client, "alpha", idp, claims={**ALICE, "name": "Alice N.", "groups": ["okr-admins", "other"]})
    alice = User.objects.get(email="alice@alpha.test")
    assert alice.name == "Alice N." and Membership.objects.get(organization=world_a.org, user=alice).role == "admin"
    client.logout()
    sso_login(client, "alpha", idp, claims={**ALICE, "groups": []})
    assert Membership.objects.get(organization=world_a.org, user=alice).role == "member"  # the default role


def test_an_existing_member_is_found_by_email_then_by_subject(world_a, idp, client):
    configure(world_a.org, world_a.admin, idp)
    claims = {"sub": "m-7", "email": world_a.member.email, "groups": []}
    assert sso_login(client, "alpha", idp, claims=claims).status_code == 302
    assert SsoIdentity.objects.get(subject="m-7").user == world_a.member
    client.logout()
    # The provider renamed the address: the subject still names the same person.
    response = sso_login(client, "alpha", idp, claims={**claims, "email": "renamed@alpha.test"})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == world_a.member.pk


@pytest.mark.parametrize(
    ("override", "code"),
    [
        ({"aud": "someone-else"}, "bad_aud"),
        ({"exp": 1}, "bad_exp"),
        ({"iss": "https://evil.example"}, "bad_iss"),
        ({"nonce": "another-nonce"}, "bad_nonce"),
    ],
)
def test_a_forged_id_token_is_refused(override, code, world_a, idp, client):
    configure(world_a.org, world_a.admin, idp)
    idp.overrides = override
    response = sso_login(client, "alpha", idp, claims=ALICE)
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(email="alice@alpha.test").exists()
    failed = ActivityEntry.objects.get(organization=world_a.org, verb="security.sso_login_failed")
    assert failed.after["reason"] == code


def test_a_token_signed_with_another_key_is_refused(world_a, idp, rsa_keys, client):
    configure(world_a.org, world_a.admin, idp)
    idp.signing_key = rsa_keys["forger"]  # same key id as the published key, not its private half
    response = sso_login(client, "alpha", idp, claims=ALICE)
    assert response.status_code == 400 and "_auth_user_id" not in client.session
    assert ActivityEntry.objects.get(verb="security.sso_login_failed").after["reason"] == "bad_signature"


def test_a_replayed_callback_is_refused(world_a, idp, client):
    configure(world_a.org, world_a.admin, idp)
    idp.claims = ALICE
    start = client.get("/o/alpha/sso/login/")
    answer = requests.get(start["Location"], allow_redirects=False, timeout=5)
    callback = urlsplit(answer.headers["Location"])
    assert client.get(f"{callback.path}?{callback.query}").status_code == 302
    client.logout()
    again = client.get(f"{callback.path}?{callback.query}")
    assert again.status_code == 400 and "_auth_user_id" not in client.session


def test_a_replayed_nonce_is_refused(world_a, idp, client):
    """The provider hands back an ID token whose nonce already opened a session."""
    configure(world_a.org, world_a.admin, idp)
    sso_login(client, "alpha", idp, claims=ALICE)
    first_nonce = _claims(idp.last_id_token)["nonce"]
    client.logout()
    start = client.get("/o/alpha/sso/login/")
    # This browser's flow now carries the used nonce (an attacker replaying a captured login).
    pending = client.session["okrkpi_oidc_pending"]
    session = client.session
    session["okrkpi_oidc_pending"] = {**pending, "nonce": first_nonce}
    session.save()
    idp.overrides = {"nonce": first_nonce}
    answer = requests.get(start["Location"], allow_redirects=False, timeout=5)
    callback = urlsplit(answer.headers["Location"])
    response = client.get(f"{callback.path}?{callback.query}")
    assert response.status_code == 400 and "_auth_user_id" not in client.session
    assert ActivityEntry.objects.filter(verb="security.sso_login_failed").last().after["reason"] == "replayed"


def _claims(token: str) -> dict:
    import base64
    import json

    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_a_wrong_state_is_refused(world_a, idp, client):
    configure(world_a.org, world_a.admin, idp)
    start = client.get("/o/alpha/sso/login/")
    answer = requests.get(start["Location"], allow_redirects=False, timeout=5)
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    response = client.get("/o/alpha/sso/callback/", {"code": query["code"][0], "state": "forged"})
    assert response.status_code == 400 and b"already used or has expired" in response.content
    assert idp.token_requests == 0 and "_auth_user_id" not in client.session


def test_an_unknown_key_id_refreshes_the_key_set_once(world_a, idp, rsa_keys, client):
    configure(world_a.org, world_a.admin, idp)
    assert sso_login(client, "alpha", idp, claims=ALICE).status_code == 302
    fetches = idp.jwks_fetches
    client.logout()
    # The provider rotates to a new key: the cached set does not hold it, one refresh does.
    idp.keys = [rsa_keys["k2"], rsa_keys["k1"]]
    assert sso_login(client, "alpha", idp, claims=ALICE).status_code == 302
    assert idp.jwks_fetches == fetches + 1
    client.logout()
    assert sso_login(client, "alpha", idp, claims=ALICE).status_code == 302
    assert idp.jwks_fetches == fetches + 1  # cached again
    # A key id the provider never published: one refresh, then refused (no loop).
    idp.signing_key = rsa_keys["k3"]
    client.logout()
    assert sso_login(client, "alpha", idp, claims=ALICE).status_code == 400
    assert idp.jwks_fetches == fetches + 2


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"sub": "x", "email": None}, "no_email"),
        ({"sub": "x", "email": "eve@elsewhere.test"}, "domain_not_allowed"),
        ({"sub": "x", "email": "eve@alpha.test", "email_verified": False}, "email_unverified"),
    ],
)
def test_claims_that_cannot_make_a_member_are_refused(claims, reason, world_a, idp, client):
    configure(world_a.org, world_a.admin, idp)
    before = Membership.objects.count()
    response = sso_login(client, "alpha", idp, claims=claims)
    assert response.status_code == 400 and "_auth_user_id" not in client.session
    assert Membership.objects.count() == before
    assert ActivityEntry.objects.get(verb="security.sso_login_failed").after["reason"] == reason


# --- A's provider never reaches B -----------------------------------------------------------------


def test_a_session_from_as_provider_opens_a_only(world_a, world_b, idp, client, password):
    """A person in both organisations logs in through A's provider: B asks for its own rule
    (a password here), and only then opens."""
    Membership.objects.create(organization=world_b.org, user=world_a.member, role="member")
    configure(world_a.org, world_a.admin, idp)
    sso_login(client, "alpha", idp, claims={"sub": "m", "email": world_a.member.email})
    assert client.get("/o/alpha/").status_code == 200
    refused = client.get("/o/beta/")
    assert refused.status_code == 302 and refused["Location"].startswith("/accounts/login/?next=")
    assert client.get("/api/v1/orgs/beta/cycles/").status_code == 403
    assert client.get("/api/v1/orgs/alpha/cycles/").status_code == 200
    # B's rule satisfied (its password login): both open.
    client.post("/accounts/login/", {"username": world_a.member.email, "password": password})
    assert client.get("/o/beta/").status_code == 200 and client.get("/o/alpha/").status_code == 200


def test_as_provider_cannot_log_into_bs_single_sign_on(world_a, world_b, idp, idp_b, client):
    Membership.objects.create(organization=world_b.org, user=world_a.member, role="member")
    configure(world_a.org, world_a.admin, idp)
    configure(world_b.org, world_b.admin, idp_b, sso_only=True)
    sso_login(client, "alpha", idp, claims={"sub": "m", "email": world_a.member.email})
    refused = client.get("/o/beta/okrs/")
    assert refused.status_code == 302 and refused["Location"].startswith("/o/beta/sso/login/")
    # B's callback refuses a flow that A's login started (another organisation's state).
    start = client.get("/o/alpha/sso/login/")
    answer = requests.get(start["Location"], allow_redirects=False, timeout=5)
    query = urlsplit(answer.headers["Location"]).query
    assert client.get(f"/o/beta/sso/callback/?{query}").status_code == 400
    assert client.get("/o/beta/").status_code == 302
    # B's own provider vouches for B (its domain is B's own: a member of B with that address).
    Membership.objects.create(organization=world_b.org, user=User.objects.create_user("m@beta.test"), role="member")
    response = sso_login(client, "beta", idp_b, claims={"sub": "mb", "email": "m@beta.test"})
    assert response.status_code == 302


def test_an_email_of_bs_domain_through_as_provider_is_refused(world_a, world_b, idp, client):
    configure(world_a.org, world_a.admin, idp)
    response = sso_login(client, "alpha", idp, claims={"sub": "b", "email": world_b.admin.email})
    assert response.status_code == 400 and "_auth_user_id" not in client.session
    assert not Membership.objects.filter(organization=world_a.org, user=world_b.admin).exists()


# --- single sign-on only ---------------------------------------------------------------------


def test_sso_only_refuses_the_password_the_reset_and_password_tokens(world_a, idp, client, password, api, mailoutbox):
    token_client = api(world_a.member)  # a token taken before the switch
    configure(world_a.org, world_a.admin, idp, sso_only=True)
    assert OidcProvider.objects.get().sso_only and world_a.org.__class__.objects.get().login_rule == LoginRule.SSO_ONLY
    r = client.post("/accounts/login/", {"username": world_a.member.email, "password": password})
    assert r.status_code == 200 and b"single sign-on only" in r.content and "_auth_user_id" not in client.session
    client.post("/accounts/password-reset/", {"email": world_a.member.email})
    assert mailoutbox == []
    r = client.post("/api/v1/auth/token/", {"email": world_a.member.email, "password": password})
    assert r.status_code == 403
    assert token_client.get("/api/v1/orgs/alpha/cycles/").status_code == 403
    # Single sign-on still opens it.
    assert sso_login(client, "alpha", idp, claims={"sub": "m", "email": world_a.member.email}).status_code == 302
    assert client.get("/o/alpha/").status_code == 200


def test_an_existing_password_session_stops_at_sso_only(world_a, idp, client, password):
    client.post("/accounts/login/", {"username": world_a.member.email, "password": password})
    assert client.get("/o/alpha/").status_code == 200
    configure(world_a.org, world_a.admin, idp, sso_only=True)
    assert client.get("/o/alpha/")["Location"].startswith("/o/alpha/sso/login/")


# --- the login page, e-mail first ------------------------------------------------------------


def test_an_email_of_an_sso_domain_without_password_goes_to_its_provider(world_a, world_b, idp, client):
    configure(world_a.org, world_a.admin, idp)
    r = client.post("/accounts/login/", {"username": "new.person@ALPHA.test", "password": ""})
    assert r.status_code == 200 and b'href="/o/alpha/sso/login/"' in r.content
    r = client.post("/accounts/login/", {"username": world_b.member.email, "password": ""})
    assert r.status_code == 200 and b"Enter your password" in r.content and b"sso/login" not in r.content


# --- bad settings ----------------------------------------------------------------------------


def test_an_issuer_that_is_not_https_is_refused(world_a, settings):
    settings.OIDC_ALLOW_HTTP_LOOPBACK = False
    with pytest.raises(ValidationError) as exc:
        configure_plain(world_a, "http://127.0.0.1:9/")
    assert "https" in str(exc.value.message_dict["issuer"])
    settings.OIDC_ALLOW_HTTP_LOOPBACK = True
    settings.OIDC_LOOPBACK_ONLY = False  # refused before any request is sent
    with pytest.raises(ValidationError) as exc:
        configure_plain(world_a, "http://login.example.com/")  # not loopback: never http
    assert "https" in str(exc.value.message_dict["issuer"])
    assert not OidcProvider.objects.exists()


def test_an_issuer_whose_discovery_fails_is_refused(world_a, idp):
    idp.discovery_broken = True
    with pytest.raises(ValidationError) as exc:
        configure(world_a.org, world_a.admin, idp)
    assert "discovery" in str(exc.value.message_dict["issuer"])
    assert not OidcProvider.objects.exists()


def test_a_domain_claimed_by_another_organisation_is_refused(world_a, world_b, idp, idp_b):
    configure(world_a.org, world_a.admin, idp)
    with pytest.raises(ValidationError) as exc:
        configure(world_b.org, world_b.admin, idp_b, domains=["alpha.test"])
    assert "alpha.test" in str(exc.value.message_dict["domains"])


def test_the_client_secret_is_stored_encrypted(world_a, idp):
    provider = configure(world_a.org, world_a.admin, idp)
    assert CLIENT_SECRET not in provider.client_secret_encrypted
    entry = ActivityEntry.objects.get(verb="security.sso_changed")
    assert CLIENT_SECRET not in str(entry.after)


def configure_plain(world, issuer):
    from identity.services.sso import sso_configure

    return sso_configure(
        org=world.org,
        actor=world.admin,
        request=None,
        issuer=issuer,
        client_id="c",
        client_secret="s",
        domains=["alpha.test"],
        role_mapping={},
    )
