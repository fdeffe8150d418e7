"""The person's access log on the staff page names the staff (REQ-23): by name, job title
and role in words — never by the e-mail address the log row keeps."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from praksis.audit.models import Action
from praksis.audit.services import Access, log_accesses
from tests.conftest import speaks

pytestmark = pytest.mark.django_db


def test_req23_the_staff_page_names_staff_by_name_title_and_role(
    clinic, owner, make_actor, make_person
):
    practitioner = make_actor(clinic, "practitioner")
    practitioner.user.title = "Leg. optiker"
    practitioner.user.save(update_fields=["title"])
    person = make_person(owner)
    log_accesses(
        practitioner,
        [Access(Action.READ, "journal_entry", 1, person_id=person.pk, purpose="care")] * 3,
    )
    client = Client()
    client.force_login(speaks(owner.user, "en"))
    page = client.get(reverse("staff:person-access-log", args=[person.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert practitioner.user.full_name in html and "Leg. optiker" in html
    assert "Practitioner" in html and "Journal entry" in html and "Care" in html
    assert practitioner.user.email not in html and owner.user.email not in html
    assert "journal_entry" not in html
