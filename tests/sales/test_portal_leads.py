"""Leads from a benefits portal (seed 001, REQ-11): kept only until the portal's invoice
has been checked; reconciling deletes the lead at once; clinic-scoped and logged."""

from __future__ import annotations

import pytest
from django.test import Client

from praksis.audit.models import AccessLogEntry
from praksis.sales.models import PortalLead

pytestmark = pytest.mark.django_db


def test_req11_a_lead_goes_when_the_portal_invoice_is_checked(make_clinic, make_staff):
    therapy = make_clinic("therapy")
    desk = Client(HTTP_ACCEPT_LANGUAGE="en")
    desk.force_login(make_staff(therapy, "receptionist", email="desk@example.com"))
    bad = desk.post("/staff/sales/leads/", {"portal": "", "name": "Ada Ek"})
    assert bad.status_code == 422 and b"Ada Ek" in bad.content  # kept, with the error
    desk.post("/staff/sales/leads/", {"portal": "Förmånsportalen", "name": "Ada Ek"})
    lead = PortalLead.objects.get(clinic=therapy)
    assert "Ada Ek" in desk.get("/staff/sales/leads/").content.decode()

    other = make_clinic("therapy", slug="annan-massage")
    outsider = Client()
    outsider.force_login(make_staff(other, "owner", email="boss@annan.test"))
    assert b"Ada Ek" not in outsider.get("/staff/sales/leads/").content
    gone = outsider.post("/staff/sales/leads/", {"action": "reconciled", "lead": lead.pk})
    assert gone.status_code == 404 and PortalLead.objects.filter(pk=lead.pk).exists()

    desk.post("/staff/sales/leads/", {"action": "reconciled", "lead": lead.pk})
    assert not PortalLead.objects.exists()
    assert AccessLogEntry.objects.filter(
        clinic=therapy, object_type="portal_lead", action="delete", purpose="retention"
    ).exists()
