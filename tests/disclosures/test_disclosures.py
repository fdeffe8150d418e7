"""The disclosure and referral log: who received what, on which basis or consent.

REQ-19 (disclosures and prints are access-logged), REQ-25 (recipients in the access
report), REQ-28 (restriction), REQ-29 (consent to a named recipient, withdrawal effective
at once), REQ-33 (journal content only from journal roles), REQ-47 (reports to the
food-safety authority), seeds 003/004 (referrals only with the patient's consent, sent
encrypted or by post).
"""

from __future__ import annotations

import io
import re

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from pypdf import PdfReader

from praksis.audit.models import AccessLogEntry
from praksis.disclosures.models import Disclosure
from praksis.disclosures.selectors import disclosures_for_person, recipients_of
from praksis.journal.services import entry_create, followup_add
from praksis.people.services import animal_create
from praksis.privacy.models import Consent
from praksis.privacy.services import consent_give, restriction_set

SPECIALIST = "Oslo Kjeveklinikk"


def _pdf_text(content: bytes) -> str:
    """The PDF's text with line breaks and runs of spaces folded into single spaces (a
    word broken after its hyphen at a line end is joined again)."""
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return re.sub(r"(\w-)\s+(?=\w)", r"\1", " ".join(text.split()))


def give_disclosure_consent(actor, person, third_party: str) -> Consent:
    """The patient's consent to disclosure naming one recipient (recorded at the desk)."""
    consent = consent_give(
        actor=actor,
        person_id=person.pk,
        purpose="disclosure",
        text_version="henvisning-v1",
        text_shown=f"Jeg samtykker i at henvisning sendes til {third_party}.",
        third_party=third_party,
    )
    return consent


@pytest.fixture
def dental(make_clinic):
    return make_clinic("dental")


@pytest.fixture
def dentist(dental, make_actor):
    return make_actor(dental, "practitioner")


@pytest.fixture
def patient(dental, dentist, make_person):
    return make_person(
        dentist,
        first_name="Ingrid",
        last_name="Haugland",
        email="ingrid@example.com",
        address="Storgata 1, 0155 Oslo",
    )


def referral(person, **overrides) -> dict:
    return {
        "person": person.pk,
        "kind": "referral",
        "recipient_name": SPECIALIST,
        "recipient_address": "Postboks 1, 0101 Oslo",
        "description": "Henvisning med røntgenbeskrivelse",
        "reason": "Vurdering av kjeveortopedisk behandling, underbitt.",
        "channel": "encrypted_email",
        **overrides,
    }


def test_req29_referral_without_consent_is_refused(dental, patient, make_api):
    """REQ-29 / seed 003: a referral leaves only with the patient's consent."""
    api = make_api(dental, "practitioner")
    response = api.post("disclosures", referral(patient))
    assert response.status_code == 422
    assert "consent" in response.json()["errors"]
    assert "consent" in response.json()["errors"]["consent"][0]
    assert not Disclosure.objects.exists()
    assert not AccessLogEntry.objects.filter(action="disclose").exists()


def test_req29_referral_with_consent_to_that_recipient_is_recorded_and_logged(
    dental, dentist, patient, make_api
):
    """REQ-29, REQ-19: a consent naming the recipient (any case, stray spaces) allows it;
    the disclosure is logged as "disclose" against the person."""
    consent = give_disclosure_consent(dentist, patient, "  oslo   KJEVEKLINIKK ")
    api = make_api(dental, "practitioner")
    response = api.post("disclosures", referral(patient))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["basis"] == "consent" and body["consent"] == consent.pk
    assert body["recipient_name"] == SPECIALIST and body["channel"] == "encrypted_email"
    assert body["recorded_by"] == "Practitioner of Test Tannhelse"
    log = AccessLogEntry.objects.get(action="disclose")
    assert (log.person_id, log.object_type, log.object_id) == (
        patient.pk,
        "disclosure",
        str(body["id"]),
    )
    assert SPECIALIST not in log.detail  # no names in the log's detail
    assert api.get(f"disclosures/{body['id']}").json() == body
    listed = api.get("disclosures", person=patient.pk).json()
    assert [d["id"] for d in listed["items"]] == [body["id"]]


def test_req29_consent_to_another_recipient_refuses(dental, dentist, patient, make_api):
    """REQ-29: consent is granular — a consent naming one recipient allows no other."""
    other = give_disclosure_consent(dentist, patient, "Bergen Tannklinikk")
    api = make_api(dental, "practitioner")
    automatic = api.post("disclosures", referral(patient))
    assert automatic.status_code == 422 and "consent" in automatic.json()["errors"]
    named = api.post("disclosures", referral(patient, consent=other.pk))
    assert named.status_code == 422
    assert "another recipient" in named.json()["errors"]["consent"][0]
    marketing = consent_give(
        actor=dentist, person_id=patient.pk, purpose="marketing_email",
        text_version="v1", text_shown="Nyhetsbrev",
    )  # fmt: skip
    wrong_purpose = api.post("disclosures", referral(patient, consent=marketing.pk))
    assert wrong_purpose.status_code == 422
    assert not Disclosure.objects.exists()


def test_req29_withdrawn_consent_blocks_the_next_disclosure_at_once(
    dental, dentist, patient, make_api
):
    """REQ-29: withdrawing is as easy as giving, and effective for the very next try."""
    consent = give_disclosure_consent(dentist, patient, SPECIALIST)
    api = make_api(dental, "practitioner")
    assert api.post("disclosures", referral(patient)).status_code == 201
    desk = make_api(dental, "receptionist")
    assert desk.post(f"consents/{consent.pk}/withdraw").status_code == 200
    again = api.post("disclosures", referral(patient))
    assert again.status_code == 422 and "consent" in again.json()["errors"]
    named = api.post("disclosures", referral(patient, consent=consent.pk))
    assert named.status_code == 422 and "withdrawn" in named.json()["errors"]["consent"][0]
    assert Disclosure.objects.count() == 1


def test_req47_legal_obligation_kinds_need_their_basis_cited(make_clinic, make_actor, make_api):
    """REQ-47 / vet seed: a report to Mattilsynet rests on a legal obligation, which is
    cited; a police disclosure names the legal order; neither may rest on another basis."""
    vet_clinic = make_clinic("vet")
    vet = make_actor(vet_clinic, "practitioner")
    from praksis.people.services import person_create

    owner_person, _ = person_create(actor=vet, data={"first_name": "Per", "last_name": "Bonde"})
    api = make_api(vet_clinic, "practitioner")
    report = {
        "person": owner_person.pk,
        "kind": "food_safety",
        "recipient_name": "Mattilsynet",
        "description": "Melding om mistanke om smittsom sjukdom hos storfe",
        "channel": "portal",
    }
    missing = api.post("disclosures", report)
    assert missing.status_code == 422 and "basis_text" in missing.json()["errors"]
    wrong = api.post("disclosures", {**report, "basis": "consent"})
    assert wrong.status_code == 422 and "basis" in wrong.json()["errors"]
    cited = api.post("disclosures", {**report, "basis_text": "Dyrehelsepersonelloven § 20"})
    assert cited.status_code == 201
    assert cited.json()["basis"] == "legal_obligation"
    police = {
        "person": owner_person.pk,
        "kind": "police",
        "recipient_name": "Politiet, Vest politidistrikt",
        "description": "Journalkopi",
        "channel": "post",
    }
    assert api.post("disclosures", police).status_code == 422
    ordered = api.post("disclosures", {**police, "basis_text": "Kjennelse 24-123456ENE-TBER"})
    assert ordered.status_code == 201
    assert Disclosure.objects.count() == 2
    # The database refuses an uncited legal basis too.
    with pytest.raises(IntegrityError), transaction.atomic():
        Disclosure.objects.create(
            clinic=vet_clinic, person=owner_person, kind="police", recipient_name="X",
            description="Y", basis="legal_obligation", basis_text="", channel="post",
            recorded_by_name="Z",
        )  # fmt: skip


def test_req28_restricted_person_is_disclosed_only_on_a_legal_basis(
    dental, dentist, patient, make_actor, make_api
):
    """REQ-28 (Art. 18(2)): a restricted person's data leaves only under a legal obligation
    or claim, or with a consent given after the restriction began."""
    give_disclosure_consent(dentist, patient, SPECIALIST)
    restriction_set(actor=make_actor(dental, "owner"), person_id=patient.pk, reason="Art. 18(1)(a)")
    api = make_api(dental, "practitioner")
    refused = api.post("disclosures", referral(patient))
    assert refused.status_code == 409
    assert "restricted" in refused.json()["detail"]
    assert not Disclosure.objects.exists()
    legal = api.post(
        "disclosures",
        {
            "person": patient.pk, "kind": "police", "recipient_name": "Oslo politidistrikt",
            "description": "Journalkopi", "channel": "post",
            "basis_text": "Beslutning om utlevering, sak 24-999",
        },
    )  # fmt: skip
    assert legal.status_code == 201
    fresh = give_disclosure_consent(dentist, patient, SPECIALIST)
    allowed = api.post("disclosures", referral(patient))
    assert allowed.status_code == 201 and allowed.json()["consent"] == fresh.pk


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_req12_a_disclosure_is_never_edited_or_deleted(method, dental, dentist, patient, make_api):
    """REQ-12 (applied to the log): no update or delete; the database refuses it too; a
    correction is a new row naming the one it corrects."""
    give_disclosure_consent(dentist, patient, SPECIALIST)
    api = make_api(dental, "practitioner")
    first = api.post("disclosures", referral(patient)).json()
    response = api.call(method, f"disclosures/{first['id']}", {"recipient_name": "X"})
    assert response.status_code == 405
    row = Disclosure.objects.get(pk=first["id"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Disclosure.objects.filter(pk=row.pk).update(recipient_name="Someone else")
    with pytest.raises(IntegrityError), transaction.atomic():
        Disclosure.objects.filter(pk=row.pk).delete()
    fixed = api.post(
        "disclosures",
        referral(patient, corrects=first["id"], description="Henvisning (rettet vedlegg)"),
    )
    assert fixed.status_code == 201 and fixed.json()["corrects"] == first["id"]
    assert Disclosure.objects.get(pk=first["id"]).recipient_name == SPECIALIST


def test_referral_letter_carries_the_referral_and_its_journal_entries(
    dental, dentist, patient, make_api
):
    """REQ-19, REQ-12: the letter has the letterhead, patient, recipient, question, the
    chosen signed entry with its amendment, and the consent; printing is logged with its
    purpose, and the journal print too."""
    consent = give_disclosure_consent(dentist, patient, SPECIALIST)
    entry = entry_create(
        actor=dentist, person_id=patient.pk, text="Klasse III-bitt, kryssbitt 36.", sign=True
    )
    followup_add(
        actor=dentist, entry_id=entry.pk, kind="amendment",
        text="Rettelse: kryssbitt 46.", reason="Feil tann",
    )  # fmt: skip
    entry_create(actor=dentist, person_id=patient.pk, text="Ikke med i henvisningen.", sign=True)
    api = make_api(dental, "practitioner")
    created = api.post("disclosures", referral(patient, journal_entries=[entry.pk]))
    assert created.status_code == 201, created.content
    disclosure_id = created.json()["id"]
    response = api.get(f"disclosures/{disclosure_id}/referral.pdf", purpose="henvisning")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content)
    for expected in (
        "Test Tannhelse",
        "Ingrid Haugland",
        SPECIALIST,
        "Vurdering av kjeveortopedisk behandling",
        "Klasse III-bitt",
        "Rettelse: kryssbitt 46.",
        "henvisning-v1",
        f"{consent.pk}",
    ):
        assert expected in text, expected
    assert "Ikke med i henvisningen" not in text
    printed = AccessLogEntry.objects.filter(action="print", person_id=patient.pk)
    assert {(p.object_type, p.purpose) for p in printed} == {
        ("disclosure", "henvisning"),
        ("journal", "henvisning"),
    }


def test_req33_journal_entries_only_signed_and_of_this_patient(
    dental, dentist, patient, make_person, make_api
):
    """REQ-13, REQ-33: only signed entries of the patient may be sent."""
    give_disclosure_consent(dentist, patient, SPECIALIST)
    draft = entry_create(actor=dentist, person_id=patient.pk, text="Utkast", sign=False)
    other = make_person(dentist, first_name="Kari", last_name="Nordmann")
    theirs = entry_create(actor=dentist, person_id=other.pk, text="Annen pasient", sign=True)
    api = make_api(dental, "practitioner")
    for ids in ([draft.pk], [theirs.pk], ["x"]):
        response = api.post("disclosures", referral(patient, journal_entries=ids))
        assert response.status_code == 422 and "journal_entries" in response.json()["errors"]
    assert not Disclosure.objects.exists()


def test_req33_receptionist_records_only_disclosures_without_journal_content(
    dental, dentist, patient, make_api
):
    """REQ-33: the desk may record an insurance report (no journal content) but may not
    send journal entries, print a letter carrying them, or read the clinic-wide log."""
    give_disclosure_consent(dentist, patient, "Gjensidige Forsikring")
    give_disclosure_consent(dentist, patient, SPECIALIST)
    entry = entry_create(
        actor=dentist, person_id=patient.pk, text="Tannskade etter fall.", sign=True
    )
    desk = make_api(dental, "receptionist")
    insurer = {
        "person": patient.pk, "kind": "insurer", "recipient_name": "Gjensidige forsikring",
        "description": "Behandlingsdato og faktura for skadesak", "channel": "portal",
    }  # fmt: skip
    plain = desk.post("disclosures", insurer)
    assert plain.status_code == 201 and plain.json()["basis"] == "consent"
    assert desk.get(f"disclosures/{plain.json()['id']}/referral.pdf").status_code == 200
    with_journal = desk.post("disclosures", {**insurer, "journal_entries": [entry.pk]})
    assert with_journal.status_code == 403
    assert Disclosure.objects.count() == 1
    clinical = make_api(dental, "practitioner").post(
        "disclosures", referral(patient, journal_entries=[entry.pk])
    )
    assert clinical.status_code == 201
    assert desk.get(f"disclosures/{clinical.json()['id']}/referral.pdf").status_code == 403
    assert desk.get("disclosures").status_code == 403
    assert desk.get("disclosures", person=patient.pk).json()["count"] == 2
    assert make_api(dental, "owner").get("disclosures").json()["count"] == 2


def test_req25_disclosures_appear_in_the_access_report(dental, dentist, patient, make_api):
    """REQ-25 (Art. 15(1)(c)): the access report names the recipients of the data."""
    give_disclosure_consent(dentist, patient, SPECIALIST)
    api = make_api(dental, "practitioner")
    assert api.post("disclosures", referral(patient)).status_code == 201
    owner = make_api(dental, "owner")
    request_id = owner.post("privacy-requests", {"person": patient.pk, "kind": "access"}).json()[
        "id"
    ]
    report = owner.get(f"privacy-requests/{request_id}/report.pdf")
    assert report.status_code == 200
    text = _pdf_text(report.content)
    assert SPECIALIST in text
    assert "Henvisning med røntgenbeskrivelse" in text


def test_recipients_of_gives_each_recipient_once_with_the_latest_channel(
    dental, dentist, patient, make_api
):
    """REQ-28 (Art. 19): the recipients to tell after rectification, erasure or restriction."""
    give_disclosure_consent(dentist, patient, SPECIALIST)
    api = make_api(dental, "practitioner")
    api.post("disclosures", referral(patient, channel="post"))
    api.post("disclosures", referral(patient, recipient_name=" oslo kjeveklinikk"))
    api.post(
        "disclosures",
        {
            "person": patient.pk, "kind": "police", "recipient_name": "Oslo politidistrikt",
            "description": "Journalkopi", "channel": "post", "basis_text": "Kjennelse 1",
        },
    )  # fmt: skip
    recipients = recipients_of(dental, patient.pk)
    assert [(r.name.strip(), r.channel) for r in recipients] == [
        ("Oslo politidistrikt", "post"),
        ("oslo kjeveklinikk", "encrypted_email"),
    ]
    assert len(disclosures_for_person(dental, patient.pk)) == 3


def test_vet_referral_of_an_animal_with_its_journal(make_clinic, make_actor, make_api):
    """Vet seed: a referral to a specialist is part of the owner's assignment (contract);
    the animal's signed entries go along, and the letter names the animal and owner."""
    clinic = make_clinic("vet")
    vet = make_actor(clinic, "practitioner")
    from praksis.people.services import person_create

    owner_person, _ = person_create(actor=vet, data={"first_name": "Siri", "last_name": "Lund"})
    dog = animal_create(actor=vet, owner_ids=[owner_person.pk], name="Bamse", species="dog")
    entry = entry_create(actor=vet, animal_id=dog.pk, text="Halthet venstre bakbein.", sign=True)
    api = make_api(clinic, "practitioner")
    payload = {
        "person": owner_person.pk, "animal": dog.pk, "kind": "referral",
        "recipient_name": "Dyresykehuset Oslo", "description": "Henvisning med journal",
        "reason": "Ortopedisk vurdering", "channel": "encrypted_email",
        "journal_entries": [entry.pk],
    }  # fmt: skip
    created = api.post("disclosures", payload)
    assert created.status_code == 201, created.content
    assert created.json()["basis"] == "contract"
    text = _pdf_text(api.get(f"disclosures/{created.json()['id']}/referral.pdf").content)
    assert "Bamse" in text and "Siri Lund" in text and "Halthet venstre bakbein" in text
    neighbour, _ = person_create(actor=vet, data={"first_name": "Ola", "last_name": "Nabo"})
    stranger = animal_create(actor=vet, owner_ids=[neighbour.pk], name="Pusur", species="cat")
    wrong = api.post("disclosures", {**payload, "animal": stranger.pk, "journal_entries": []})
    assert wrong.status_code == 422 and "animal" in wrong.json()["errors"]


def test_another_clinic_sees_nothing(dental, dentist, patient, make_clinic, make_api):
    """Tenancy: another clinic's owner gets 404 and cannot record against the person."""
    give_disclosure_consent(dentist, patient, SPECIALIST)
    created = make_api(dental, "practitioner").post("disclosures", referral(patient)).json()
    outsider = make_api(make_clinic("other"), "owner")
    assert outsider.get(f"disclosures/{created['id']}").status_code == 404
    assert outsider.get(f"disclosures/{created['id']}/referral.pdf").status_code == 404
    assert outsider.get("disclosures", person=patient.pk).status_code == 404
    assert outsider.get("disclosures").json()["count"] == 0
    attempt = outsider.post("disclosures", referral(patient))
    assert attempt.status_code == 422 and "person" in attempt.json()["errors"]
    assert Disclosure.objects.count() == 1


def test_bad_input_is_422_with_field_errors(dental, patient, make_api):
    """Bad input never reaches the log: one message per field."""
    api = make_api(dental, "practitioner")
    response = api.post(
        "disclosures",
        {"person": patient.pk, "kind": "gossip", "channel": "fax", "disclosed_at": "soon"},
    )
    assert response.status_code == 422
    assert {"kind", "recipient_name", "description", "channel", "disclosed_at"} <= set(
        response.json()["errors"]
    )
    future = api.post("disclosures", referral(patient, disclosed_at="2999-01-01T10:00:00+01:00"))
    assert future.status_code == 422 and "disclosed_at" in future.json()["errors"]


# --- Staff pages -------------------------------------------------------------------------


@pytest.fixture
def ui(dental, make_staff):
    def login(role: str) -> Client:
        client = Client()
        client.force_login(make_staff(dental, role))
        return client

    return login


def test_the_form_keeps_what_was_typed_and_records_with_consent(dental, dentist, patient, ui):
    """Seed 003 / REQ-29 in the staff UI: refused without consent with the message at the
    field and the typed text kept; recorded once the consent exists."""
    page = ui("practitioner")
    url = f"/staff/persons/{patient.pk}/disclosures/"
    assert f'href="{url}"' in page.get(f"/staff/persons/{patient.pk}/").content.decode()
    typed = {
        "kind": "referral", "recipient_name": SPECIALIST, "recipient_address": "Postboks 1",
        "description": "Henvisning", "reason": "Spørsmål om underbitt", "channel": "post",
    }  # fmt: skip
    refused = page.post(url, typed, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 422
    body = refused.content.decode()
    assert 'id="err_consent"' in body
    assert f'value="{SPECIALIST}"' in body and "Spørsmål om underbitt" in body
    assert not Disclosure.objects.exists()
    give_disclosure_consent(dentist, patient, SPECIALIST)
    recorded = page.post(url, typed)
    assert recorded.status_code == 302
    disclosure = Disclosure.objects.get()
    assert recorded["Location"] == f"{url}?recorded={disclosure.pk}"
    listing = page.get(recorded["Location"]).content.decode()
    assert SPECIALIST in listing and f"/staff/disclosures/{disclosure.pk}/letter.pdf" in listing
    letter = page.get(f"/staff/disclosures/{disclosure.pk}/letter.pdf")
    assert letter.status_code == 200 and "Spørsmål om underbitt" in _pdf_text(letter.content)


def test_the_clinic_wide_log_is_the_owners(dental, dentist, patient, ui):
    """REQ-19/REQ-22: the owner reviews every disclosure; the desk sees only per person."""
    give_disclosure_consent(dentist, patient, SPECIALIST)
    ui("practitioner").post(
        f"/staff/persons/{patient.pk}/disclosures/",
        {"kind": "referral", "recipient_name": SPECIALIST, "description": "Henvisning",
         "reason": "Vurdering", "channel": "post"},
    )  # fmt: skip
    owner_page = ui("owner").get("/staff/disclosures/")
    assert owner_page.status_code == 200
    assert "Ingrid Haugland" in owner_page.content.decode()
    desk = ui("receptionist")
    assert desk.get("/staff/disclosures/").status_code == 403
    person_page = desk.get(f"/staff/persons/{patient.pk}/disclosures/")
    assert person_page.status_code == 200 and SPECIALIST in person_page.content.decode()
    assert 'name="journal_entries"' not in person_page.content.decode()


def test_the_log_costs_the_same_for_3_or_30_disclosures(dental, dentist, patient, make_api, ui):
    """No N+1: the person's list, the clinic log (API and page) cost constant queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from praksis.disclosures.services import disclosure_record

    entry = entry_create(actor=dentist, person_id=patient.pk, text="Funn", sign=True)
    owner_api = make_api(dental, "owner")
    owner_page = ui("owner")

    def add(n: int) -> None:
        for i in range(n):
            disclosure_record(
                actor=dentist, person_id=patient.pk, kind="lab_sample",
                recipient_name=f"Lab {i}", description="Biopsi", channel="post",
                journal_entry_ids=[entry.pk],
            )  # fmt: skip

    def count(call) -> int:
        call()
        with CaptureQueriesContext(connection) as ctx:
            assert call().status_code == 200
        return len(ctx.captured_queries)

    calls = [
        lambda: owner_api.get("disclosures", person=patient.pk),
        lambda: owner_api.get("disclosures"),
        lambda: owner_page.get("/staff/disclosures/"),
        lambda: owner_page.get(f"/staff/persons/{patient.pk}/disclosures/"),
    ]
    add(3)
    few = [count(c) for c in calls]
    add(27)
    assert [count(c) for c in calls] == few
