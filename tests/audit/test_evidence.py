"""The evidence store and the access log's checkpoints (issue 16; LAW.md REQ-21, REQ-22).

The hash chain alone cannot show a log rolled back as a whole: these tests first prove
that (the chain check passes), then that the signed checkpoints outside the database
catch it; and that an edited, removed or forged line of the store is refused."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from praksis.audit.checkpoints import checkpoint_problems, checkpoint_write
from praksis.audit.models import LANE_SPAN, AccessLogEntry, ChainHead
from praksis.audit.selectors import verify_clinic_chain
from praksis.core import evidence
from tests.audit.tamper import tamper

pytestmark = pytest.mark.django_db


@pytest.fixture
def store(settings, tmp_path):
    seed, _public = evidence.new_key()
    settings.PRAKSIS_EVIDENCE_DIR = str(tmp_path / "evidence")
    settings.PRAKSIS_EVIDENCE_KEY = seed
    return tmp_path / "evidence" / evidence.FILE


@pytest.fixture
def logged(clinic, receptionist, make_person):
    for i in range(4):
        make_person(receptionist, first_name=f"Nils{i}", last_name="Holm")
    return list(AccessLogEntry.objects.filter(clinic=clinic).order_by("seq"))


def _problems(clinic) -> list[str]:
    return [str(p) for p in checkpoint_problems(clinic)]


def _verify(capsys) -> str:
    """What ``verify-access-log`` says on failing (it must fail)."""
    capsys.readouterr()
    with pytest.raises(CommandError):
        call_command("verify-access-log")
    return capsys.readouterr().err


def test_req22_a_signed_checkpoint_and_a_log_that_extends_it(
    clinic, logged, store, capsys, receptionist, make_person
):
    record = checkpoint_write("test")
    assert record["n"] == 1 and [clinic.pk, clinic.slug, 0] == record["heads"][0][:3]
    make_person(receptionist, first_name="Ebba", last_name="Grön")  # the log goes on
    call_command("verify-access-log")
    lanes = ChainHead.objects.count()  # one on SQLite, several on PostgreSQL
    assert f"{lanes} checkpointed lane(s)" in capsys.readouterr().out
    call_command("checkpoint-access-log")
    assert [r["n"] for r in evidence.records("checkpoint")] == [1, 2]


def test_req21_a_deleted_log_and_its_head_are_detected(clinic, logged, store, capsys):
    checkpoint_write("test")
    tamper("DELETE FROM audit_accesslogentry WHERE clinic_id = %s", [clinic.pk])
    tamper("DELETE FROM audit_chainhead WHERE clinic_id = %s", [clinic.pk])
    assert list(verify_clinic_chain(clinic)) == []  # the chain alone cannot see it
    (problem,) = _problems(clinic)
    assert clinic.slug in problem and "rolled back or deleted" in problem
    assert f"saw row {len(logged)}" in problem and "checkpoint 1 of" in problem
    said = _verify(capsys)
    assert clinic.slug in said and "rolled back or deleted" in said


def test_req21_an_older_head_put_back_is_detected(clinic, logged, store, receptionist, make_person):
    old = ChainHead.objects.get(clinic=clinic, lane=logged[-1].seq // LANE_SPAN)
    make_person(receptionist, first_name="Ebba", last_name="Grön")
    checkpoint_write("test")
    # Roll back: the rows after the old head go, and the old (genuinely sealed) head
    # comes back, as a restored backup or a superuser would leave it.
    tamper("DELETE FROM audit_accesslogentry WHERE clinic_id = %s AND seq > %s",
           [clinic.pk, old.seq])  # fmt: skip
    tamper("UPDATE audit_chainhead SET seq = %s, hash = %s, seal = %s WHERE id = %s",
           [old.seq, old.hash, old.seal, old.pk])  # fmt: skip
    assert list(verify_clinic_chain(clinic)) == []  # a chain intact in itself
    (problem,) = _problems(clinic)
    assert f"head is at row {old.seq}" in problem and "rolled back" in problem


def test_req21_a_changed_row_the_checkpoint_saw_is_detected(clinic, logged, store):
    checkpoint_write("test")
    last = logged[-1]
    tamper("UPDATE audit_accesslogentry SET hash = %s WHERE id = %s", ["f" * 64, last.pk])
    assert any("differs from the checkpoint 1" in p for p in _problems(clinic))


def test_an_edited_checkpoint_is_refused(clinic, logged, store, capsys):
    checkpoint_write("test")
    checkpoint_write("test")
    lines = store.read_text().splitlines()
    record = json.loads(lines[0])
    record["heads"][0][3] += 10  # claim more rows than there were
    lines[0] = json.dumps(record, sort_keys=True, separators=(",", ":"))
    store.write_text("\n".join(lines) + "\n")
    with pytest.raises(evidence.EvidenceError, match="line 1: not signed by our key"):
        list(evidence.records())
    assert "line 1: not signed by our key" in _verify(capsys)


def test_a_forged_or_removed_ledger_line_is_refused(clinic, logged, store, settings):
    evidence.append("erasure", {"clinic_id": clinic.pk, "person_id": 1})
    genuine, original = store.read_text(), settings.PRAKSIS_EVIDENCE_KEY
    # A line signed with another key, chained correctly: forged.
    settings.PRAKSIS_EVIDENCE_PUBLIC_KEY = evidence.public_key_text()
    settings.PRAKSIS_EVIDENCE_KEY, _public = evidence.new_key()
    evidence.append("erasure", {"clinic_id": clinic.pk, "person_id": 2})
    with pytest.raises(evidence.EvidenceError, match="line 2: not signed by our key"):
        list(evidence.records())
    # Genuine lines with one removed from the middle: the chain of lines breaks.
    store.write_text(genuine)
    settings.PRAKSIS_EVIDENCE_KEY, settings.PRAKSIS_EVIDENCE_PUBLIC_KEY = original, ""
    for person_id in (3, 4):
        evidence.append("erasure", {"clinic_id": clinic.pk, "person_id": person_id})
    assert [r["person_id"] for r in evidence.records("erasure")] == [1, 3, 4]
    lines = store.read_text().splitlines()
    store.write_text("\n".join([lines[0], lines[2]]) + "\n")
    with pytest.raises(evidence.EvidenceError, match="line 2: out of order"):
        list(evidence.records())


def test_an_erasure_is_in_the_ledger_without_content_and_checkpointed(
    clinic, owner, store, make_person, django_capture_on_commit_callbacks
):
    from praksis.journal.services import entry_create
    from praksis.privacy.erasure import erase_person

    person = make_person(owner, first_name="Ebba", last_name="Grön", email="ebba@example.com")
    entry_create(actor=owner, person_id=person.pk, text="Hemlig anteckning", sign=False)
    with django_capture_on_commit_callbacks(execute=True):
        erase_person(actor=owner, person_id=person.pk)
    erasures = list(evidence.records("erasure"))
    assert [(e["clinic_id"], e["person_id"]) for e in erasures] == [(clinic.pk, person.pk)]
    text = store.read_text()
    assert "Ebba" not in text and "ebba@example.com" not in text and "Hemlig" not in text
    # A checkpoint follows, and the log extends it.
    assert list(evidence.records("checkpoint"))
    assert _problems(clinic) == []
