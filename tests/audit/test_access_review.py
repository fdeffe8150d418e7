"""The owner's review of the access log (REQ-22) and the person's log extract (REQ-23)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from praksis.audit import selectors
from praksis.audit.models import AccessLogEntry, AccessReview
from praksis.audit.selectors import Period
from praksis.audit.services import access_review_record
from praksis.booking.models import ClosedDay, Practitioner, Service, WorkingHours
from praksis.booking.services import appointment_book
from praksis.clinics.access import Actor
from praksis.clinics.services import staff_add
from praksis.journal.services import entry_create
from praksis.people.selectors import person_get
from tests.conftest import PASSWORD, next_local

REVIEW_URL = "/staff/access-log/"
RECORD_URL = "/staff/access-log/reviews/"


def _today(clinic) -> date:
    return timezone.now().astimezone(clinic.zone).date()


def _period(clinic) -> Period:
    """Around today, so that a test running over midnight still sees its rows."""
    today = _today(clinic)
    return Period(today - timedelta(days=1), today + timedelta(days=1))


def _query(clinic, **extra) -> dict:
    period = _period(clinic)
    return {"from": period.start.isoformat(), "to": period.end.isoformat(), **extra}


def _practitioner(clinic, actor, *, weekdays=range(7), start=time(0), end=time(23, 59)):
    """A bookable practitioner for ``actor``'s user, working ``start``-``end`` on ``weekdays``."""
    practitioner, _new = Practitioner.objects.get_or_create(
        clinic=clinic, user=actor.user, defaults={"name": "Dr Lind"}
    )
    WorkingHours.objects.bulk_create(
        WorkingHours(clinic=clinic, practitioner=practitioner, weekday=d, start=start, end=end)
        for d in weekdays
    )
    service = Service.objects.create(clinic=clinic, name="Synundersökning", duration_minutes=30)
    service.practitioners.set([practitioner])
    return practitioner, service


@pytest.fixture
def doctor(clinic, make_actor):
    return make_actor(clinic, "practitioner")


def _entry_ids(rows) -> set[int]:
    return {row.entry.pk for row in rows}


def _last_entry(clinic) -> AccessLogEntry:
    return AccessLogEntry.objects.filter(clinic=clinic).order_by("-seq").first()


# --- Anomalies --------------------------------------------------------------------------


def test_req22_an_access_with_a_booking_relation_in_hours_is_not_flagged(
    clinic, owner, receptionist, doctor, make_person
):
    """REQ-22: the practitioner opening their own patient's record during opening hours,
    and the desk registering and booking the patient, raise no flag at all."""
    practitioner, service = _practitioner(clinic, doctor)
    person = make_person(receptionist, first_name="Ebba", last_name="Grön")
    appointment_book(
        actor=receptionist,
        service_id=service.pk,
        person_id=person.pk,
        start=next_local(clinic),
        practitioner_id=practitioner.pk,
    )
    person_get(actor=doctor, person_id=person.pk, purpose="treatment")
    read = _last_entry(clinic)

    found = selectors.anomalies_find(actor=owner, period=_period(clinic))

    assert found.population == 3  # registered, booked, read
    assert found.total == 0
    assert read.pk not in found.entry_ids


def test_req22_opening_a_record_without_a_relation_is_flagged(
    clinic, owner, receptionist, doctor, make_actor, make_person
):
    """REQ-22: a practitioner with no booking and no journal entry for the person, and a
    receptionist opening someone with no booking at all, are flagged; a journal author is not."""
    _practitioner(clinic, doctor)
    person = make_person(owner, first_name="Nils", last_name="Holm")
    entry_create(actor=doctor, person_id=person.pk, text="Synfel", sign=True)
    person_get(actor=doctor, person_id=person.pk, purpose="treatment")
    related_read = _last_entry(clinic)
    curious = Actor(
        clinic=clinic,
        user=staff_add(
            clinic=clinic,
            email="nyfiken@test-optik.test",
            full_name="Nyfiken Kollega",
            role="practitioner",
            password=PASSWORD,
        ),
        role="practitioner",
    )
    person_get(actor=curious, person_id=person.pk, purpose="")
    curious_read = _last_entry(clinic)
    person_get(actor=receptionist, person_id=person.pk)
    desk_read = _last_entry(clinic)

    found = selectors.anomalies_find(actor=owner, period=_period(clinic))

    assert _entry_ids(found.no_relation) == {curious_read.pk, desk_read.pk}
    assert found.no_relation_count == 2
    assert related_read.pk not in found.entry_ids
    row = next(r for r in found.no_relation if r.entry.pk == curious_read.pk)
    assert row.flag_kinds == ["no_relation"]
    assert row.person_name == "Nils Holm"


def test_req22_access_outside_working_hours_is_flagged(
    clinic, owner, receptionist, doctor, make_person
):
    """REQ-22: the clinic's hours come from the practitioners' weekly hours; an access on
    a weekday without hours is flagged, and so is every access on a closed day."""
    today = _today(clinic)
    _practitioner(clinic, doctor, weekdays=[d for d in range(7) if d != today.weekday()])
    person = make_person(receptionist)
    person_get(actor=receptionist, person_id=person.pk)

    found = selectors.anomalies_find(actor=owner, period=_period(clinic))
    assert found.out_of_hours_count == 2  # the registration and the read
    assert all("out_of_hours" in row.flag_kinds for row in found.out_of_hours)
    assert today.weekday() not in found.hours

    WorkingHours.objects.filter(clinic=clinic, weekday__lt=7).delete()
    _practitioner(clinic, doctor)  # every day, all day
    assert selectors.anomalies_find(actor=owner, period=_period(clinic)).out_of_hours_count == 0
    ClosedDay.objects.create(clinic=clinic, date=today, reason="Midsommar")
    assert selectors.anomalies_find(actor=owner, period=_period(clinic)).out_of_hours_count == 2


def test_req22_default_hours_without_any_practitioner_hours(clinic):
    """REQ-22: without hours set, accesses outside weekdays 07-19 (clinic time) are flagged."""
    hours = selectors.clinic_hours(clinic)
    zone = clinic.zone
    tuesday = datetime(2026, 3, 3, 10, 0, tzinfo=zone)
    assert not selectors.is_out_of_hours(tuesday, hours)
    assert selectors.is_out_of_hours(tuesday.replace(hour=6, minute=59), hours)
    assert selectors.is_out_of_hours(tuesday.replace(hour=19), hours)
    assert selectors.is_out_of_hours(tuesday + timedelta(days=4), hours)  # Saturday


def test_req22_a_mass_lookup_is_flagged(
    clinic, owner, receptionist, doctor, make_person, monkeypatch
):
    """REQ-22: one user reading more than N different people within the window is flagged;
    another reading N is not."""
    monkeypatch.setattr(selectors, "MASS_LOOKUP_PERSONS", 3)
    people = [make_person(receptionist, last_name=f"Berg{i}") for i in range(4)]
    for person in people:
        person_get(actor=doctor, person_id=person.pk)
        person_get(actor=doctor, person_id=person.pk)  # twice: people, not reads, count
    for person in people[:3]:
        person_get(actor=receptionist, person_id=person.pk)

    found = selectors.anomalies_find(actor=owner, period=_period(clinic))

    assert [(m.user_id, m.persons, m.role) for m in found.mass_lookups] == [
        (doctor.user_id, 4, "practitioner")
    ]


def test_req22_looking_up_a_colleague_or_oneself_is_flagged(
    clinic, owner, receptionist, doctor, make_person
):
    """REQ-22: a person whose name or e-mail is a staff member's is a colleague's record
    (matched across case and Nordic letters); one's own record is flagged as such."""
    asa = staff_add(
        clinic=clinic,
        email="asa@test-optik.test",
        full_name="Åsa Öberg",
        role="receptionist",
        password=PASSWORD,
    )
    colleague = make_person(owner, first_name="ÅSA", last_name="öberg")
    own = make_person(
        owner, first_name="Doktor", last_name="Själv", email=doctor.user.email.upper()
    )
    stranger = make_person(owner, first_name="Okänd", last_name="Person")
    for person in (colleague, own, stranger):
        person_get(actor=doctor, person_id=person.pk)

    found = selectors.anomalies_find(actor=owner, period=_period(clinic))

    flagged = {
        (row.entry.person_id, row.entry.user_id, row.entry.action): row.flag_kinds
        for row in found.colleagues
    }
    assert "colleague" in flagged[(colleague.pk, doctor.user_id, "read")]
    assert "self" in flagged[(own.pk, doctor.user_id, "read")]
    assert all(person_id != stranger.pk for person_id, _u, _a in flagged)
    assert asa.pk != doctor.user_id


# --- Samples ----------------------------------------------------------------------------


@pytest.fixture
def thirty(clinic, receptionist, make_person):
    """Thirty registrations: thirty rows of the population."""
    return [make_person(receptionist, last_name=f"Lund{i}") for i in range(30)]


def test_req22_the_systematic_sample_is_every_kth_row_and_deterministic(clinic, owner, thirty):
    """REQ-22: a systematic sample takes every k-th access of the period, the same each time;
    rows added later do not change a sample drawn up to a given row."""
    period = _period(clinic)
    sample = selectors.review_sample(actor=owner, period=period, method="systematic", size=10)
    population = list(
        AccessLogEntry.objects.filter(clinic=clinic, person_id__isnull=False, user_id__isnull=False)
        .exclude(object_type="access_log")
        .order_by("seq")
        .values_list("pk", flat=True)
    )
    assert sample.population == 30 and sample.step == 3  # 30 // 10
    assert sample.entry_ids == population[2::3]
    seven = selectors.review_sample(actor=owner, period=period, method="systematic", size=7)
    assert seven.entry_ids == population[3::4][:7]  # every 4th (30 // 7), seven of them

    again = selectors.review_sample(
        actor=owner, period=period, method="systematic", size=10, upto=sample.upto
    )
    assert again.entry_ids == sample.entry_ids
    assert again.seed is None


def test_req22_a_random_sample_is_reproducible_from_its_seed(clinic, owner, receptionist, thirty):
    """REQ-22: a random sample is drawn with a stored seed; the seed (and the last row)
    give the same rows again, in a recorded review too."""
    period = _period(clinic)
    sample = selectors.review_sample(actor=owner, period=period, method="random", size=8)
    assert sample.seed is not None and len(sample.entry_ids) == 8
    person_get(actor=receptionist, person_id=thirty[0].pk)  # the log grows meanwhile

    again = selectors.review_sample(
        actor=owner,
        period=period,
        method="random",
        size=8,
        seed=sample.seed,
        upto=sample.upto,
    )
    other = selectors.review_sample(
        actor=owner, period=period, method="random", size=8, seed=sample.seed + 1
    )
    assert again.entry_ids == sample.entry_ids
    assert other.entry_ids != sample.entry_ids

    review = access_review_record(
        actor=owner,
        date_from=period.start,
        date_to=period.end,
        method="random",
        size=8,
        seed=sample.seed,
        upto=sample.upto,
        outcome="no_remarks",
    )
    assert review.seed == sample.seed
    assert review.entry_ids == sample.entry_ids
    assert review.population == 30


# --- Recording reviews ------------------------------------------------------------------


@pytest.fixture
def owner_ui(clinic, owner):
    client = Client()
    client.force_login(owner.user)
    return client


def test_req22_a_review_is_recorded_with_its_outcome_and_listed(clinic, owner, owner_ui, thirty):
    """REQ-22: the owner looks at a sample, records an incident with a note, then a
    follow-up review that closes it; both are listed with who, when, period and outcome."""
    page = owner_ui.get(REVIEW_URL, _query(clinic, method="systematic", size="5"))
    assert page.status_code == 200
    sample = page.context["sample"]
    assert len(sample.rows) == 5
    assert 'id="sample-rows"' in page.content.decode()

    response = owner_ui.post(
        RECORD_URL,
        _query(
            clinic,
            method="systematic",
            size="5",
            upto=sample.upto,
            outcome="incident",
            note="",
        ),
    )
    assert response.status_code == 422  # an incident needs a note
    assert response.context["errors"]["note"]
    assert AccessReview.objects.count() == 0

    response = owner_ui.post(
        RECORD_URL,
        _query(
            clinic,
            method="systematic",
            size="5",
            upto=sample.upto,
            outcome="incident",
            note="Receptionen öppnade journaler utan bokning.",
            follow_up="Avvikelse 2026-07",
        ),
    )
    review = AccessReview.objects.get()
    assert response.status_code == 302
    assert response.url == f"/staff/access-log/reviews/{review.pk}/"
    assert review.reviewer == owner.user.email
    assert review.reviewer_user_id == owner.user_id
    assert (review.method, review.outcome, review.follow_up) == (
        "systematic",
        "incident",
        "Avvikelse 2026-07",
    )
    assert review.entry_ids == sample.entry_ids
    assert (review.period_start, review.period_end) == (_period(clinic).start, _period(clinic).end)

    detail = owner_ui.get(response.url)
    assert detail.status_code == 200
    assert _entry_ids(detail.context["rows"]) == set(sample.entry_ids)
    rows_then = sum(int(n) for n in sample.upto.split(","))
    assert review.upto == sample.upto and review.cut_rows == rows_then
    with translation.override(detail.wsgi_request.LANGUAGE_CODE):
        said = translation.gettext("(drawn from the log's first %(rows)s rows)")
    assert said % {"rows": rows_then} in detail.content.decode()

    response = owner_ui.post(
        RECORD_URL,
        _query(clinic, method="anomalies", outcome="no_remarks", follows_up=str(review.pk)),
    )
    assert response.status_code == 302
    follow_up = AccessReview.objects.exclude(pk=review.pk).get()
    assert follow_up.follows_up_id == review.pk
    listing = owner_ui.get(REVIEW_URL).content.decode()
    assert f'id="review-{review.pk}"' in listing and f'id="review-{follow_up.pk}"' in listing


def test_req22_recorded_reviews_cannot_be_changed(clinic, owner, thirty):
    """REQ-22: a recorded review is evidence: the database refuses to change or delete it."""
    period = _period(clinic)
    review = access_review_record(
        actor=owner,
        date_from=period.start,
        date_to=period.end,
        method="systematic",
        outcome="no_remarks",
    )
    with pytest.raises(DatabaseError), transaction.atomic():
        AccessReview.objects.filter(pk=review.pk).update(outcome="incident", note="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        AccessReview.objects.filter(pk=review.pk).delete()
    assert AccessReview.objects.get().outcome == "no_remarks"


@pytest.mark.parametrize("role", ["receptionist", "practitioner"])
def test_req22_only_the_owner_reviews_the_log(clinic, owner, make_staff, make_api, thirty, role):
    """REQ-22: a receptionist or practitioner gets 403 on every review page and the API,
    and nothing is recorded."""
    period = _period(clinic)
    review = access_review_record(
        actor=owner,
        date_from=period.start,
        date_to=period.end,
        method="systematic",
        outcome="no_remarks",
    )
    client = Client()
    client.force_login(make_staff(clinic, role))
    assert client.get(REVIEW_URL, _query(clinic, method="systematic")).status_code == 403
    assert client.get(f"/staff/access-log/reviews/{review.pk}/").status_code == 403
    response = client.post(RECORD_URL, _query(clinic, method="systematic", outcome="no_remarks"))
    assert response.status_code == 403
    assert AccessReview.objects.count() == 1
    nav = client.get("/staff/persons/").content.decode()
    assert REVIEW_URL not in nav
    api = make_api(clinic, role)
    assert api.get("access-log/anomalies", **{"from": "x", "to": "y"}).status_code == 403


def test_req22_another_clinics_owner_sees_nothing_of_this_clinic(
    clinic, owner, make_clinic, make_staff, make_api, thirty
):
    """REQ-22: an owner of another clinic samples, flags and lists only their own log; this
    clinic's review is 404 and cannot be followed up from there."""
    period = _period(clinic)
    review = access_review_record(
        actor=owner,
        date_from=period.start,
        date_to=period.end,
        method="systematic",
        outcome="follow_up",
        note="Kontrollera receptionen",
    )
    other = make_clinic("other")
    outsider = Client()
    outsider.force_login(make_staff(other, "owner", email="owner@annan.test"))
    for method in ("systematic", "random", "anomalies"):
        page = outsider.get(REVIEW_URL, _query(clinic, method=method))
        body = page.content.decode()
        assert page.status_code == 200
        assert "Lund1" not in body and "Kontrollera" not in body
        assert f'id="review-{review.pk}"' not in body
    assert outsider.get(f"/staff/access-log/reviews/{review.pk}/").status_code == 404
    response = outsider.post(
        RECORD_URL,
        _query(clinic, method="anomalies", outcome="no_remarks", follows_up=str(review.pk)),
    )
    assert response.status_code == 422
    assert AccessReview.objects.filter(clinic=other).count() == 0
    body = make_api(other, "owner").get("access-log/anomalies", **_query(clinic)).json()
    assert body["population"] == 0 and body["no_relation"]["count"] == 0


# --- Viewing the log is logged; the person's extract -------------------------------------


def test_req22_viewing_the_log_is_logged_and_shows_in_the_persons_extract(
    clinic, owner, owner_ui, receptionist, make_person, make_api
):
    """REQ-22/REQ-23: a sample shown to the owner leaves a row for the viewing and one for
    each person whose accesses were shown, so that person's extract names the reviewer
    with role and reason."""
    person = make_person(receptionist, first_name="Siri", last_name="Ek")
    person_get(actor=receptionist, person_id=person.pk, purpose="booking")
    before = AccessLogEntry.objects.filter(clinic=clinic).count()

    assert owner_ui.get(REVIEW_URL, _query(clinic, method="random")).status_code == 200

    rows = list(AccessLogEntry.objects.filter(clinic=clinic).order_by("seq"))[before:]
    assert {(r.user_id, r.purpose) for r in rows} == {(owner.user_id, "access log review")}
    shown = [r for r in rows if r.object_type == "access_log"]
    assert {r.person_id for r in shown} == {None, person.pk}  # the viewing, and the person
    assert {r.object_type for r in rows} == {"access_log", "access_review"}  # + past reviews

    extract = list(selectors.person_access_log(actor=owner, person_id=person.pk))
    review_row = next(r for r in extract if r.user_id == owner.user_id)
    with translation.override("en"):
        assert review_row.role_label == "Owner / privacy officer"
    assert review_row.purpose == "access log review"
    assert review_row.staff_name == owner.user.full_name
    desk_row = next(r for r in extract if r.action == "read" and r.object_type == "person")
    assert (desk_row.role, desk_row.purpose) == ("receptionist", "booking")

    items = make_api(clinic, "owner").get(f"persons/{person.pk}/access-log").json()["items"]
    assert {(i["role"], i["purpose"]) for i in items} >= {
        ("receptionist", "booking"),
        ("owner", "access log review"),
    }


def test_req22_the_anomalies_api_lists_flagged_accesses(
    clinic, owner, receptionist, make_person, make_api
):
    """REQ-22: GET access-log/anomalies gives the owner the flagged accesses of a period."""
    person = make_person(owner)
    person_get(actor=receptionist, person_id=person.pk)
    read = _last_entry(clinic)
    api = make_api(clinic, "owner")

    body = api.get("access-log/anomalies", **_query(clinic)).json()
    assert [i["id"] for i in body["no_relation"]["items"]] == [read.pk]
    assert body["no_relation"]["items"][0]["flags"][0] == "no_relation"
    assert api.get("access-log/anomalies", **{"from": "2026-13-01"}).status_code == 422


# --- Cost ---------------------------------------------------------------------------------


def _queries(client, params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(REVIEW_URL, params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_req22_the_review_page_costs_the_same_for_few_or_many_rows(
    clinic, owner, owner_ui, receptionist, make_person
):
    """REQ-22: the review page's queries do not grow with the log: flags and counts are
    aggregated in the database, people are named in one query."""
    people = [make_person(receptionist, last_name=f"Falk{i}") for i in range(3)]
    for person in people:
        person_get(actor=receptionist, person_id=person.pk)
    params = {m: _query(clinic, method=m) for m in ("systematic", "random", "anomalies")}
    for query in params.values():
        owner_ui.get(REVIEW_URL, query)  # warm
    few = {m: _queries(owner_ui, q) for m, q in params.items()}

    people += [make_person(receptionist, last_name=f"Falk{i}") for i in range(3, 40)]
    for person in people:
        person_get(actor=receptionist, person_id=person.pk)
    many = {m: _queries(owner_ui, q) for m, q in params.items()}

    assert many == few
    assert max(many.values()) <= 26
