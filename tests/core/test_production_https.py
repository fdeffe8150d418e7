"""Production speaks HTTPS only: HTTP is redirected (but /healthz, which load balancers
probe over HTTP), HSTS tells browsers never to try HTTP again, cookies are Secure, and a
client cannot claim HTTPS with X-Forwarded-Proto unless it is a proxy we trust.
REQ-34 (Art. 32: encryption in transit).

Each case starts the real production settings in a fresh process (they are read once,
at start-up), with the secrets production insists on.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOST = "praksis.example.org"

_PROBE = """
import json
import sys
import django
django.setup()
from django.conf import settings
from django.test import Client

results = {}
for name, path, extra in [
    ("page_http", "/staff/login/", {}),
    ("page_https", "/staff/login/", {"secure": True}),
    ("healthz_http", "/healthz", {}),
    ("spoofed_proto", "/staff/login/", {"HTTP_X_FORWARDED_PROTO": "https"}),
    ("proxy_proto", "/staff/login/",
     {"HTTP_X_FORWARDED_PROTO": "https", "REMOTE_ADDR": "10.0.0.5"}),
]:
    response = Client(HTTP_HOST=sys.argv[1]).get(path, **extra)
    results[name] = {
        "status": response.status_code,
        "location": response.get("Location", ""),
        "hsts": response.get("Strict-Transport-Security", ""),
        "csrf_secure": bool(response.cookies.get("csrftoken")
                            and response.cookies["csrftoken"]["secure"]),
    }
results["settings"] = {
    "session_secure": settings.SESSION_COOKIE_SECURE,
    "csrf_secure": settings.CSRF_COOKIE_SECURE,
    "language_secure": settings.LANGUAGE_COOKIE_SECURE,
}
print(json.dumps(results))
"""


def _production(tmp_path, **extra) -> dict:
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEBUG")},
        "PRAKSIS_ENV": "production",
        "DJANGO_SETTINGS_MODULE": "praksis.settings",
        "SECRET_KEY": "production-test-" + "x" * 50,
        "PRAKSIS_KEY": base64.urlsafe_b64encode(b"p" * 32).decode(),
        "ALLOWED_HOSTS": HOST,
        "PRAKSIS_VAR_DIR": str(tmp_path),
        **extra,
    }
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, HOST],
        env=env, cwd=ROOT, check=True, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    return _production(tmp_path_factory.mktemp("production"))


def test_req34_http_is_redirected_to_https(production):
    page = production["page_http"]
    assert page["status"] == 301
    assert page["location"] == f"https://{HOST}/staff/login/"


def test_req34_healthz_answers_over_http_for_load_balancers(production):
    assert production["healthz_http"]["status"] == 200
    assert production["healthz_http"]["location"] == ""


def test_req34_https_pages_carry_hsts_and_secure_cookies(production):
    page = production["page_https"]
    assert page["status"] == 200
    assert page["hsts"] == "max-age=31536000; includeSubDomains"
    assert page["csrf_secure"] is True
    assert production["settings"] == {
        "session_secure": True,
        "csrf_secure": True,
        "language_secure": True,
    }


def test_req34_a_client_cannot_claim_https_with_a_header(production):
    """X-Forwarded-Proto from anyone but a trusted proxy is dropped: still redirected."""
    assert production["spoofed_proto"]["status"] == 301
    assert production["proxy_proto"]["status"] == 301  # no proxy is trusted by default


def test_req34_behind_a_trusted_proxy_its_forwarded_proto_is_believed(tmp_path):
    behind = _production(tmp_path, PRAKSIS_TRUSTED_PROXIES="10.0.0.0/24")
    assert behind["proxy_proto"]["status"] == 200
    assert behind["proxy_proto"]["hsts"].startswith("max-age=")
    assert behind["spoofed_proto"]["status"] == 301  # the client itself still cannot
    assert behind["page_http"]["status"] == 301


def test_req34_the_redirect_can_be_left_to_the_proxy(tmp_path):
    left = _production(tmp_path, PRAKSIS_SSL_REDIRECT="0")
    assert left["page_http"]["status"] == 200
