"""The access log (REQ-19..23): every read and write leaves a row; tampering is detected."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from praksis.audit.models import AccessLogEntry
from praksis.audit.selectors import verify_clinic_chain
from praksis.people import selectors, services
from tests.audit.tamper import tamper


def _rows(clinic):
    return list(AccessLogEntry.objects.filter(clinic=clinic).order_by("seq"))


def test_req19_every_read_and_write_of_a_person_is_logged(clinic, receptionist, make_person):
    person = make_person(receptionist, first_name="Ebba", last_name="Grön")
    services.person_update(actor=receptionist, person_id=person.pk, changes={"phone": "0701234567"})
    selectors.person_get(actor=receptionist, person_id=person.pk, purpose="booking")
    selectors.person_search(actor=receptionist, query="grö")

    rows = _rows(clinic)
    assert [(r.action, r.person_id) for r in rows] == [
        ("create", person.pk),
        ("update", person.pk),
        ("read", person.pk),
        ("search", None),
    ]
    # REQ-20: action, care unit (clinic), UTC time, user identity, patient identity.
    read = rows[2]
    assert read.actor == receptionist.user.email
    assert read.user_id == receptionist.user.pk
    assert read.role == "receptionist"
    assert read.purpose == "booking"
    assert read.request_id == "test"
    assert read.at.utcoffset().total_seconds() == 0
    # Values never enter the log, only the names of what changed.
    assert rows[1].detail == "changed: phone"
    assert "0701234567" not in str([r.detail for r in rows])
    assert str(person.pk) in rows[3].detail


def test_req19_a_failed_write_leaves_no_row(clinic, receptionist):
    with pytest.raises(Exception):  # noqa: B017 - ValidationFailed
        services.person_create(actor=receptionist, data={"first_name": "", "last_name": ""})
    assert _rows(clinic) == []


def test_req21_rows_are_chained_and_the_chain_verifies(clinic, receptionist, make_person):
    for i in range(5):
        make_person(receptionist, first_name=f"Anna{i}", last_name="Berg")
    rows = _rows(clinic)
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == "0" * 64
    assert all(rows[i].prev_hash == rows[i - 1].hash for i in range(1, 5))
    assert list(verify_clinic_chain(clinic)) == []
    call_command("verify-access-log")


def test_req21_database_refuses_update_and_delete(clinic, receptionist, make_person):
    make_person(receptionist)
    row = _rows(clinic)[0]
    with pytest.raises(DatabaseError), transaction.atomic():
        AccessLogEntry.objects.filter(pk=row.pk).update(actor="someone else")
    with pytest.raises(DatabaseError), transaction.atomic():
        AccessLogEntry.objects.filter(pk=row.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_accesslogentry")
    assert _rows(clinic)[0].actor == row.actor


# --- Tampering by someone who gets round the triggers (e.g. a database superuser) -------


@pytest.fixture
def logged(clinic, receptionist, make_person):
    for i in range(6):
        make_person(receptionist, first_name=f"Nils{i}", last_name="Holm")
    return _rows(clinic)


def _problems(clinic):
    return [str(p) for p in verify_clinic_chain(clinic)]


def test_req21_an_edited_row_is_detected(clinic, logged):
    tamper("UPDATE audit_accesslogentry SET actor = %s WHERE id = %s", ["x@y.test", logged[2].pk])
    assert any("row 3" in p and "hash" in p for p in _problems(clinic))
    with pytest.raises(CommandError):
        call_command("verify-access-log")


def test_req21_a_deleted_row_is_detected(clinic, logged):
    tamper("DELETE FROM audit_accesslogentry WHERE id = %s", [logged[2].pk])
    assert any("row 4" in p for p in _problems(clinic))


def test_req21_reordered_rows_are_detected(clinic, logged):
    a, b = logged[1], logged[3]
    tamper("UPDATE audit_accesslogentry SET seq = -1 WHERE id = %s", [a.pk])
    tamper("UPDATE audit_accesslogentry SET seq = %s WHERE id = %s", [a.seq, b.pk])
    tamper("UPDATE audit_accesslogentry SET seq = %s WHERE id = %s", [b.seq, a.pk])
    assert _problems(clinic)


def test_req21_a_truncated_tail_is_detected(clinic, logged):
    tamper("DELETE FROM audit_accesslogentry WHERE seq > 4 AND clinic_id = %s", [clinic.pk])
    problems = _problems(clinic)
    assert any("removed" in p for p in problems)


def test_req21_a_truncated_tail_with_a_forged_head_is_detected(clinic, logged):
    tamper("DELETE FROM audit_accesslogentry WHERE seq > 4 AND clinic_id = %s", [clinic.pk])
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_chainhead SET seq = 4, hash = %s WHERE clinic_id = %s",
            [logged[3].hash, clinic.pk],
        )
    assert any("head was altered" in p for p in _problems(clinic))


def test_req22_verify_command_reports_intact_log(clinic, logged, capsys):
    call_command("verify-access-log", clinic=clinic.slug)
    assert "access log intact: 1 clinic(s), 6 row(s)" in capsys.readouterr().out


def test_a_batch_appends_its_rows_together_and_not_at_all_on_failure(clinic, receptionist):
    from praksis.audit.services import Access, access_batch, log_access

    with transaction.atomic(), access_batch():
        log_access(receptionist, Access("read", "person", 1, person_id=1))
        log_access(receptionist, Access("update", "person", 1, person_id=1))
        assert _rows(clinic) == []  # nothing written until the batch ends
    assert [(r.seq, r.action) for r in _rows(clinic)] == [(1, "read"), (2, "update")]
    with pytest.raises(RuntimeError), transaction.atomic(), access_batch():
        log_access(receptionist, Access("read", "person", 2, person_id=2))
        raise RuntimeError("the write failed")
    assert len(_rows(clinic)) == 2
    assert list(verify_clinic_chain(clinic)) == []
