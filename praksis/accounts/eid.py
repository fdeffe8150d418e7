"""Strong sign-in to the client's account: an eID through OpenID Connect (issue 15).

The authorisation code flow with PKCE (S256), as a confidential client:

1. :func:`eid_start` makes a one-time login (:class:`EidLogin`): a random ``state`` (the
   row is found by its hash), a ``nonce``, a PKCE verifier, and a secret of the browser
   (its cookie) so that only the browser that started it can finish it. The client is
   sent to the provider's authorisation endpoint (from its discovery document).
2. :func:`eid_finish` (the callback): the login must exist, be unused, young, and this
   browser's; the code is exchanged at the token endpoint with the verifier and the
   client's secret; the ID token's signature is checked against the issuer's keys (its
   JWKS), and its issuer, audience, expiry and nonce. The identity-number claim is
   matched to a person of the login's clinic by the keyed hash the people app keeps
   (``Person.objects.by_identity``): the number itself is never stored.
3. A session at the strong level opens (``signin.open_session``).

Keys and discovery are read over HTTPS from the issuer (HTTP on loopback only, for the
tests' local provider) and cached in the process; a token signed by a key not in the
set makes the set be read once more (the provider rotated its keys).
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import timedelta

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from praksis.accounts import signin
from praksis.accounts.models import EidLogin, Level
from praksis.core.crypto import sha256_hex
from praksis.core.errors import Conflict
from praksis.people.models import Person

LOGIN_MINUTES = 10
CACHE_SECONDS = 3600
TIMEOUT = 10
BROWSER_COOKIE = "praksis_eid"
ALGORITHMS = ["RS256", "ES256", "PS256"]
_cache: dict[str, tuple[float, object]] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Provider:
    issuer: str
    client_id: str
    client_secret: str
    identity_claim: str
    scopes: str


def provider() -> Provider | None:
    """The deployment's eID provider, or None when none is configured."""
    issuer = settings.PRAKSIS_OIDC_ISSUER
    if not (issuer and settings.PRAKSIS_OIDC_CLIENT_ID and settings.PRAKSIS_OIDC_CLIENT_SECRET):
        return None
    return Provider(
        issuer=issuer,
        client_id=settings.PRAKSIS_OIDC_CLIENT_ID,
        client_secret=settings.PRAKSIS_OIDC_CLIENT_SECRET,
        identity_claim=settings.PRAKSIS_OIDC_IDENTITY_CLAIM,
        scopes=settings.PRAKSIS_OIDC_SCOPES,
    )


def callback_url() -> str:
    """The one redirect URI of the deployment, as registered at the provider: from the
    configured base URL, never from the request's host."""
    return f"{settings.PRAKSIS_BASE_URL.rstrip('/')}/eid/callback/"


class EidFailed(Conflict):
    """The eID sign-in did not go through; the message is for the client (``clinic`` and
    ``language``: where and how to say it, once the login is known)."""

    clinic = None
    language = ""

    def __init__(self, message, *, code: str = "eid_failed"):
        super().__init__(message, code=code)
        self.lazy_message = message  # said later, in the client's language

    def said(self) -> str:
        return str(self.lazy_message)


def _failed(detail: str = "") -> EidFailed:
    return EidFailed(
        _("The sign-in with eID did not go through. Try again, or sign in with a code."),
        code=detail or "eid_failed",
    )


def _allowed_url(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    return parts.scheme == "https" or (parts.scheme == "http" and loopback)


def _get_json(url: str) -> dict:
    if not _allowed_url(url):
        raise _failed("insecure_url")
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 - checked
        return json.loads(response.read(1_000_000))


def _cached(key: str, load, *, fresh: bool = False):
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
    if hit is not None and not fresh and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    value = load()
    with _lock:
        _cache[key] = (now, value)
    return value


def metadata(issuer: str) -> dict:
    """The provider's discovery document; its issuer must be the one configured."""

    def load():
        found = _get_json(f"{issuer}/.well-known/openid-configuration")
        if found.get("issuer", "").rstrip("/") != issuer:
            raise _failed("issuer_mismatch")
        return found

    return _cached(f"meta:{issuer}", load)


def _keys(jwks_uri: str, *, fresh: bool = False) -> KeySet:
    return _cached(
        f"jwks:{jwks_uri}", lambda: KeySet.import_key_set(_get_json(jwks_uri)), fresh=fresh
    )


def eid_start(*, clinic, language: str) -> tuple[str, str]:
    """Begin a sign-in: returns the provider's authorisation URL and the browser's secret
    (to keep in a cookie until the callback)."""
    config = provider()
    if config is None:
        raise _failed("not_configured")
    meta = metadata(config.issuer)
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    verifier, browser = secrets.token_urlsafe(64), secrets.token_urlsafe(32)
    EidLogin.objects.create(
        clinic=clinic,
        state_hash=sha256_hex(state),
        browser_hash=sha256_hex(browser),
        nonce=nonce,
        verifier=verifier,
        language=language,
    )
    query = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": config.client_id,
            "redirect_uri": callback_url(),
            "scope": config.scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    endpoint = meta["authorization_endpoint"]
    if not _allowed_url(endpoint):
        raise _failed("insecure_url")
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}", browser


def _exchange(config: Provider, meta: dict, code: str, verifier: str) -> dict:
    endpoint = meta["token_endpoint"]
    if not _allowed_url(endpoint):
        raise _failed("insecure_url")
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": callback_url(),
        "code_verifier": verifier,
    }
    headers = {"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"}
    methods = meta.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    if "client_secret_basic" in methods:
        pair = f"{urllib.parse.quote(config.client_id)}:{urllib.parse.quote(config.client_secret)}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    else:
        form.update(client_id=config.client_id, client_secret=config.client_secret)
    request = urllib.request.Request(  # noqa: S310 - an https (or loopback) URL, checked
        endpoint, data=urllib.parse.urlencode(form).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            return json.loads(response.read(1_000_000))
    except (OSError, ValueError) as exc:
        raise _failed("token_request") from exc


def _id_claims(config: Provider, meta: dict, id_token: str, nonce: str) -> dict:
    """The ID token's claims, once its signature, issuer, audience, expiry and nonce are
    right (anything else: refused)."""
    try:
        try:
            token = jwt.decode(id_token, _keys(meta["jwks_uri"]), algorithms=ALGORITHMS)
        except JoseError:
            # Maybe the provider rotated its keys: read them once more.
            token = jwt.decode(id_token, _keys(meta["jwks_uri"], fresh=True), algorithms=ALGORITHMS)
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": config.issuer},
            aud={"essential": True, "value": config.client_id},
            nonce={"essential": True, "value": nonce},
            exp={"essential": True},
            sub={"essential": True},
            leeway=60,
        ).validate(token.claims)
    except (JoseError, ValueError) as exc:
        raise _failed("id_token") from exc
    claims = token.claims
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != config.client_id:
        raise _failed("id_token")
    return claims


def eid_finish(*, state: str, code: str, browser: str | None) -> tuple[object, str, str]:
    """The callback: returns the clinic, the new strong session's token and the language
    the client signed in with. Refuses (:class:`EidFailed`) a login that is unknown,
    used, old or another browser's, a failed token exchange, a token that does not
    verify, and an identity number on no one's record at the clinic."""
    config = provider()
    if config is None or not state:
        raise _failed()
    with transaction.atomic():
        login = (
            EidLogin.objects.select_for_update()
            .select_related("clinic")
            .filter(state_hash=sha256_hex(str(state)[:200]))
            .first()
        )
        if login is None:
            raise _failed("unknown_state")
        used = login.used_at is not None
        if not used:
            login.used_at = timezone.now()
            login.save(update_fields=["used_at"])
    try:
        if used:  # a callback comes once: a second one is a replay
            raise _failed("used")
        return _finish(config, login, code, browser)
    except EidFailed as exc:
        exc.clinic, exc.language = login.clinic, login.language  # where to say it
        raise


def _finish(config: Provider, login: EidLogin, code: str, browser: str | None):
    if not code:  # the client cancelled at the provider, or it refused
        raise _failed("denied")
    too_old = login.created_at < timezone.now() - timedelta(minutes=LOGIN_MINUTES)
    if too_old or not secrets.compare_digest(login.browser_hash, sha256_hex(browser or "")):
        raise _failed("browser")
    try:
        meta = metadata(config.issuer)
        tokens = _exchange(config, meta, str(code)[:2000], login.verifier)
        claims = _id_claims(config, meta, str(tokens.get("id_token", "")), login.nonce)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        # The provider unreachable, or answering something that is not OpenID Connect.
        raise _failed("provider") from exc
    number = str(claims.get(config.identity_claim, "")).strip()
    clinic = login.clinic
    matches = list(Person.objects.by_identity(clinic, number).values_list("pk", flat=True)[:2])
    if len(matches) != 1:
        raise EidFailed(
            _(
                "You signed in with your eID, but we have no record of you here. Contact "
                "the clinic if you are a client."
            ),
            code="no_record",
        )
    token = signin.open_session(clinic, matches[0], level=Level.STRONG, how="eID")
    return clinic, token, login.language
