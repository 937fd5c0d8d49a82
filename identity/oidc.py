"""The OpenID Connect protocol, client side, for one organisation's provider at a time.

Authlib's OAuth 2.0 client builds the authorization request (code flow with PKCE, S256) and
exchanges the code; joserfc (Authlib's JOSE library) verifies the ID token: its signature
against the provider's JWKS, its issuer, audience, expiry and nonce. Discovery documents and
key sets are cached (``OIDC_CACHE_SECONDS``); a token signed with a key id the cached set does
not hold refreshes the set once, which is how a provider's key rotation is followed.

Issuers must be https. ``OIDC_ALLOW_HTTP_LOOPBACK`` (development and tests only) also allows
http on a loopback address (127.0.0.0/8, ::1, localhost)."""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from django.conf import settings
from django.core.cache import cache
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"]


class OidcError(Exception):
    """A refused step of the protocol; ``code`` names it for the message the person sees."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


def check_url(url: str) -> str:
    """``url`` when it is https (or http on loopback where the setting allows it); else
    ``OidcError("insecure_issuer")``."""
    parts = urlsplit(url or "")
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if getattr(settings, "OIDC_LOOPBACK_ONLY", False) and not loopback and parts.scheme in ("http", "https"):
        raise OidcError("unreachable", f"{url}: only loopback addresses are reached here (tests)")
    if parts.scheme == "https" and host:
        return url
    if parts.scheme == "http" and loopback and getattr(settings, "OIDC_ALLOW_HTTP_LOOPBACK", False):
        return url
    raise OidcError("insecure_issuer", url)


def _get_json(url: str) -> dict[str, Any]:
    try:
        response = requests.get(
            check_url(url),
            timeout=settings.OIDC_HTTP_TIMEOUT,
            allow_redirects=False,
            headers={"Accept": "application/json"},
        )
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise OidcError("unreachable", f"{url}: {exc}") from None
    if not isinstance(data, dict):
        raise OidcError("unreachable", f"{url}: not a JSON object")
    return data


def _key(kind: str, url: str) -> str:
    return f"identity:oidc:{kind}:{hashlib.sha256(url.encode()).hexdigest()}"


def discover(issuer: str, *, fresh: bool = False) -> dict[str, Any]:
    """The provider's discovery document, checked: it names the same issuer, and its
    endpoints are as secure as the issuer must be."""
    issuer = check_url(issuer).rstrip("/")
    key = _key("discovery", issuer)
    document = None if fresh else cache.get(key)
    if document is None:
        document = _get_json(f"{issuer}/.well-known/openid-configuration")
        if str(document.get("issuer", "")).rstrip("/") != issuer:
            raise OidcError("issuer_mismatch", str(document.get("issuer")))
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not document.get(name):
                raise OidcError("incomplete_discovery", name)
            check_url(str(document[name]))
        cache.set(key, document, settings.OIDC_CACHE_SECONDS)
    return document


def key_set(jwks_uri: str, *, refresh: bool = False) -> KeySet:
    key = _key("jwks", jwks_uri)
    data = None if refresh else cache.get(key)
    if data is None:
        data = _get_json(jwks_uri)
        cache.set(key, data, settings.OIDC_CACHE_SECONDS)
    try:
        return KeySet.import_key_set(data)  # type: ignore[arg-type]  # a JWKS document, checked by joserfc
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise OidcError("bad_jwks", str(exc)) from None


@dataclass(frozen=True)
class AuthRequest:
    url: str
    state: str
    nonce: str
    verifier: str


def authorization_request(*, discovery: dict[str, Any], client_id: str, redirect_uri: str) -> AuthRequest:
    """Where to send the browser: a code request with PKCE (S256), a fresh state and nonce."""
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
    client = OAuth2Session(
        client_id, redirect_uri=redirect_uri, scope="openid email profile", code_challenge_method="S256"
    )
    url, _state = client.create_authorization_url(
        discovery["authorization_endpoint"], state=state, code_verifier=verifier, nonce=nonce
    )
    return AuthRequest(url=url, state=state, nonce=nonce, verifier=verifier)


def exchange_code(
    *, discovery: dict[str, Any], client_id: str, client_secret: str, redirect_uri: str, code: str, verifier: str
) -> str:
    """The ID token the provider gives for ``code`` (with the PKCE verifier)."""
    client = OAuth2Session(client_id, client_secret, redirect_uri=redirect_uri, code_challenge_method="S256")
    try:
        token = client.fetch_token(
            discovery["token_endpoint"], code=code, code_verifier=verifier, timeout=settings.OIDC_HTTP_TIMEOUT
        )
    except (requests.RequestException, ValueError, AuthlibBaseError) as exc:
        raise OidcError("token_refused", str(exc)) from None
    id_token = token.get("id_token") if isinstance(token, dict) else None
    if not id_token:
        raise OidcError("no_id_token")
    return str(id_token)


def verify_id_token(
    *, id_token: str, discovery: dict[str, Any], client_id: str, nonce: str, now: float
) -> dict[str, Any]:
    """The ID token's claims, once its signature (against the JWKS, refreshed once for an
    unknown key id), issuer, audience, expiry and nonce all hold; ``OidcError`` otherwise."""
    jwks_uri = str(discovery["jwks_uri"])
    keys = key_set(jwks_uri)
    kid = _kid(id_token)
    if kid is not None and not any(k.kid == kid for k in keys.keys):
        keys = key_set(jwks_uri, refresh=True)
    try:
        token = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
    except (JoseError, ValueError) as exc:
        raise OidcError("bad_signature", str(exc)) from None
    claims = dict(token.claims)
    registry = jwt.JWTClaimsRegistry(
        now=int(now),
        leeway=60,
        iss={"essential": True, "value": str(discovery["issuer"])},
        aud={"essential": True, "value": client_id},
        exp={"essential": True},
        sub={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except JoseError as exc:
        raise OidcError(f"bad_{getattr(exc, 'claim', '') or 'claims'}", str(exc)) from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise OidcError("bad_aud", "several audiences and another authorised party")
    return claims


def _kid(id_token: str) -> str | None:
    from joserfc.jws import extract_compact

    try:
        header = extract_compact(id_token.encode()).protected
    except (JoseError, ValueError) as exc:
        raise OidcError("bad_token", str(exc)) from None
    kid = header.get("kid")
    return str(kid) if kid is not None else None
