"""A small OpenID Connect provider for the tests, on 127.0.0.1 only: discovery, JWKS,
authorize (which answers at once with a code, as a provider would after its own login) and
token (which checks the client secret and the PKCE verifier). Knobs let a test forge what
it sends back: another signing key, audience, expiry, nonce, or claims."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_SECRET = "s3cret-of-the-client"  # noqa: S105 — the tests' own provider


@dataclass
class Provider:
    issuer: str = ""
    client_id: str = "okrkpi-test"
    now: float = 0.0  # the moment tokens are issued at (the tests' pinned clock)
    claims: dict[str, Any] = field(default_factory=dict)  # the person who "logs in"
    keys: list[RSAKey] = field(default_factory=list)  # published in the JWKS
    signing_key: RSAKey | None = None  # signs ID tokens (default: the first published key)
    overrides: dict[str, Any] = field(default_factory=dict)  # claims forced into the next tokens
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    jwks_fetches: int = 0
    token_requests: int = 0
    discovery_broken: bool = False
    last_id_token: str = ""

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    def id_token(self, nonce: str) -> str:
        key = self.signing_key or self.keys[0]
        claims = {
            "iss": self.issuer,
            "aud": self.client_id,
            "iat": int(self.now),
            "exp": int(self.now) + 300,
            "nonce": nonce,
            **self.claims,
            **self.overrides,
        }
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


def new_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid}, private=True)


def _handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _json(self, body: Any, status: int = 200) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            url = urlsplit(self.path)
            if url.path == "/.well-known/openid-configuration":
                if provider.discovery_broken:
                    return self._json({"error": "down"}, 500)
                return self._json(provider.discovery())
            if url.path == "/jwks":
                provider.jwks_fetches += 1
                return self._json({"keys": [k.as_dict(private=False) for k in provider.keys]})
            if url.path == "/authorize":
                q = {k: v[0] for k, v in parse_qs(url.query).items()}
                assert q["response_type"] == "code" and q["client_id"] == provider.client_id
                assert q["code_challenge_method"] == "S256" and q.get("code_challenge")
                code = secrets.token_urlsafe(16)
                provider.codes[code] = q
                self.send_response(302)
                self.send_header("Location", f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q['state']})}")
                self.end_headers()
                return None
            return self._json({"error": "not_found"}, 404)

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length", 0))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if urlsplit(self.path).path != "/token":
                return self._json({"error": "not_found"}, 404)
            provider.token_requests += 1
            auth = self.headers.get("Authorization", "")
            expected = base64.b64encode(f"{provider.client_id}:{CLIENT_SECRET}".encode()).decode()
            if auth != f"Basic {expected}":
                return self._json({"error": "invalid_client"}, 401)
            request = provider.codes.pop(form.get("code", ""), None)
            if request is None or form.get("redirect_uri") != request["redirect_uri"]:
                return self._json({"error": "invalid_grant"}, 400)
            verifier = form.get("code_verifier", "")
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if challenge != request["code_challenge"]:
                return self._json({"error": "invalid_grant", "error_description": "PKCE"}, 400)
            provider.last_id_token = provider.id_token(request["nonce"])
            return self._json(
                {"access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": provider.last_id_token}
            )

    return Handler


class Running:
    """The provider served on 127.0.0.1 until ``stop``."""

    def __init__(self, provider: Provider) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(provider))
        provider.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
