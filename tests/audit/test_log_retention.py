"""The access log's retention (REQ-10, REQ-21, REQ-23): kept at least 5 years in Sweden
(HSLF-FS 2016:40 4 kap. 9 §), then removed by the sweep with a sealed cut, so the chain
still verifies; nothing else may delete a row; a held person's rows stay; the person's log
extract lists every row in words."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone, translation

from praksis.audit.models import LANE_SPAN, AccessLogEntry, Action, ChainCut
from praksis.audit.personal_data import log_extract
from praksis.audit.selectors import verify_clinic_chain
from praksis.audit.services import Access, log_access, log_accesses
from praksis.clinics.access import system_actor
from praksis.clinics.models import Role
from praksis.core.errors import ValidationFailed
from praksis.core.personal_data import KEEP, Subject
from praksis.privacy import retention
from praksis.privacy.erasure import plan_erasure
from tests.audit.tamper import tamper

UTC = ZoneInfo("UTC")


def at(year: int, month: int = 1, day: int = 1, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


@contextlib.contextmanager
def clock(when: datetime):
    """Everything logged inside the block is logged at ``when``."""
    with mock.patch("django.utils.timezone.now", return_value=when):
        yield


def _read(actor, person_id: int, n: int = 1) -> None:
    log_accesses(
        actor,
        [Access(Action.READ, "person", person_id, person_id=person_id, purpose="care")] * n,
    )


def _sweep(now: datetime) -> int:
    return sum(
        o.count for o in retention.sweep(now=now, rules=[retention.rule_named("access-log")])
    )


def _rows(clinic) -> int:
    return AccessLogEntry.objects.filter(clinic=clinic).count()


@pytest.fixture
def se(make_clinic, make_actor, make_person):
    """An SE-human clinic set up in 2017, whose log has rows from 2017 and from 2019."""
    with clock(at(2017, 1, 1)):
        clinic = make_clinic("optician")
        owner = make_actor(clinic)
        person = make_person(owner, first_name="Greta")
        other = make_person(owner, first_name="Olle")
    with clock(at(2017, 6, 1)):
        _read(owner, person.pk, 3)
    with clock(at(2019, 6, 1)):
        _read(owner, person.pk, 2)
    return clinic, owner, person, other


def test_req10_the_sweep_removes_rows_past_five_years_and_the_chain_still_verifies(se):
    """REQ-10: nothing goes before 5 years (SE); then the old rows go with a sealed cut,
    the sweep's evidence row follows the cut, and the whole chain verifies."""
    clinic, _owner, person, _other = se
    setup = _rows(clinic) - 5  # the clinic's, the staff member's and the persons' rows
    assert _sweep(at(2021, 12, 31)) == 0  # 4 years 364 days after the set-up rows
    assert _rows(clinic) == setup + 5 and not ChainCut.objects.exists()
    assert _sweep(at(2022, 5, 31)) == setup  # 5 years: the set-up rows, not the reads
    assert _sweep(at(2022, 5, 31)) == 0  # idempotent: nothing more is due

    assert _sweep(at(2022, 6, 2)) == 3  # 5 years after 2017-06-01
    assert not AccessLogEntry.objects.filter(clinic=clinic, at__lt=at(2018)).exists()
    assert AccessLogEntry.objects.filter(clinic=clinic, person_id=person.pk).count() == 2
    cuts = list(ChainCut.objects.filter(clinic=clinic).order_by("seq"))
    assert [(c.lane, c.from_seq, c.seq, c.count) for c in cuts] == [
        (0, 0, setup, setup),
        (0, setup, setup + 3, 3),
    ]
    assert cuts[1].last_at == at(2017, 6, 1)
    evidence = AccessLogEntry.objects.filter(clinic=clinic).order_by("-seq").first()
    assert (evidence.object_type, evidence.action, evidence.role, evidence.purpose) == (
        "access_log",
        "delete",
        "system",
        "retention",
    )
    assert evidence.detail == "rule=access-log; delete: 3"
    assert list(verify_clinic_chain(clinic)) == []

    # A third cut follows the second; the sweeps' own rows after them still verify.
    assert _sweep(at(2024, 6, 2)) == 2
    assert ChainCut.objects.filter(clinic=clinic).count() == 3
    assert list(verify_clinic_chain(clinic)) == []


def test_req10_a_sweep_ahead_of_the_clock_removes_only_what_is_really_due(se):
    """A sweep run with a later ``now`` (a forecast, a test) never removes rows whose
    period has not really passed — nor its own evidence rows, so it ends."""
    clinic, _owner, _person, _other = se
    assert _sweep(timezone.now() + timedelta(days=365 * 30)) > 0
    remaining = AccessLogEntry.objects.filter(clinic=clinic)
    assert not remaining.filter(at__lt=at(2020)).exists()
    assert {(r.object_type, r.purpose) for r in remaining} == {("access_log", "retention")}
    assert list(verify_clinic_chain(clinic)) == []


def test_req10_a_period_below_the_minimum_is_refused_and_a_longer_one_is_kept(se, make_clinic):
    """REQ-10: the clinic may keep its log longer, never shorter than 5 years (SE)."""
    clinic, owner, _person, _other = se
    with translation.override("en"), pytest.raises(ValidationFailed) as refused:
        retention.setting_save(actor=owner, record_type="access_log", months=59)
    assert "at least 5 years" in refused.value.message
    retention.setting_save(actor=owner, record_type="access_log", months=72)
    assert _sweep(at(2022, 6, 2)) == 0  # 6 years now
    assert _sweep(at(2023, 6, 2)) > 0
    assert list(verify_clinic_chain(clinic)) == []


@pytest.mark.parametrize(
    ("kind", "regime", "minimum", "verified"),
    [
        ("optician", "SE-human", 60, True),
        ("vet", "SE-vet", 60, True),
        ("dental", "NO-human", 60, False),
        ("vet", "NO-vet", 60, False),
        ("therapy", "GDPR-only", 24, False),
    ],
)
def test_req10_the_access_log_policy_per_regime(make_clinic, kind, regime, minimum, verified):
    """REQ-10: 5 years by default in every regime, deleted by the sweep; the minimum and
    whether the rule is verified depend on the regime."""
    overrides = {"slug": f"t-{regime.lower()}", "regime": regime}
    if regime == "SE-vet":
        overrides["country"] = "SE"
    policy = retention.policy_for(make_clinic(kind, **overrides), "access_log")
    assert (policy.months, policy.trigger, policy.action, policy.editable) == (
        60,
        "created",
        "delete",
        True,
    )
    assert (policy.min_months, policy.verified) == (minimum, verified) and policy.law
    assert policy.automatic


def _refused(run) -> None:
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        run()


def test_req21_other_deletes_are_still_refused_and_tampering_is_found(se):
    """REQ-21: the cut is the only way rows go: a delete or an edit of a row or of a cut
    is refused by the database; done round the triggers, verification finds it."""
    clinic, _owner, _person, _other = se
    _sweep(at(2022, 6, 2))
    cut = ChainCut.objects.get(clinic=clinic)
    _refused(lambda: AccessLogEntry.objects.filter(clinic=clinic).first().delete())
    _refused(lambda: ChainCut.objects.filter(pk=cut.pk).update(count=1))
    _refused(lambda: ChainCut.objects.filter(pk=cut.pk).delete())

    # A forged seal (or count) is found.
    _tamper_cut("UPDATE audit_chaincut SET count = count + 1 WHERE id = %s", [cut.pk])
    problems = [str(p) for p in verify_clinic_chain(clinic)]
    assert problems == [f"{clinic.slug}: sealed cut 1..{cut.seq}: sealed cut was altered"]


def test_req21_a_row_deleted_after_the_cut_or_a_dropped_cut_is_found(se):
    clinic, _owner, _person, _other = se
    _sweep(at(2022, 6, 2))
    cut = ChainCut.objects.get(clinic=clinic)
    first = AccessLogEntry.objects.filter(clinic=clinic).order_by("seq").first()
    assert first.seq == cut.seq + 1 and first.prev_hash == cut.hash
    tamper("DELETE FROM audit_accesslogentry WHERE id = %s", [first.pk])
    problems = [str(p) for p in verify_clinic_chain(clinic)]
    assert any(f"expected row {cut.seq + 1} (missing)" in p for p in problems), problems


def test_req21_a_dropped_cut_leaves_rows_missing(se):
    clinic, _owner, _person, _other = se
    _sweep(at(2022, 6, 2))
    cut = ChainCut.objects.get(clinic=clinic)
    _tamper_cut("DELETE FROM audit_chaincut WHERE id = %s", [cut.pk])
    problems = [str(p) for p in verify_clinic_chain(clinic)]
    assert any("expected row 1 (missing)" in p for p in problems), problems


def _tamper_cut(sql: str, params) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
            cursor.execute(sql, params)
            cursor.execute("SET session_replication_role = DEFAULT")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS audit_chaincut_append_only_update")
            cursor.execute("DROP TRIGGER IF EXISTS audit_chaincut_append_only_delete")
            cursor.execute(sql, params)


def test_req10_a_held_persons_rows_stay_and_the_cut_stops_before_them(
    make_clinic, make_actor, make_person
):
    """REQ-11: a legal hold keeps the person's log rows. The cut is by row number, so
    it stops before the held person's first row; the rest goes once the hold ends."""
    with clock(at(2017, 1, 1)):
        clinic = make_clinic("optician")
        owner = make_actor(clinic)
        person = make_person(owner, first_name="Greta")
        held = make_person(owner, first_name="Olle")
    with clock(at(2017, 6, 1)):
        _read(owner, person.pk, 3)
    with clock(at(2017, 7, 1)):
        _read(owner, held.pk, 2)
    with clock(at(2017, 8, 1)):
        _read(owner, person.pk, 1)
    with clock(at(2019, 6, 1)):
        _read(owner, person.pk, 1)
    rows = AccessLogEntry.objects.filter(clinic=clinic, person_id=held.pk).order_by("seq")
    first_held = rows.first().seq  # registering them, in 2017
    hold = retention.hold_place(actor=owner, reason="Complaint under review", person=held)
    kept = rows.count()
    assert _sweep(at(2023, 6, 2)) == first_held - 1
    assert rows.count() == kept
    assert not AccessLogEntry.objects.filter(clinic=clinic, seq__lt=first_held).exists()
    assert AccessLogEntry.objects.filter(clinic=clinic, at__lt=at(2018)).count() > 2
    assert list(verify_clinic_chain(clinic)) == []
    assert _sweep(at(2023, 6, 2)) == 0  # still held
    retention.hold_release(actor=owner, hold_id=hold.pk)
    assert _sweep(at(2023, 6, 2)) > 0  # the held rows and the rows after them
    assert not AccessLogEntry.objects.filter(clinic=clinic, at__lt=at(2018)).exists()
    assert AccessLogEntry.objects.filter(clinic=clinic, at=at(2019, 6, 1)).count() == 1
    assert list(verify_clinic_chain(clinic)) == []


def test_req27_erasure_keeps_the_log_with_its_law_and_end(se):
    """REQ-27: erasure keeps the log (Art. 17(3)(b)); the answer says until when."""
    clinic, _owner, person, _other = se
    plan = plan_erasure(clinic, person, now=at(2020, 3, 15))
    decision = next(d for d in plan.decisions if d.key == "access_log")
    assert decision.action == KEEP
    assert decision.count == AccessLogEntry.objects.filter(person_id=person.pk).count()
    assert decision.until == at(2025, 3, 15).date()
    assert "HSLF-FS 2016:40" in decision.law
    with translation.override("en"):
        assert decision.label == "Log of who accessed your data"
        assert "reference numbers" in decision.reason()


# --- The log extract (REQ-23) ----------------------------------------------------------

CODES = {
    "read", "create", "update", "delete", "export", "list", "search", "print", "disclose",
    "owner", "practitioner", "receptionist", "system", "person", "privacy_request",
    "consent", "journal_entry", "ui", "api", "public", "cli", "access request", "care",
}  # fmt: skip


@pytest.fixture
def busy(make_clinic, make_actor, make_person, make_staff):
    """A person with 520 staff accesses and a few automatic and online ones."""
    clinic = make_clinic("optician")
    owner = make_actor(clinic)
    practitioner = make_actor(clinic, "practitioner")
    practitioner.user.title = "Leg. optiker"
    practitioner.user.save(update_fields=["title"])
    person = make_person(owner, first_name="Greta")
    pid = person.pk
    log_accesses(
        practitioner,
        [Access(Action.READ, "journal_entry", 1, person_id=pid, purpose="care")] * 500,
    )
    log_accesses(
        owner,
        [
            Access(Action.CREATE, "privacy_request", 7, person_id=pid, purpose="privacy request"),
            Access(Action.EXPORT, "person", pid, person_id=pid, purpose="access request"),
        ]
        * 10,
    )
    log_access(
        system_actor(clinic),
        Access(Action.DELETE, "consent", "", person_id=pid, purpose="retention"),
    )
    log_access(
        system_actor(clinic, channel="public"),
        Access(Action.CREATE, "appointment", 3, person_id=pid, purpose="online booking"),
    )
    return clinic, owner, practitioner, person


@pytest.mark.parametrize("language", ["sv", "nb", "en"])
def test_req23_the_extract_lists_every_row_in_words(busy, language, django_assert_max_num_queries):
    """REQ-23: every row (more than 500), newest first, staff by name, title and role;
    no code, no e-mail address, no "system" in any language."""
    clinic, owner, practitioner, person = busy
    total = AccessLogEntry.objects.filter(clinic=clinic, person_id=person.pk).count()
    assert total > 520
    subject = Subject(clinic=clinic, person=person, actor=owner)
    with translation.override(language), django_assert_max_num_queries(3):
        section = log_extract(subject)
    assert section.key == "access_log" and not section.portable
    assert len(section.items) == total
    times = [item["at"] for item in section.items]
    assert all(isinstance(t, datetime) for t in times) and times == sorted(times, reverse=True)
    for item in section.items:
        assert set(item) == set(section.columns)
        for value in item.values():
            if isinstance(value, str):
                assert value.strip() not in CODES, (language, item)
                assert "@" not in value and "system" not in value.lower(), (language, item)
                assert "_" not in value, (language, item)
    names = {item["staff"] for item in section.items}
    assert {owner.user.full_name, practitioner.user.full_name} <= names
    care = next(i for i in section.items if i["staff"] == practitioner.user.full_name)
    assert care["title"] == "Leg. optiker"
    with translation.override(language):
        assert care["role"] == str(Role.PRACTITIONER.label)
        assert care["action"] == str(Action.READ.label)
    staff = {owner.user.full_name, practitioner.user.full_name}
    automatic = [i for i in section.items if i["staff"] not in staff]
    assert len(automatic) == 2  # the sweep's row and the online booking's
    assert all(i["role"] and i["channel"] for i in automatic)


def test_req23_the_extract_speaks_the_readers_language(busy):
    clinic, owner, _practitioner, person = busy
    subject = Subject(clinic=clinic, person=person, actor=owner)
    with translation.override("sv"):
        sv = log_extract(subject)
    with translation.override("en"):
        en = log_extract(subject)
    assert sv.columns["at"] == "Tid" and en.columns["at"] == "Time"
    assert sv.title != en.title
    reads = {i["action"] for i in sv.items if i["record"] == "Journalanteckning"}
    assert reads == {"Läsning"}
    automatic_en = [i for i in en.items if i["role"] == "Praksis (automatic)"]
    assert {i["staff"] for i in automatic_en} == {
        "Praksis (automatic)",
        "Online form or link (not staff)",
    }


def test_req20_a_norwegian_extract_has_the_hpr_number(make_clinic, make_actor, make_person):
    """REQ-20 (NO): the HPR number of the health personnel who looked."""
    clinic = make_clinic("dental")
    owner = make_actor(clinic)
    owner.user.hpr_number = "1234567"
    owner.user.save(update_fields=["hpr_number"])
    person = make_person(owner)
    _read(owner, person.pk)
    with translation.override("nb"):
        section = log_extract(Subject(clinic=clinic, person=person, actor=owner))
    assert "hpr" in section.columns
    assert {i["hpr"] for i in section.items} == {"1234567"}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="lanes are a PostgreSQL matter")
@pytest.mark.django_db(transaction=True)
def test_req10_each_lane_is_cut_on_its_own(make_clinic, make_actor):
    """REQ-10/REQ-21 on PostgreSQL: every lane of a clinic's log is cut and sealed on its
    own; a lane cut to its end stays verifiable, and later rows chain on from the cut."""
    from tests.audit.test_log_lanes import _while_a_lane_is_held

    with clock(at(2017, 1, 1)):
        clinic = make_clinic("optician")
        owner = make_actor(clinic)
    with clock(at(2017, 6, 1)):
        _while_a_lane_is_held(owner, lambda: _read(owner, 2))
    with clock(at(2019, 6, 1)):
        _read(owner, 3)
    lanes = set(AccessLogEntry.objects.filter(clinic=clinic).values_list("seq", flat=True))
    assert {seq // LANE_SPAN for seq in lanes} == {0, 1}
    assert _sweep(at(2023, 6, 2)) == len(lanes) - 1
    assert sorted(ChainCut.objects.filter(clinic=clinic).values_list("lane", flat=True)) == [0, 1]
    assert list(verify_clinic_chain(clinic)) == []
    with clock(at(2023, 7, 1)):
        _while_a_lane_is_held(owner, lambda: _read(owner, 4))  # lane 1 again, after its cut
    assert list(verify_clinic_chain(clinic)) == []


def test_req10_the_retention_page_shows_the_access_log_rule(se, make_staff, settings):
    """REQ-10/REQ-11: the owner's retention page lists the access log's period with its
    law, lets the owner lengthen it, and shows the sweep rule with what is due."""
    from django.test import Client

    from tests.conftest import speaks

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    clinic, _owner, _person, _other = se
    client = Client()
    client.force_login(speaks(make_staff(clinic, "owner", email="boss@test-optik.test"), "en"))
    body = client.get("/staff/retention/").content.decode()
    policy = body.split('id="policy-access_log"', 1)[1].split("</tr>", 1)[0]
    assert "HSLF-FS 2016:40" in policy and 'id="months-access_log"' in policy
    rule = body.split("<code>access-log</code>", 1)[1].split("</tr>", 1)[0]
    assert "Access log" in rule
    response = client.post(
        "/staff/retention/settings/", {"record_type": "access_log", "months": "48"}
    )
    assert response.status_code == 422
    assert "The law requires at least 5 years" in response.content.decode()
