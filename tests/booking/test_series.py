"""Recurring bookings made by staff: every N weeks, M times; each occurrence booked on its
own and reported; a series moved or cancelled as a whole or from one occurrence on."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation

from praksis.audit.models import AccessLogEntry
from praksis.booking.models import Absence, Appointment, AppointmentSeries, ClosedDay
from praksis.booking.series import series_book, series_cancel, series_move
from praksis.booking.services import appointment_book
from praksis.core.errors import ValidationFailed
from tests.conftest import next_local, speaks


@pytest.fixture
def desk(clinic, owner, make_bookable, make_person):
    service, (practitioner,) = make_bookable(clinic)
    person = make_person(owner, first_name="Maja", last_name="Lind", email="maja@example.com")
    other = make_person(owner, first_name="Olle", last_name="Berg", email="olle@example.com")
    return service, practitioner, person, other


def _book(owner, service, person, practitioner, start, weeks=1, count=4):
    return series_book(
        actor=owner,
        service_id=service.pk,
        person_id=person.pk,
        start=start,
        practitioner_id=practitioner.pk,
        interval_weeks=weeks,
        count=count,
    )


def test_each_occurrence_is_booked_or_its_reason_reported(clinic, owner, desk):
    service, practitioner, person, other = desk
    first = next_local(clinic, days=2, hour=10)
    # The second time is taken, the third day closed, the fourth in an absence.
    appointment_book(
        actor=owner, service_id=service.pk, person_id=other.pk,
        start=first + timedelta(weeks=1), practitioner_id=practitioner.pk,
    )  # fmt: skip
    ClosedDay.objects.create(clinic=clinic, date=(first + timedelta(weeks=2)).date())
    away = first + timedelta(weeks=3)
    Absence.objects.create(
        clinic=clinic, practitioner=practitioner, start=away - timedelta(hours=1),
        end=away + timedelta(hours=3),
    )  # fmt: skip

    report = _book(owner, service, person, practitioner, first, count=5)

    assert [o.ok for o in report.occurrences] == [True, False, False, False, True]
    assert all(o.reason for o in report.occurrences if not o.ok)
    series = AppointmentSeries.objects.get(pk=report.series_id)
    assert (series.interval_weeks, series.count) == (1, 5)
    booked = Appointment.objects.filter(series=series).order_by("series_index")
    assert [(a.series_index, a.start) for a in booked] == [
        (1, first),
        (5, first + timedelta(weeks=4)),
    ]
    assert all(a.person_id == person.pk for a in booked)
    # Each booking went through the normal path: logged and confirmed.
    assert (
        AccessLogEntry.objects.filter(
            clinic=clinic, object_type="appointment", action="create", person_id=person.pk
        ).count()
        == 2
    )


def test_reasons_are_in_the_readers_language(clinic, owner, desk):
    service, practitioner, person, other = desk
    first = next_local(clinic, days=2, hour=10)
    appointment_book(
        actor=owner, service_id=service.pk, person_id=other.pk,
        start=first + timedelta(weeks=2), practitioner_id=practitioner.pk,
    )  # fmt: skip
    ClosedDay.objects.create(clinic=clinic, date=(first + timedelta(weeks=1)).date(), reason="Kurs")
    with translation.override("en"):
        report = _book(owner, service, person, practitioner, first, count=4)
        late = _book(owner, service, person, practitioner, first.replace(hour=18), count=2)
    assert [o.reason for o in report.occurrences] == [
        "",
        "The clinic is closed that day (Kurs).",
        "The time is already taken.",
        "",
    ]
    assert [o.reason for o in late.occurrences] == [
        "Outside the practitioner's working hours.",
        "The clinic is closed that day (Kurs).",
    ]
    assert late.series_id is None  # nothing booked: no series kept
    assert AppointmentSeries.objects.count() == 1


def test_the_wall_clock_time_holds_across_a_dst_change(clinic, owner, desk):
    service, practitioner, person, _other = desk
    zone = clinic.zone
    # The next last Sunday of October: summer time ends in Sweden that night.
    today = timezone.now().astimezone(zone).date()
    year = today.year if today < date(today.year, 10, 20) else today.year + 1
    change = max(date(year, 10, d) for d in range(25, 32) if date(year, 10, d).weekday() == 6)
    first = datetime.combine(change - timedelta(days=12), time(9), tzinfo=zone)
    report = _book(owner, service, person, practitioner, first, count=4)
    assert all(o.ok for o in report.occurrences), [o.reason for o in report.occurrences]
    starts = [
        a.start.astimezone(zone)
        for a in Appointment.objects.filter(series_id=report.series_id).order_by("start")
    ]
    assert [s.time() for s in starts] == [time(9)] * 4
    assert {s.utcoffset() for s in starts} == {timedelta(hours=2), timedelta(hours=1)}


def test_bad_repeat_values_are_field_errors_and_nothing_is_booked(clinic, owner, desk):
    service, practitioner, person, _other = desk
    with pytest.raises(ValidationFailed) as caught:
        series_book(
            actor=owner, service_id=service.pk, person_id=person.pk,
            start=next_local(clinic), practitioner_id=practitioner.pk,
            interval_weeks="0", count="99",
        )  # fmt: skip
    assert set(caught.value.errors) == {"repeat_weeks", "repeat_count"}
    with pytest.raises(ValidationFailed) as caught:
        _book(owner, service, person.__class__(pk=999999), practitioner, next_local(clinic))
    assert "person" in caught.value.errors
    assert not Appointment.objects.exists() and not AppointmentSeries.objects.exists()


def test_cancel_from_one_occurrence_on_and_then_the_whole_series(clinic, owner, desk):
    service, practitioner, person, _other = desk
    report = _book(owner, service, person, practitioner, next_local(clinic, 2, 10), count=4)
    ids = [o.appointment_id for o in report.occurrences]

    later = series_cancel(actor=owner, appointment_id=ids[2], from_here=True, reason="flytt")
    assert [o.appointment_id for o in later.occurrences if o.ok] == ids[2:]
    statuses = dict(Appointment.objects.values_list("pk", "status"))
    assert [statuses[i] for i in ids] == ["booked", "booked", "cancelled", "cancelled"]

    whole = series_cancel(actor=owner, appointment_id=ids[3], from_here=False)
    assert [o.appointment_id for o in whole.occurrences] == ids[:2]
    assert set(Appointment.objects.values_list("status", flat=True)) == {"cancelled"}


def test_move_the_series_from_one_occurrence_each_checked(clinic, owner, desk):
    service, practitioner, person, other = desk
    first = next_local(clinic, 2, 10)
    report = _book(owner, service, person, practitioner, first, count=4)
    ids = [o.appointment_id for o in report.occurrences]
    # Someone has the new time of the fourth.
    appointment_book(
        actor=owner, service_id=service.pk, person_id=other.pk,
        start=first + timedelta(weeks=3, hours=3), practitioner_id=practitioner.pk,
    )  # fmt: skip
    moved = series_move(
        actor=owner,
        appointment_id=ids[1],
        start=(first + timedelta(weeks=1, hours=3)).replace(tzinfo=None).isoformat(),
        from_here=True,
    )
    assert [(o.appointment_id, o.ok) for o in moved.occurrences] == [
        (ids[1], True),
        (ids[2], True),
        (ids[3], False),
    ]
    starts = dict(Appointment.objects.filter(pk__in=ids).values_list("pk", "start"))
    assert starts[ids[0]] == first
    assert starts[ids[1]] == first + timedelta(weeks=1, hours=3)
    assert starts[ids[2]] == first + timedelta(weeks=2, hours=3)
    assert starts[ids[3]] == first + timedelta(weeks=3)  # stayed, and says why

    # The whole series a day later.
    whole = series_move(
        actor=owner,
        appointment_id=ids[3],
        start=(first + timedelta(days=1)).replace(tzinfo=None).isoformat(),
        from_here=False,
    )
    assert all(o.ok for o in whole.occurrences), [o.reason for o in whole.occurrences]
    starts = dict(Appointment.objects.filter(pk__in=ids).values_list("pk", "start"))
    assert starts[ids[0]] == first + timedelta(days=1)
    assert starts[ids[3]] == first + timedelta(weeks=3, days=1)

    # A week later, one member after the other: the members make room for each other.
    whole = series_move(
        actor=owner,
        appointment_id=ids[0],
        start=(first + timedelta(days=8)).replace(tzinfo=None).isoformat(),
        from_here=False,
    )
    assert [o.ok for o in whole.occurrences] == [True] * 4


def test_the_pages_book_report_move_and_cancel(clinic, desk, make_staff):
    service, practitioner, person, _other = desk
    user = speaks(make_staff(clinic, "receptionist"), "en")
    client = Client()
    client.force_login(user)
    first = next_local(clinic, 2, 10)
    ClosedDay.objects.create(clinic=clinic, date=(first + timedelta(weeks=2)).date())
    form = {
        "person": person.pk,
        "service": service.pk,
        "date": first.date().isoformat(),
        "slot": f"{first.isoformat()}|{practitioner.pk}",
        "channel": "phone",
        "repeat": "1",
        "repeat_weeks": "2",
        "repeat_count": "3",
    }
    page = client.get("/staff/appointments/new/", {k: form[k] for k in ("person", "service")})
    assert "Repeat this booking" in page.content.decode()

    bad = client.post("/staff/appointments/new/", {**form, "repeat_count": "60"})
    assert bad.status_code == 422
    body = bad.content.decode()
    assert "Enter a whole number from 2 to 52." in body and 'value="60"' in body
    assert not Appointment.objects.exists()

    response = client.post("/staff/appointments/new/", form)
    assert response.status_code == 302
    members = list(Appointment.objects.order_by("start"))
    assert [a.series_index for a in members] == [1, 3]
    assert response["Location"] == f"/staff/appointments/{members[0].pk}/series/"
    report = client.get(response["Location"]).content.decode()
    assert "2 of 3 done." in report and "The clinic is closed that day." in report
    assert f"/staff/appointments/{members[1].pk}/" in report
    assert "2 of 3 done." not in client.get(response["Location"]).content.decode()  # once

    detail = client.get(f"/staff/appointments/{members[1].pk}/").content.decode()
    assert "Booking 3 of 3, every 2 weeks." in detail
    assert "Cancel this and all later in the series" in detail
    assert "Cancel the whole series" in detail

    new_day = (first + timedelta(days=1)).date().isoformat()
    moved = client.post(
        f"/staff/appointments/{members[0].pk}/series/move/",
        {"scope": "all", "all_date": new_day, "all_time": "11:30"},
    )
    assert moved.status_code == 302
    starts = [a.start for a in Appointment.objects.order_by("series_index")]
    assert starts == [
        first + timedelta(days=1, minutes=90),
        first + timedelta(weeks=4, days=1, minutes=90),
    ]
    shown = client.get(moved["Location"]).content.decode()
    assert "Moving the series" in shown and "2 of 2 done." in shown

    typo = client.post(
        f"/staff/appointments/{members[0].pk}/series/move/",
        {"scope": "all", "all_date": "2031-02-30", "all_time": "11:30"},
    )
    assert typo.status_code == 422
    assert 'value="2031-02-30"' in typo.content.decode()

    cancelled = client.post(
        f"/staff/appointments/{members[0].pk}/series/cancel/", {"scope": "all", "reason": "x"}
    )
    assert cancelled.status_code == 302
    assert set(Appointment.objects.values_list("status", flat=True)) == {"cancelled"}


def test_another_clinic_gets_404_and_nothing_changes(clinic, owner, desk, other_clinic, make_staff):
    service, practitioner, person, _other = desk
    report = _book(owner, service, person, practitioner, next_local(clinic, 2, 10), count=2)
    appointment_id = report.occurrences[0].appointment_id
    client = Client()
    client.force_login(make_staff(other_clinic, "owner", email="owner@annan.test"))
    base = f"/staff/appointments/{appointment_id}/series/"
    assert client.get(base).status_code == 404
    assert client.post(base + "cancel/", {"scope": "all"}).status_code == 404
    move = {"scope": "all", "all_date": "2031-01-07", "all_time": "10:00"}
    assert client.post(base + "move/", move).status_code == 404
    assert set(Appointment.objects.values_list("status", flat=True)) == {"booked"}


def test_a_series_is_confirmed_in_one_message_with_every_time(clinic, owner, desk):
    from praksis.messaging.models import OutboxMessage

    service, practitioner, person, _other = desk
    first = next_local(clinic, days=2, hour=10)
    report = _book(owner, service, person, practitioner, first, count=6)
    assert sum(o.ok for o in report.occurrences) == 6
    messages = list(OutboxMessage.objects.filter(clinic=clinic, kind="confirmation"))
    assert len(messages) == 1  # not six
    message = messages[0]
    booked = Appointment.objects.filter(series_id=report.series_id)
    assert all(a.reference in message.body for a in booked)
    assert message.body.count("/booking/") == 6  # a manage link for each time
    assert message.attachment_name == "bookings.ics"


def test_moving_or_cancelling_a_series_sends_one_message_each(clinic, owner, desk):
    from praksis.messaging.models import OutboxMessage

    service, practitioner, person, _other = desk
    person.phone = "+46701234567"
    person.save(update_fields=["phone"])
    first = next_local(clinic, days=2, hour=10)
    report = _book(owner, service, person, practitioner, first, count=4)
    ids = [o.appointment_id for o in report.occurrences]
    OutboxMessage.objects.all().delete()

    series_move(
        actor=owner,
        appointment_id=ids[1],
        start=(first + timedelta(weeks=1, hours=2)).replace(tzinfo=None).isoformat(),
        from_here=True,
    )
    moved = list(OutboxMessage.objects.filter(kind="change"))
    assert [m.channel for m in moved] == ["email"]  # one, not three
    with translation.override(clinic.language):
        assert moved[0].subject.startswith(translation.gettext("Your bookings have been moved"))
    # The three new times, each with its own manage link; not the one that stayed.
    later = Appointment.objects.filter(pk__in=ids[1:]).order_by("start")
    for a in later:
        assert a.start.astimezone(clinic.zone).strftime("%H:%M") == "12:00"
        assert a.reference in moved[0].body
    assert Appointment.objects.get(pk=ids[0]).reference not in moved[0].body
    assert moved[0].body.count("/booking/") == 3
    assert moved[0].attachment_body.count("BEGIN:VEVENT") == 3

    series_cancel(actor=owner, appointment_id=ids[0], from_here=False)
    cancelled = list(OutboxMessage.objects.filter(kind="cancellation").order_by("channel"))
    # One e-mail (a calendar file that removes all four) and one SMS, as for one booking.
    assert [m.channel for m in cancelled] == ["email", "sms"]
    email, sms = cancelled
    assert all(a.reference in email.body for a in Appointment.objects.filter(pk__in=ids))
    assert "/booking/" not in email.body  # nothing left to manage
    assert "METHOD:CANCEL" in email.attachment_body
    assert email.attachment_body.count("STATUS:CANCELLED") == 4
    assert "4" in sms.body
