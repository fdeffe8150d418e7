"""Clinic set-up for bookings is the owner's: every endpoint and page answers a
practitioner and a receptionist 403, another clinic's owner 404 (for this clinic's
objects), and in each case nothing of the clinic's set-up changes. The owner gets on
(REQ-34: role-based access)."""

from __future__ import annotations

import pytest

from praksis.audit.models import AccessLogEntry
from praksis.booking import setup
from praksis.booking.models import Absence, ClosedDay, Practitioner, Service, WorkingHours
from praksis.clinics.models import Membership
from tests.booking.test_setup_services import signed_in

SERVICE = {"name": "Synundersökning", "duration_minutes": 30, "price": "500"}
WEEK = [{"weekday": 1, "start": "09:00", "end": "12:00"}]
ABSENCE = {"start": "2032-01-10T08:00", "end": "2032-01-12T17:00", "reason": "Kurs"}

# method, path, body, the owner's status
ENDPOINTS = [
    ("get", "services", None, 200),
    ("post", "services", SERVICE, 201),
    ("get", "services/{service}", None, 200),
    ("patch", "services/{service}", {"price": "550"}, 200),
    ("get", "staff/{member}/hours", None, 200),
    ("put", "staff/{member}/hours", WEEK, 200),
    ("get", "staff/{member}/absences", None, 200),
    ("post", "staff/{member}/absences", ABSENCE, 201),
    ("delete", "absences/{absence}", None, 204),
    ("get", "closing-days", None, 200),
    ("post", "closing-days", {"date": "2032-02-03"}, 201),
    ("delete", "closing-days/{closing_day}", None, 204),
    ("get", "closing-days/public-holidays", None, 200),
    ("post", "closing-days/public-holidays", {"all": True}, 201),
]
PAGES = [
    ("get", "services/", None),
    ("get", "services/new/", None),
    ("post", "services/new/", {**SERVICE, "vat_rate": "0.00", "active": "1"}),
    ("get", "services/{service}/", None),
    ("post", "services/{service}/", {**SERVICE, "vat_rate": "0.00", "active": "1"}),
    ("post", "services/{service}/deactivate/", {}),
    ("get", "staff/{member}/hours/", None),
    (
        "post",
        "staff/{member}/hours/",
        {"rows": "1", "row-0-weekday": "1", "row-0-start": "09:00", "row-0-end": "12:00"},
    ),
    ("post", "staff/{member}/absences/", ABSENCE),
    ("post", "absences/{absence}/delete/", {}),
    ("get", "closing-days/", None),
    ("post", "closing-days/", {"date": "2032-02-03"}),
    ("post", "closing-days/holidays/", {"all": "1"}),
    ("post", "closing-days/{closing_day}/delete/", {}),
]


@pytest.fixture
def set_up(clinic, owner, make_staff, make_bookable):
    """A clinic with a service, a member's hours, an absence and a closing day."""
    member = Membership.objects.get(clinic=clinic, user=make_staff(clinic, "practitioner"))
    service, _staff = make_bookable(clinic)
    setup.hours_replace(actor=owner, membership_id=member.pk, week=WEEK)
    absence, _affected = setup.absence_add(
        actor=owner, membership_id=member.pk, start="2032-03-01T08:00", end="2032-03-02T08:00"
    )
    closed, _affected = setup.closing_day_add(actor=owner, day="2032-04-01")
    ids = {
        "service": service.pk,
        "member": member.pk,
        "absence": absence.pk,
        "closing_day": closed.pk,
    }
    return clinic, ids


def _snapshot(clinic):
    return (
        list(
            Service.objects.filter(clinic=clinic)
            .order_by("pk")
            .values_list("pk", "name", "price", "active", "online_bookable")
        ),
        list(
            Service.practitioners.through.objects.filter(service__clinic=clinic)
            .order_by("pk")
            .values_list("service_id", "practitioner_id")
        ),
        list(Practitioner.objects.filter(clinic=clinic).order_by("pk").values_list("pk", "active")),
        list(
            WorkingHours.objects.filter(clinic=clinic)
            .order_by("pk")
            .values_list("pk", "weekday", "start", "end")
        ),
        list(
            Absence.objects.filter(clinic=clinic).order_by("pk").values_list("pk", "start", "end")
        ),
        list(
            ClosedDay.objects.filter(clinic=clinic)
            .order_by("pk")
            .values_list("pk", "date", "reason")
        ),
        AccessLogEntry.objects.filter(clinic=clinic, purpose=setup.PURPOSE).count(),
    )


def _path(template: str, ids: dict) -> str:
    return template.format(**ids)


@pytest.mark.parametrize(("method", "path", "body", "status"), ENDPOINTS)
def test_the_owner_sets_up(set_up, make_api, method, path, body, status):
    clinic, ids = set_up
    api = make_api(clinic, "owner")
    response = api.call(method, _path(path, ids), body)
    assert response.status_code == status, response.content


@pytest.mark.parametrize("role", ["practitioner", "receptionist"])
@pytest.mark.parametrize(("method", "path", "body", "status"), ENDPOINTS)
def test_other_roles_get_403_and_nothing_changes(
    set_up, make_api, role, method, path, body, status
):
    clinic, ids = set_up
    api = make_api(clinic, role)
    before = _snapshot(clinic)
    response = api.call(method, _path(path, ids), body)
    assert response.status_code == 403, response.content
    assert response.json()["detail"]
    assert _snapshot(clinic) == before


@pytest.mark.parametrize(("method", "path", "body", "status"), ENDPOINTS)
def test_another_clinics_owner_gets_404_and_nothing_changes(
    set_up, make_clinic, make_api, method, path, body, status
):
    clinic, ids = set_up
    api = make_api(make_clinic("other"), "owner", scopes="sensitive")
    before = _snapshot(clinic)
    response = api.call(method, _path(path, ids), body)
    if "{" in path:  # names this clinic's object
        assert response.status_code == 404, response.content
    else:  # acts on the caller's own clinic
        assert response.status_code == status, response.content
    assert _snapshot(clinic) == before


# --- Pages ------------------------------------------------------------------------------


def _page(ui, method, path, data, ids):
    url = "/staff/" + _path(path, ids)
    return ui.get(url) if method == "get" else ui.post(url, data)


@pytest.mark.parametrize(("method", "path", "data"), PAGES)
def test_the_owner_uses_every_page(set_up, method, path, data):
    clinic, ids = set_up
    owner = Membership.objects.get(clinic=clinic, role="owner").user
    response = _page(signed_in(owner, "sv"), method, path, data, ids)
    assert response.status_code == (200 if method == "get" else 302), response.content[:500]


@pytest.mark.parametrize("role", ["practitioner", "receptionist"])
@pytest.mark.parametrize(("method", "path", "data"), PAGES)
def test_other_roles_are_refused_every_page_and_nothing_changes(
    set_up, make_staff, role, method, path, data
):
    clinic, ids = set_up
    user = make_staff(clinic, role, email=f"{role}2@{clinic.slug}.test")
    before = _snapshot(clinic)
    response = _page(signed_in(user, "en"), method, path, data, ids)
    assert response.status_code == 403
    assert _snapshot(clinic) == before


@pytest.mark.parametrize(("method", "path", "data"), PAGES)
def test_another_clinics_owner_finds_no_page_of_this_clinic(
    set_up, make_clinic, make_staff, method, path, data
):
    clinic, ids = set_up
    outsider = make_staff(make_clinic("other"), "owner", email="owner@annan.test")
    before = _snapshot(clinic)
    response = _page(signed_in(outsider, "en"), method, path, data, ids)
    if "{" in path:
        assert response.status_code == 404
    assert _snapshot(clinic) == before
