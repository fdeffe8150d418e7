"""Real-browser fixtures: Debian's headless Chromium driven by Playwright (sync API).

Every page is watched for the things the product promises never happen: a request to a
host other than the live test server ("no third-party requests from any page"), a
Content-Security-Policy violation, a JavaScript error or a failed same-origin request.
Any of these fails the test that caused it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.oidc_provider import oidc_provider  # noqa: F401  (re-exported fixture)
from tests.smtp import smtp_server  # noqa: F401  (re-exported fixture)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # we run as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
# Schemes that never leave the browser.
INERT_SCHEMES = {"data", "blob", "about", "chrome", "chrome-error", "devtools"}
TIMEOUT_MS = 15_000


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash scripts/ensure_chromium.sh` (as root)")
    from playwright.sync_api import sync_playwright

    # From here until playwright.stop(), Playwright's sync API keeps an event loop marked
    # as running in this thread, so Django's async-unsafe guard would refuse every ORM
    # call -- in the browser tests and in any test collected after them. This is the
    # documented workaround for Playwright with pytest-django.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@dataclass
class PageProblems:
    """What a page did that it must not: collected while the test runs."""

    third_party: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)

    def report(self) -> str:
        lines = []
        for title, items in (
            ("third-party requests", self.third_party),
            ("console errors (CSP violations included)", self.console_errors),
            ("uncaught page errors", self.page_errors),
            ("failed requests", self.failed_requests),
        ):
            if items:
                lines.append(f"{title}:")
                lines.extend(f"  - {item}" for item in items)
        return "\n".join(lines)


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in INERT_SCHEMES or parts.hostname in LOCAL_HOSTS


@pytest.fixture
def page_problems() -> PageProblems:
    return PageProblems()


@pytest.fixture
def page(browser, live_server, page_problems, request, tmp_path):
    """A fresh browser context (Swedish locale, no cookies) on the live test server."""
    context = browser.new_context(
        base_url=live_server.url,
        locale="sv-SE",
        timezone_id="Europe/Stockholm",
        viewport={"width": 1280, "height": 800},
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)

    def guard(route):
        # Record and refuse anything leaving the machine: the test has no internet anyway,
        # and an aborted request cannot hang the page.
        url = route.request.url
        if _is_local(url):
            route.continue_()
        else:
            page_problems.third_party.append(f"{route.request.method} {url}")
            route.abort("blockedbyclient")

    def on_console(message):
        if message.type == "error":
            location = message.location or {}
            url = location.get("url", "")
            # A form answered with 409/422 (shown again with its errors) is by design;
            # Chromium logs it as a "failed" resource, sometimes late. Tests assert
            # the error messages on the page instead.
            if _is_local(url) and re.search(r"status of (409|422) ", message.text):
                return
            page_problems.console_errors.append(f"{message.text} ({url})")

    def on_request_failed(failed):
        if _is_local(failed.url) and failed.failure != "net::ERR_ABORTED":
            page_problems.failed_requests.append(f"{failed.method} {failed.url}: {failed.failure}")

    context.route("**/*", guard)
    page = context.new_page()
    page.on("console", on_console)
    page.on("pageerror", lambda error: page_problems.page_errors.append(str(error)))
    page.on("requestfailed", on_request_failed)
    try:
        yield page
        failed = getattr(request.node, "rep_call", None)
        if failed is not None and failed.failed:
            shot = tmp_path / "failure.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot of the failing page: {shot} ({page.url})")
    finally:
        context.close()
    problems = page_problems.report()
    if problems:
        pytest.fail(f"the browser saw what a Praksis page must never do:\n{problems}")


@pytest.fixture
def lund_optik(settings, live_server, tmp_path):
    """The real demo clinic Lund Optik, its links pointing at the live test server; the
    demo's own messages (its confirmations) went out before the test's client came."""
    from django.utils import timezone

    from praksis.messaging.models import OutboxMessage
    from praksis.site.demo import seed_demo

    settings.PRAKSIS_DEMO = True
    settings.PRAKSIS_BASE_URL = live_server.url
    settings.SMS_FILE_PATH = tmp_path / "sms"  # a cancellation also goes out by SMS
    clinics = seed_demo(persons_per_clinic=5)
    OutboxMessage.objects.filter(status="pending").update(status="sent", sent_at=timezone.now())
    return next(c for c in clinics if c.slug == "lund-optik")
