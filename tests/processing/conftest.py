"""Fixtures for the record of processing: the real SMTP server, and the demo clinics."""

from __future__ import annotations

import pytest

from tests.smtp import smtp_server  # noqa: F401  (re-exported fixture)


@pytest.fixture
def demo(settings, db):
    """The four demo clinics of PRODUCT.md, as ``seed-demo`` makes them (small)."""
    from praksis.site.demo import seed_demo

    settings.PRAKSIS_DEMO = True
    return {c.slug: c for c in seed_demo(persons_per_clinic=3)}
