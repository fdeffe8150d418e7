"""The breaches API: owner tokens only, each breach with its 72-hour deadline."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from praksis.breaches.models import Breach
from praksis.breaches.services import breach_add_update


def test_create_returns_the_deadline(clinic, make_api):
    """REQ-31: POST /breaches answers 201 with notify_authority_by = discovery + 72 h."""
    api = make_api(clinic, "owner")
    response = api.post(
        "breaches",
        {
            "description": "Journal printout left on the bus",
            "discovered_at": "2025-03-29T10:00:00+01:00",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    discovered = datetime.fromisoformat(body["discovered_at"])
    deadline = datetime.fromisoformat(body["notify_authority_by"])
    assert deadline - discovered == timedelta(hours=72)
    assert deadline == datetime.fromisoformat("2025-04-01T11:00:00+02:00")  # across DST
    assert body["authority"] == "Integritetsskyddsmyndigheten (IMY)"
    assert body["risk"] == "pending" and body["authority_notified_at"] is None
    assert body["overdue"] is True and body["updates"] == []
    assert Breach.objects.get(pk=body["id"]).clinic == clinic


def test_list_and_read_carry_the_deadline(clinic, owner, make_api):
    """REQ-31: GET /breaches and /breaches/{id} carry notify_authority_by and the phases."""
    api = make_api(clinic, "owner")
    created = api.post(
        "breaches", {"description": "Wrong recipient", "discovered_at": "2025-06-02T08:30"}
    ).json()
    breach_add_update(actor=owner, breach_id=created["id"], text="Recipient deleted the mail.")
    listing = api.get("breaches")
    assert listing.status_code == 200
    (item,) = listing.json()["items"]
    assert listing.json()["count"] == 1
    one = api.get(f"breaches/{created['id']}").json()
    for body in (item, one):
        assert body["id"] == created["id"]
        assert datetime.fromisoformat(body["notify_authority_by"]) == datetime.fromisoformat(
            "2025-06-05T08:30:00+02:00"
        )
        assert [u["text"] for u in body["updates"]] == ["Recipient deleted the mail."]


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({}, {"description", "discovered_at"}),
        ({"description": "x", "discovered_at": "not a time"}, {"discovered_at"}),
        ({"description": "x", "discovered_at": "2999-01-01T00:00:00Z"}, {"discovered_at"}),
        (
            {"description": "x", "discovered_at": "2025-01-01T00:00", "approx_persons": "many"},
            {"approx_persons"},
        ),
        (
            {"description": "x", "discovered_at": "2025-01-01T00:00", "risk": "none"},
            {"no_notification_reason"},
        ),
    ],
)
def test_bad_input_is_422_with_field_errors(clinic, make_api, payload, fields):
    """REQ-31: bad input answers 422 naming the fields, and registers nothing."""
    response = make_api(clinic, "owner").post("breaches", payload)
    assert response.status_code == 422
    assert set(response.json()["errors"]) == fields
    assert not Breach.objects.exists()


@pytest.mark.parametrize("role", ["practitioner", "receptionist"])
def test_other_roles_get_403(clinic, owner, breach, make_api, role):
    """REQ-31: only the owner's token reads or writes the register; nothing changes."""
    api = make_api(clinic, role)
    assert api.get("breaches").status_code == 403
    assert api.get(f"breaches/{breach.pk}").status_code == 403
    response = api.post("breaches", {"description": "x", "discovered_at": "2025-01-01T00:00"})
    assert response.status_code == 403
    assert Breach.objects.count() == 1


def test_another_clinic_sees_nothing(breach, other_clinic, make_api):
    """REQ-31: another clinic's owner gets 404 for the breach and an empty list."""
    api = make_api(other_clinic, "owner")
    assert api.get(f"breaches/{breach.pk}").status_code == 404
    assert api.get("breaches").json() == {"items": [], "count": 0}
    assert api.get("breaches/999999").status_code == 404


def test_no_token_is_401(db):
    """REQ-31: the register is never open without a token."""
    from tests.conftest import ApiClient

    assert ApiClient(None).get("breaches").status_code == 401
