"""Lanes of the access log (REQ-21, REQ-22): on PostgreSQL a clinic's log is several
chains side by side, so one request holding a lane until its commit never makes another
wait. Each lane verifies on its own — an edit, a gap or a cut tail in any lane is found —
and a review is cut by how far every lane reached, so its sample can be drawn again."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from praksis.audit import selectors
from praksis.audit.models import LANE_SPAN, AccessLogEntry, ChainHead
from praksis.audit.selectors import verify_clinic_chain
from praksis.audit.services import Access, log_access
from praksis.core.errors import ValidationFailed
from tests.audit.tamper import tamper

pg_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="lanes are a PostgreSQL matter: SQLite has one writer and one lane",
)


def _read(actor, person_id: int) -> None:
    log_access(actor, Access("read", "person", person_id, person_id=person_id, purpose="care"))


def _lanes(clinic) -> list[int]:
    seqs = AccessLogEntry.objects.filter(clinic=clinic).values_list("seq", flat=True)
    return sorted({seq // LANE_SPAN for seq in seqs})


def _while_a_lane_is_held(actor, then) -> None:
    """Run ``then`` while another connection holds a lane in an open transaction."""
    held, release, errors = threading.Event(), threading.Event(), []

    def hold():
        try:
            with transaction.atomic():
                _read(actor, 1)
                held.set()
                release.wait(20)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert held.wait(20), errors
        then()
    finally:
        release.set()
        thread.join(20)
    assert not errors, errors


@pg_only
@pytest.mark.django_db(transaction=True)
def test_req21_an_append_takes_a_free_lane_instead_of_waiting(make_clinic, make_actor):
    clinic = make_clinic("optician")
    owner = make_actor(clinic)
    # Were it to wait for the held lane, it would append to lane 0 after that commit.
    _while_a_lane_is_held(owner, lambda: _read(owner, 2))
    assert _lanes(clinic) == [0, 1]
    assert list(verify_clinic_chain(clinic)) == []
    _read(owner, 3)  # nothing held now: back to the first lane
    rows = AccessLogEntry.objects.filter(clinic=clinic).order_by("seq")
    assert [r.seq for r in rows] == [1, 2, LANE_SPAN + 1]
    assert list(verify_clinic_chain(clinic)) == []


@pytest.fixture
def two_lanes(make_clinic, make_actor):
    clinic = make_clinic("optician")
    owner = make_actor(clinic)

    def in_lane_one():
        for person_id in (10, 11, 12):
            _read(owner, person_id)

    _while_a_lane_is_held(owner, in_lane_one)
    assert _lanes(clinic) == [0, 1]
    return clinic, owner


@pg_only
@pytest.mark.django_db(transaction=True)
def test_req21_a_row_deleted_from_another_lane_is_detected(two_lanes):
    clinic, _owner = two_lanes
    tamper(
        "DELETE FROM audit_accesslogentry WHERE clinic_id = %s AND seq = %s",
        [clinic.pk, LANE_SPAN + 2],
    )
    problems = [str(p) for p in verify_clinic_chain(clinic)]
    assert any("lane 1 row 3" in p for p in problems), problems


@pg_only
@pytest.mark.django_db(transaction=True)
def test_req21_an_edited_row_in_another_lane_is_detected(two_lanes):
    clinic, _owner = two_lanes
    tamper(
        "UPDATE audit_accesslogentry SET person_id = 99 WHERE clinic_id = %s AND seq = %s",
        [clinic.pk, LANE_SPAN + 1],
    )
    problems = [str(p) for p in verify_clinic_chain(clinic)]
    assert any("lane 1 row 1" in p and "hash" in p for p in problems), problems


@pg_only
@pytest.mark.django_db(transaction=True)
def test_req21_a_lane_cut_short_with_its_head_moved_back_is_detected(two_lanes):
    clinic, _owner = two_lanes
    last = AccessLogEntry.objects.get(clinic=clinic, seq=LANE_SPAN + 2)
    tamper(
        "DELETE FROM audit_accesslogentry WHERE clinic_id = %s AND seq = %s",
        [clinic.pk, LANE_SPAN + 3],
    )
    problems = [str(p) for p in verify_clinic_chain(clinic)]
    assert any("removed" in p and "lane 1" in p for p in problems), problems
    tamper(
        "UPDATE audit_chainhead SET seq = %s, hash = %s WHERE clinic_id = %s AND lane = 1",
        [last.seq, last.hash, clinic.pk],
    )
    problems = [str(p) for p in verify_clinic_chain(clinic)]
    assert any("head was altered" in p for p in problems), problems


@pg_only
@pytest.mark.django_db(transaction=True)
def test_req22_a_review_is_cut_by_every_lane_and_drawn_again_the_same(two_lanes):
    clinic, owner = two_lanes
    cut = selectors.log_cut(clinic)
    assert cut == "1,3"  # lane 0: the held read; lane 1: the three made meanwhile
    today = AccessLogEntry.objects.filter(clinic=clinic).first().at.astimezone(clinic.zone).date()
    period = selectors.review_period(date_from=today, date_to=today)
    first = selectors.review_sample(actor=owner, period=period, method="systematic", size=10)
    shown = {e.person_id for e in AccessLogEntry.objects.filter(pk__in=first.entry_ids)}
    assert first.upto == cut and shown == {1, 10, 11, 12}
    _read(owner, 13)  # the log grows; the review's cut does not
    again = selectors.review_sample(
        actor=owner, period=period, method="systematic", size=10, upto=first.upto
    )
    assert again.entry_ids == first.entry_ids
    with pytest.raises(ValidationFailed) as refused:
        selectors.clean_upto(clinic, "1,4000")
    assert "upto" in refused.value.errors
    assert ChainHead.objects.filter(clinic=clinic).count() >= 2


@pg_only
@pytest.mark.django_db(transaction=True)
def test_req23_the_extract_lists_accesses_newest_first_across_lanes(make_clinic, make_actor):
    clinic = make_clinic("optician")
    owner = make_actor(clinic)
    _while_a_lane_is_held(owner, lambda: _read(owner, 20))  # earlier, in lane 1
    _read(owner, 20)  # later, in lane 0 (a lower seq)
    extract = list(selectors.person_access_log(actor=owner, person_id=20))
    reads = [e for e in extract if e.action == "read" and e.purpose == "care"]
    assert [e.seq // LANE_SPAN for e in reads] == [0, 1]
    assert reads[0].at >= reads[1].at
