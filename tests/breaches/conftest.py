"""Fixtures for the breach register: an owner, a register of one breach, the SMTP server."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.smtp import smtp_server  # noqa: F401  (re-exported fixture)


@pytest.fixture
def breach(owner):
    from praksis.breaches.services import breach_register

    return breach_register(
        actor=owner,
        description="A practitioner's laptop was stolen from the car.",
        discovered_at=timezone.now() - timedelta(hours=2),
        nature="A laptop with copies of client records was stolen.",
        consequences="Someone could read your name, contact details and eye-exam results.",
        measures="We have blocked the laptop's access and reported the theft to the police.",
        contact_point="Anna Ek, owner, anna@test-optik.test, 040-123 45 67",
        risk="high",
    )
