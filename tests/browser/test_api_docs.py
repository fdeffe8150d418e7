"""The browsable API documentation at /api/v1/docs works offline: Swagger UI comes from
the project's own static files, under the content security policy, with no request to a
CDN (the page fixture fails on any third-party request or CSP violation)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_list_the_operations_from_local_files(page, live_server):
    loaded: list[str] = []
    page.on("request", lambda request: loaded.append(request.url))
    response = page.goto("/api/v1/docs")
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]

    operations = page.locator("#swagger-ui .opblock")
    expect(operations.first).to_be_visible()
    assert operations.count() > 20
    expect(page.locator("#swagger-ui")).to_contain_text("/api/v1/persons")
    expect(page.locator("#swagger-ui")).to_contain_text("/api/v1/public/{clinic}/availability")

    scripts = [url for url in loaded if url.endswith(".js")]
    assert scripts and all(url.startswith(f"{live_server.url}/static/") for url in scripts)
