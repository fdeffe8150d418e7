"""A local OpenID Connect provider for the tests: a real one, on loopback, speaking HTTP.

It serves discovery, its signing keys (JWKS), an authorisation endpoint and a token
endpoint, as an eID broker does, and checks what a provider must: the client and its
secret, the registered redirect URI, the PKCE verifier against the challenge (S256), and
that a code is used once and soon. Signing in at it is the test's choice of person (a
real eID would ask the human): ``provider.identity`` is the identity number the next ID
token carries. ``provider.tamper`` makes it issue a bad token on purpose (a bad
signature, a wrong nonce, a wrong audience) to prove the client refuses it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "praksis-test"
CLIENT_SECRET = "test-secret-" + "x" * 20
CLAIM = "pid"


class Provider:
    def __init__(self, redirect_uri):
        self._redirect_uri = redirect_uri  # the client's registered one (a callable: read late)
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-1", "use": "sig"})
        self.other_key = RSAKey.generate_key(2048, parameters={"kid": "test-1", "use": "sig"})
        self.identity = ""
        self.tamper = ""
        self.codes: dict[str, dict] = {}
        self.token_requests: list[dict] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def redirect_uri(self) -> str:
        return self._redirect_uri()

    def start(self) -> Provider:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- The endpoints ------------------------------------------------------------------

    def discovery(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        }

    def authorize(self, query: dict) -> tuple[int, dict]:
        """Check the request and sign the chosen person in; back to the client."""
        one = {k: v[0] for k, v in query.items()}
        if one.get("client_id") != CLIENT_ID or one.get("redirect_uri") != self.redirect_uri:
            return 400, {"error": "invalid_request"}
        if one.get("response_type") != "code" or one.get("code_challenge_method") != "S256":
            return 400, {"error": "invalid_request"}
        if not one.get("state") or not one.get("nonce") or not one.get("code_challenge"):
            return 400, {"error": "invalid_request"}
        code = secrets.token_urlsafe(24)
        self.codes[code] = {
            "challenge": one["code_challenge"],
            "nonce": one["nonce"],
            "identity": self.identity,
            "at": time.time(),
            "used": False,
        }
        where = (
            f"{self.redirect_uri}?{urllib.parse.urlencode({'code': code, 'state': one['state']})}"
        )
        return 302, {"Location": where}

    def token(self, headers, form: dict) -> tuple[int, dict]:
        self.token_requests.append(form)
        auth = headers.get("Authorization", "")
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if auth != f"Basic {expected}":
            return 401, {"error": "invalid_client"}
        grant = self.codes.get(form.get("code", ""))
        if form.get("grant_type") != "authorization_code" or grant is None:
            return 400, {"error": "invalid_grant"}
        if grant["used"] or time.time() - grant["at"] > 60:
            return 400, {"error": "invalid_grant"}
        grant["used"] = True
        if form.get("redirect_uri") != self.redirect_uri:
            return 400, {"error": "invalid_grant"}
        digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).decode().rstrip("=")
        if challenge != grant["challenge"]:
            return 400, {"error": "invalid_grant", "error_description": "PKCE"}
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": hashlib.sha256(grant["identity"].encode()).hexdigest()[:20],
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
            CLAIM: grant["identity"],
        }
        key = self.key
        if self.tamper == "signature":
            key = self.other_key  # the same key id, another key: the signature fails
        elif self.tamper == "nonce":
            claims["nonce"] = "not-the-nonce"
        elif self.tamper == "audience":
            claims["aud"] = "someone-else"
        id_token = jwt.encode({"alg": "RS256", "kid": "test-1"}, claims, key)
        return 200, {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                     "expires_in": 300, "id_token": id_token}  # fmt: skip

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _send(self, status: int, body: dict) -> None:
                if status == 302:
                    self.send_response(302)
                    self.send_header("Location", body["Location"])
                    self.end_headers()
                    return
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                parts = urllib.parse.urlsplit(self.path)
                if parts.path == "/.well-known/openid-configuration":
                    self._send(200, provider.discovery())
                elif parts.path == "/jwks":
                    self._send(200, {"keys": [provider.key.as_dict(private=False)]})
                elif parts.path == "/authorize":
                    self._send(*provider.authorize(urllib.parse.parse_qs(parts.query)))
                else:
                    self._send(404, {"error": "not_found"})

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                if urllib.parse.urlsplit(self.path).path == "/token":
                    self._send(*provider.token(self.headers, form))
                else:
                    self._send(404, {"error": "not_found"})

        return Handler


@pytest.fixture
def oidc_provider(settings):
    """The provider, running, and the deployment configured to use it."""
    from praksis.accounts import eid

    provider = Provider(eid.callback_url).start()  # the deployment's base URL, when asked
    settings.PRAKSIS_OIDC_ISSUER = provider.issuer
    settings.PRAKSIS_OIDC_CLIENT_ID = CLIENT_ID
    settings.PRAKSIS_OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.PRAKSIS_OIDC_IDENTITY_CLAIM = CLAIM
    eid._cache.clear()
    yield provider
    eid._cache.clear()
    provider.stop()
