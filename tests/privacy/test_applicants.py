"""Job applicants (REQ-09): kept until the recruitment has closed plus the claims window,
longer only with the applicant's consent; registered and handled by the owner only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from praksis.audit.models import AccessLogEntry
from praksis.clinics.models import User
from praksis.privacy.models import Applicant
from praksis.privacy.requests import add_months
from praksis.privacy.retention import sweep_rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_ui(clinic, owner):
    ui = Client(HTTP_ACCEPT_LANGUAGE="en")
    ui.force_login(User.objects.get(pk=owner.user_id))
    return ui


def test_req09_applicants_are_kept_until_the_recruitment_closed_plus_the_window(clinic, owner_ui):
    """REQ-09: the clock starts when the recruitment closes; SE default two years."""
    bad = owner_ui.post("/staff/applicants/", {"name": "", "email": "nej", "position": "Optiker"})
    assert bad.status_code == 422 and b"Optiker" in bad.content  # kept, with the errors
    for name in ("Ada Ek", "Bo Ek"):
        owner_ui.post("/staff/applicants/", {"name": name, "email": "", "position": "Optiker"})
    assert Applicant.objects.filter(clinic=clinic, recruitment_closed_at=None).count() == 2
    owner_ui.post("/staff/applicants/", {"action": "close", "position": "Optiker"})
    ada, bo = Applicant.objects.order_by("name")
    assert ada.recruitment_closed_at is not None
    owner_ui.post("/staff/applicants/", {"action": "keep", "applicant": str(bo.pk)})
    bo.refresh_from_db()
    assert bo.keep_consent_at is not None
    page = owner_ui.get("/staff/applicants/").content.decode()
    today = timezone.localtime(timezone.now(), clinic.zone).date()
    assert add_months(today, 24).isoformat() in page
    # Two years and a day later Ada goes; Bo's window restarted with the consent.
    Applicant.objects.filter(pk=ada.pk).update(
        recruitment_closed_at=timezone.now() - timedelta(days=2 * 366)
    )
    assert sweep_rule("applicants") == 1
    assert list(Applicant.objects.values_list("name", flat=True)) == ["Bo Ek"]
    assert AccessLogEntry.objects.filter(clinic=clinic, object_type="applicant").exists()


def test_req09_only_the_owner_handles_applicants(clinic, other_clinic, make_staff, owner_ui):
    owner_ui.post("/staff/applicants/", {"name": "Ada Ek", "email": "", "position": "Optiker"})
    applicant = Applicant.objects.get()
    outsider = Client()
    outsider.force_login(make_staff(other_clinic, "owner", email="boss@annan.test"))
    assert b"Ada Ek" not in outsider.get("/staff/applicants/").content
    gone = outsider.post("/staff/applicants/", {"action": "delete", "applicant": str(applicant.pk)})
    assert gone.status_code == 404
    desk = Client()
    desk.force_login(make_staff(clinic, "receptionist", email="desk@example.com"))
    assert desk.get("/staff/applicants/").status_code == 403
    desk.post("/staff/applicants/", {"action": "delete", "applicant": str(applicant.pk)})
    assert Applicant.objects.filter(pk=applicant.pk).exists()
    owner_ui.post("/staff/applicants/", {"action": "delete", "applicant": str(applicant.pk)})
    assert not Applicant.objects.exists()
    assert (
        owner_ui.post("/staff/applicants/", {"action": "delete", "applicant": "x"}).status_code
        == 404
    )
