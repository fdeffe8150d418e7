"""Persons affected: found from the access log, told in plain language, or exempted."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone, translation

from praksis.audit.models import AccessLogEntry
from praksis.breaches.models import AffectedPerson
from praksis.breaches.services import (
    affected_exempt,
    affected_from_access_log,
    affected_list,
    affected_notify,
    breach_edit,
    breach_register,
)
from praksis.core.errors import ValidationFailed
from praksis.messaging.models import OutboxMessage
from praksis.messaging.services import deliver_due
from praksis.people.selectors import person_get


@pytest.fixture
def opened(clinic, other_clinic, make_actor, owner, make_person):
    """Practitioner X opens some records before, inside and after a window; Y opens one
    inside it; a member of another clinic opens a record of that clinic inside it."""
    x = make_actor(clinic, "practitioner")
    y = make_actor(clinic, "receptionist")
    stranger = make_actor(other_clinic, "owner")
    people = {
        name: make_person(owner, first_name=name, last_name="Berg", email=f"{name}@example.com")
        for name in ("Before", "Anna", "Bo", "Yngve", "After")
    }
    people["Cecilia"] = make_person(
        owner, first_name="Cecilia", last_name="Berg", phone="0701740642"
    )
    elsewhere = make_person(stranger, first_name="Else", last_name="Where", email="e@example.com")

    person_get(actor=x, person_id=people["Before"].pk)
    start = timezone.now()
    for name in ("Anna", "Bo", "Cecilia", "Anna"):
        person_get(actor=x, person_id=people[name].pk)
    person_get(actor=y, person_id=people["Yngve"].pk)
    person_get(actor=stranger, person_id=elsewhere.pk)
    end = timezone.now()
    person_get(actor=x, person_id=people["After"].pk)
    return x, y, people, start, end, elsewhere


def test_affected_persons_come_from_the_access_log(owner, breach, opened):
    """REQ-32: everyone user X opened in the window, in this clinic only, once each."""
    x, _y, people, start, end, elsewhere = opened
    added = affected_from_access_log(
        actor=owner, breach_id=breach.pk, user_id=x.user.pk, start=start, end=end
    )
    names = sorted(a.person.first_name for a in added)
    assert names == ["Anna", "Bo", "Cecilia"]
    # Running it again adds nobody twice.
    assert (
        affected_from_access_log(
            actor=owner, breach_id=breach.pk, user_id=x.user.pk, start=start, end=end
        )
        == []
    )
    assert AffectedPerson.objects.filter(breach=breach).count() == 3
    assert not AffectedPerson.objects.filter(person=elsewhere).exists()
    # The search of the log and each person added are logged.
    log = AccessLogEntry.objects.filter(clinic=owner.clinic, user_id=owner.user.pk)
    assert log.filter(action="search", object_type="access_log").count() == 2
    assert set(
        log.filter(object_type="breach_affected", action="create").values_list(
            "person_id", flat=True
        )
    ) == {people[n].pk for n in ("Anna", "Bo", "Cecilia")}


def test_action_filter_and_bad_input(owner, breach, opened):
    """REQ-32: the search can be narrowed to one action; bad input is refused field by field."""
    x, _y, _people, start, end, _elsewhere = opened
    assert (
        affected_from_access_log(
            actor=owner,
            breach_id=breach.pk,
            user_id=x.user.pk,
            start=start,
            end=end,
            action="export",
        )
        == []
    )
    with pytest.raises(ValidationFailed) as refused:
        affected_from_access_log(
            actor=owner, breach_id=breach.pk, user_id="999999", start=end, end=start
        )
    assert set(refused.value.errors) == {"user", "end"}
    assert not AffectedPerson.objects.exists()


def test_reading_the_list_is_logged(owner, breach, opened):
    """REQ-32: who is affected is personal data; each read of the list is logged per person."""
    x, _y, _people, start, end, _elsewhere = opened
    affected_from_access_log(
        actor=owner, breach_id=breach.pk, user_id=x.user.pk, start=start, end=end
    )
    before = AccessLogEntry.objects.count()
    rows = affected_list(actor=owner, breach_id=breach.pk)
    assert len(rows) == 3
    new = AccessLogEntry.objects.order_by("-seq")[: AccessLogEntry.objects.count() - before]
    assert {(e.action, e.object_type) for e in new} == {("read", "breach_affected")}
    assert {e.person_id for e in new} == {r.person_id for r in rows}


def test_notices_arrive_in_plain_language(owner, breach, opened, smtp_server, settings, tmp_path):
    """REQ-32: each affected person is told by e-mail (SMS with only a phone), with the
    contact point, the likely consequences and the measures (Art. 33(3)(b)-(d))."""
    settings.SMS_FILE_PATH = tmp_path / "sms"
    x, _y, _people, start, end, _elsewhere = opened
    added = affected_from_access_log(
        actor=owner, breach_id=breach.pk, user_id=x.user.pk, start=start, end=end
    )
    result = affected_notify(actor=owner, breach_id=breach.pk, affected_ids=[a.pk for a in added])
    assert result == {"sent": 3, "skipped": 0, "no_contact": 0}
    stats = deliver_due()
    assert stats.sent == 3

    mails = smtp_server.wait_for(2)
    assert sorted(m["To"] for m in mails) == ["Anna@example.com", "Bo@example.com"]
    with translation.override(owner.clinic.language):
        subject = translation.gettext("Important: a personal data breach at %(clinic)s") % {
            "clinic": owner.clinic.name
        }
    anna = next(m for m in mails if m["To"] == "Anna@example.com")
    assert anna["Subject"] == subject
    body = anna.get_content()
    with translation.override(owner.clinic.language):
        hello = translation.gettext("Hello %(name)s,") % {"name": "Anna"}
    assert hello in body
    for text in (breach.nature, breach.consequences, breach.measures, breach.contact_point):
        assert text in body
    assert "Integritetsskyddsmyndigheten (IMY)" in body
    assert "Bo" not in body  # one person's notice says nothing of the others

    (sms,) = [json.loads(line) for line in (tmp_path / "sms" / "outbox.jsonl").open()]
    assert sms["to"] == "+46701740642" and breach.measures in sms["message"]

    rows = {a.person.first_name: a for a in AffectedPerson.objects.select_related("person")}
    assert rows["Anna"].channel == "email" and rows["Anna"].notified_at
    assert rows["Cecilia"].channel == "sms"
    log = AccessLogEntry.objects.filter(object_type="breach_notice", action="create")
    assert set(log.values_list("person_id", flat=True)) == {a.person_id for a in added}

    # Told once: asking again sends nothing more.
    again = affected_notify(actor=owner, breach_id=breach.pk, affected_ids=[a.pk for a in added])
    assert again == {"sent": 0, "skipped": 3, "no_contact": 0}
    assert OutboxMessage.objects.filter(related_type="breach").count() == 3


def test_notices_need_the_art_34_content(owner, opened, make_person):
    """REQ-32: nothing is sent before consequences, measures and contact point are written."""
    x, _y, _people, start, end, _elsewhere = opened
    bare = breach_register(actor=owner, description="x", discovered_at=start)
    breach_edit(actor=owner, breach_id=bare.pk, changes={"contact_point": ""})
    added = affected_from_access_log(
        actor=owner, breach_id=bare.pk, user_id=x.user.pk, start=start, end=end
    )
    with pytest.raises(ValidationFailed) as refused:
        affected_notify(actor=owner, breach_id=bare.pk, affected_ids=[a.pk for a in added])
    assert set(refused.value.errors) == {"consequences", "measures", "contact_point"}
    assert not OutboxMessage.objects.filter(related_type="breach").exists()
    assert not AffectedPerson.objects.filter(notified_at__isnull=False).exists()


def test_exemption_is_recorded_with_its_ground(owner, breach, opened):
    """REQ-32: persons not told carry the Art. 34(3) ground and why it applies."""
    x, _y, _people, start, end, _elsewhere = opened
    added = affected_from_access_log(
        actor=owner, breach_id=breach.pk, user_id=x.user.pk, start=start, end=end
    )
    with pytest.raises(ValidationFailed) as refused:
        affected_exempt(actor=owner, breach_id=breach.pk, affected_ids=[added[0].pk], ground="d")
    assert set(refused.value.errors) == {"ground", "note"}
    count = affected_exempt(
        actor=owner,
        breach_id=breach.pk,
        affected_ids=[added[0].pk],
        ground="a",
        note="The laptop's disk was encrypted; the key was not on it.",
    )
    assert count == 1
    row = AffectedPerson.objects.get(pk=added[0].pk)
    assert row.exemption_ground == "a" and row.exemption_recorded_at and row.notified_at is None
    assert "encrypted" in row.exemption_note
    # An exempted person is not sent a notice by mistake.
    result = affected_notify(actor=owner, breach_id=breach.pk, affected_ids=[row.pk])
    assert result["skipped"] == 1
    assert not OutboxMessage.objects.filter(related_type="breach").exists()


def test_another_clinics_owner_cannot_touch_the_list(breach, opened, other_clinic, make_actor):
    """REQ-32: the affected persons of a breach are the clinic's own; others get 404."""
    from django.http import Http404

    _x, _y, _people, start, end, _elsewhere = opened
    outsider = make_actor(other_clinic, "owner")
    before = AccessLogEntry.objects.count()
    with pytest.raises(Http404):
        affected_from_access_log(
            actor=outsider, breach_id=breach.pk, user_id=outsider.user.pk, start=start, end=end
        )
    with pytest.raises(Http404):
        affected_list(actor=outsider, breach_id=breach.pk)
    assert AccessLogEntry.objects.count() == before and not AffectedPerson.objects.exists()
