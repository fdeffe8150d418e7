"""Cookie consent on the public pages (REQ-42, REQ-43, REQ-44)."""

from __future__ import annotations

import pytest
from django.test import Client

from praksis.privacy import cookies
from praksis.privacy.models import CookieChoice


@pytest.fixture
def visitor():
    return Client()


def _banner(response) -> bool:
    return 'class="cookie-banner"' in response.content.decode()


def test_req42_nothing_but_necessary_cookies_before_a_choice(clinic, visitor):
    page = visitor.get(f"/{clinic.slug}/?lang=en")
    assert page.status_code == 200
    assert _banner(page)
    assert set(page.cookies) <= {"csrftoken"}  # strictly necessary only
    assert "<script" not in page.content.decode()  # no analytics, no pixels


def test_req43_rejecting_is_as_easy_as_accepting(clinic, visitor):
    page = visitor.get(f"/{clinic.slug}/?lang=en").content.decode()
    assert 'value="reject"' in page and 'value="accept"' in page  # one click each
    response = visitor.post(
        f"/{clinic.slug}/cookies", {"choice": "reject", "next": f"/{clinic.slug}/"}
    )
    assert response.status_code == 302 and response["Location"] == f"/{clinic.slug}/"
    choice = CookieChoice.objects.get()
    assert (choice.statistics, choice.marketing) == (False, False)
    assert choice.banner_version == cookies.BANNER_VERSION
    assert not _banner(visitor.get(f"/{clinic.slug}/"))
    assert set(visitor.cookies) == {"csrftoken", cookies.COOKIE_NAME}


def test_req44_granular_choice_is_logged_and_can_be_changed(clinic, visitor):
    visitor.get(f"/{clinic.slug}/")
    visitor.post(f"/{clinic.slug}/cookies", {"choice": "save", "statistics": "1"})
    visitor.post(f"/{clinic.slug}/cookies", {"choice": "reject"})  # the permanent link
    rows = list(
        CookieChoice.objects.order_by("pk").values_list("visitor_id", "statistics", "marketing")
    )
    assert [r[1:] for r in rows] == [(True, False), (False, False)]
    assert rows[0][0] == rows[1][0]  # the same (random) visitor, no other identifier
    settings_page = visitor.get(f"/{clinic.slug}/cookies?lang=en")
    assert settings_page.status_code == 200 and not _banner(settings_page)


def test_req44_a_new_banner_version_asks_again(clinic, visitor, monkeypatch):
    visitor.get(f"/{clinic.slug}/")
    visitor.post(f"/{clinic.slug}/cookies", {"choice": "accept"})
    assert not _banner(visitor.get(f"/{clinic.slug}/"))
    monkeypatch.setattr(cookies, "BANNER_VERSION", cookies.BANNER_VERSION + 1)
    assert _banner(visitor.get(f"/{clinic.slug}/"))


def test_a_forged_choice_cookie_or_foreign_redirect_is_ignored(clinic, visitor):
    visitor.cookies[cookies.COOKIE_NAME] = "1:11:<script>"
    assert _banner(visitor.get(f"/{clinic.slug}/"))
    response = visitor.post(
        f"/{clinic.slug}/cookies", {"choice": "reject", "next": "https://evil.example/"}
    )
    assert response["Location"] == f"/{clinic.slug}/"
