"""Links in messages lead where the client can open them: to PRAKSIS_BASE_URL when it is
set, else to the address the server was reached on (host and port), never to a host that
ALLOWED_HOSTS refuses, and over HTTPS only when a trusted proxy says so."""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import random
import re
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import date
from urllib.parse import urlsplit

import pytest
from django.test import Client

from praksis.core.links import base_url
from praksis.messaging.models import OutboxMessage
from praksis.messaging.services import deliver_due
from praksis.people.identity import synthetic_se
from tests.conftest import next_local

LINK = re.compile(r"https?://\S+/booking/\S+/")


@pytest.fixture
def service(clinic, make_bookable):
    service, _staff = make_bookable(clinic)
    return service


def _payload(clinic, service, seed: int) -> dict:
    return {
        "service": service.pk,
        "start": next_local(clinic, days=3, hour=9 + seed).isoformat(),
        "first_name": "Greta",
        "last_name": "Wikander",
        "email": f"greta{seed}@example.com",
        "identity_number": synthetic_se(random.Random(seed), date(1984, 2, 29)),
        "accept_privacy_notice": True,
    }


def _book(clinic, service, seed: int = 1, **environ) -> str:
    """Book through the public API; the confirmation's manage link."""
    response = Client().post(
        f"/api/v1/public/{clinic.slug}/bookings",
        data=_payload(clinic, service, seed),
        content_type="application/json",
        **environ,
    )
    assert response.status_code == 201, response.content
    body = OutboxMessage.objects.get(to_address=f"greta{seed}@example.com").body
    return LINK.search(body).group(0)


def test_the_setting_wins_over_the_address_of_the_request(clinic, service, settings):
    settings.PRAKSIS_LINKS_FROM_REQUEST = False
    settings.PRAKSIS_BASE_URL = "https://praksis.example.org"
    link = _book(clinic, service, HTTP_HOST="clinic.example:9000")
    assert link.startswith(f"https://praksis.example.org/{clinic.slug}/booking/")


def test_without_the_setting_links_use_the_host_and_port_of_the_request(clinic, service, settings):
    assert settings.PRAKSIS_LINKS_FROM_REQUEST  # PRAKSIS_BASE_URL is not set in tests
    link = _book(clinic, service, HTTP_HOST="praksis.test:9000")
    assert link.startswith(f"http://praksis.test:9000/{clinic.slug}/booking/")


def test_https_is_believed_only_from_a_trusted_proxy(clinic, service, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.PRAKSIS_TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]
    proxied = {"HTTP_HOST": "praksis.test", "HTTP_X_FORWARDED_PROTO": "https"}
    trusted = _book(clinic, service, seed=1, REMOTE_ADDR="10.0.0.2", **proxied)
    assert trusted.startswith("https://praksis.test/")
    stranger = _book(clinic, service, seed=2, REMOTE_ADDR="203.0.113.9", **proxied)
    assert stranger.startswith("http://praksis.test/")


def test_a_host_that_allowed_hosts_refuses_is_never_linked_to(rf, settings):
    settings.ALLOWED_HOSTS = ["praksis.test"]
    assert base_url(rf.get("/", HTTP_HOST="praksis.test:8443")) == "http://praksis.test:8443"
    assert base_url(rf.get("/", HTTP_HOST="evil.example")) == settings.PRAKSIS_BASE_URL


def test_without_a_request_links_use_the_configured_default(settings):
    settings.PRAKSIS_BASE_URL = "http://127.0.0.1:9000"
    assert base_url() == "http://127.0.0.1:9000"


def _settings_with(**env) -> dict:
    """PRAKSIS_BASE_URL and PRAKSIS_LINKS_FROM_REQUEST as a fresh process reads them."""
    skip = ("PRAKSIS_BASE_URL", "PORT", "DATABASE_URL", "DEBUG")
    environ = {k: v for k, v in os.environ.items() if k not in skip}
    environ.update(env)
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps([settings.PRAKSIS_BASE_URL, settings.PRAKSIS_LINKS_FROM_REQUEST]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**environ, "DJANGO_SETTINGS_MODULE": "praksis.settings"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_default_follows_port_and_the_setting_is_taken_as_given(tmp_path):
    var = str(tmp_path)
    assert _settings_with(PRAKSIS_VAR_DIR=var, PORT="9000") == ["http://127.0.0.1:9000", True]
    assert _settings_with(PRAKSIS_VAR_DIR=var, PRAKSIS_BASE_URL="https://p.example/") == [
        "https://p.example",
        False,
    ]
    production = {
        "PRAKSIS_ENV": "production",
        "SECRET_KEY": "x" * 50,
        "PRAKSIS_KEY": base64.urlsafe_b64encode(b"k" * 32).decode(),
        "ALLOWED_HOSTS": "praksis.example.org,www.praksis.example.org",
        "PRAKSIS_VAR_DIR": var,
    }
    assert _settings_with(**production) == ["https://praksis.example.org", True]


def _opener():
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only


@pytest.mark.django_db(transaction=True)
def test_a_booking_on_a_live_server_links_to_that_servers_port(
    clinic, service, live_server, smtp_server
):
    """The confirmation e-mail's manage link points to the port the server runs on (not
    8000), and opening it from the e-mail shows the booking."""
    port = urlsplit(live_server.url).port
    assert port != 8000
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/public/{clinic.slug}/bookings",
        data=json.dumps(_payload(clinic, service, 1)).encode(),
        headers={"Content-Type": "application/json", "Accept-Language": "en"},
        method="POST",
    )
    with _opener().open(request, timeout=20) as response:
        assert response.status == 201
        reference = json.loads(response.read())["reference"]
    deliver_due()
    email = smtp_server.wait_for(1)[0]
    text = email.get_body(preferencelist=("plain",)).get_content()
    link = LINK.search(text).group(0)
    assert urlsplit(link).port == port
    assert link.startswith(f"{live_server.url}/{clinic.slug}/booking/")
    with _opener().open(link, timeout=20) as page:
        assert page.status == 200
        assert reference in page.read().decode()
