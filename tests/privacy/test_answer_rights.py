"""Every answer, extension and refusal of a data-subject request names the supervisory
authority of the clinic's country and the right to go to court (REQ-24, REQ-45) — not only
erasure answers; an answer to a request for correction names the health-law channel too
(REQ-15, REQ-46: Statsforvalteren under helsepersonelloven § 42 in Norway, IVO in
Sweden). The words come from one place, ``praksis.privacy.rights``."""

from __future__ import annotations

import pytest
from django.utils import translation

from praksis.core.errors import ValidationFailed
from praksis.messaging.models import OutboxMessage
from praksis.privacy.erasure import compose_answer, plan_erasure
from praksis.privacy.models import DataSubjectRequest
from praksis.privacy.requests import request_answer, request_create, request_extend
from praksis.privacy.rights import REFUSED, rights_paragraph

pytestmark = pytest.mark.django_db

# What each country's paragraph must name: the authority, how to complain or appeal.
NAMES = {
    "SE": ["Integritetsskyddsmyndigheten (IMY)", "Lämna ett klagomål", "imy.se"],
    "NO": ["Datatilsynet", "Personvernnemnda", "datatilsynet.no"],
}
OTHER = {"SE": ["Datatilsynet", "Personvernnemnda"], "NO": ["IMY", "Integritetsskyddsmyndigheten"]}
KINDS = ["access", "rectification", "erasure", "restriction", "objection", "portability"]
CLINICS = ["optician", "dental"]  # SE-human, NO-human


@pytest.fixture
def world(request, make_clinic, make_actor, make_person):
    clinic = make_clinic(request.param)
    owner = make_actor(clinic, "owner")
    person = make_person(owner, first_name="Siri", last_name="Lind", email="siri@example.com")
    return clinic, owner, person


def _assert_rights(text: str, clinic, *, kind: str = "") -> None:
    for name in NAMES[clinic.country]:
        assert name in text, (clinic.country, kind, name)
    for name in OTHER[clinic.country]:
        assert name not in text, (clinic.country, kind, name)
    assert "77" in text and "79" in text  # the authority and the court (GDPR art. 77, 79)


def _message(request) -> str:
    return (
        OutboxMessage.objects.filter(related_type="privacy_request", related_id=str(request.pk))
        .order_by("-pk")
        .first()
        .body
    )


@pytest.mark.parametrize("world", CLINICS, indirect=True)
@pytest.mark.parametrize("kind", KINDS)
def test_req24_req45_every_kind_of_answer_names_the_authority_and_the_court(world, kind):
    """REQ-24, REQ-45: access, rectification, erasure, restriction, objection and
    portability answers, in SE and NO: the answer the requester reads and the message that
    brings it name the country's authority (and how to reach it) and the court."""
    clinic, owner, person = world
    request = request_create(actor=owner, person_id=person.pk, kind=kind)
    written = "" if kind in ("access", "portability") else "Vi har gjort det du bad om."
    request_answer(actor=owner, request_id=request.pk, answer=written)
    request.refresh_from_db()
    assert request.status == "completed"
    assert request.answer.startswith(written)
    _assert_rights(request.answer, clinic, kind=kind)
    _assert_rights(_message(request), clinic, kind=kind)
    with translation.override(clinic.language):
        assert rights_paragraph(clinic, kind=kind) in request.answer


@pytest.mark.parametrize("world", CLINICS, indirect=True)
def test_req24_req45_an_extension_names_the_authority_and_the_court(world):
    """REQ-24 (Art. 12(3)): the reasoned notice of an extension says where to complain."""
    clinic, owner, person = world
    request = request_create(actor=owner, person_id=person.pk, kind="access")
    request_extend(actor=owner, request_id=request.pk, months=2, reason="Många journaler.")
    body = _message(request)
    assert "Många journaler." in body
    _assert_rights(body, clinic, kind="extension")


@pytest.mark.parametrize("world", CLINICS, indirect=True)
@pytest.mark.parametrize("kind", KINDS)
def test_req24_req45_a_refusal_gives_reasons_the_authority_and_the_court(world, kind):
    """REQ-24 (Art. 12(4)): a refusal states its reasons, the right to complain to the
    authority and to go to court; without reasons it is not sent."""
    clinic, owner, person = world
    request = request_create(actor=owner, person_id=person.pk, kind=kind)
    with pytest.raises(ValidationFailed) as exc:
        request_answer(actor=owner, request_id=request.pk, refused=True)
    assert "answer" in exc.value.errors
    assert not OutboxMessage.objects.filter(related_type="privacy_request").exists()
    request_answer(
        actor=owner, request_id=request.pk, refused=True, answer="Uppgifterna är korrekta."
    )
    request.refresh_from_db()
    assert request.status == "refused" and request.completed_at is not None
    assert request.answer.startswith("Uppgifterna är korrekta.")
    with translation.override(clinic.language):
        assert rights_paragraph(clinic, kind=kind, outcome=REFUSED) in request.answer
    _assert_rights(request.answer, clinic, kind=kind)
    _assert_rights(_message(request), clinic, kind=kind)


@pytest.mark.parametrize(
    ("kind", "channel", "law", "absent"),
    [
        ("dental", "Statsforvalteren", "helsepersonelloven § 42", "IVO"),
        ("optician", "Inspektionen för vård och omsorg (IVO)", "ivo.se", "Statsforvalteren"),
    ],
)
def test_req15_req46_a_refused_correction_names_the_health_authority(
    make_clinic, make_actor, make_person, kind, channel, law, absent
):
    """REQ-15 (NO-human): the reply to a refused correction states the right to appeal to
    Statsforvalteren (helsepersonelloven § 42); REQ-46 (SE-human): IVO."""
    clinic = make_clinic(kind)
    owner = make_actor(clinic, "owner")
    person = make_person(owner, first_name="Per", last_name="Holm", email="per@example.com")
    request = request_create(actor=owner, person_id=person.pk, kind="rectification")
    request_answer(
        actor=owner,
        request_id=request.pk,
        refused=True,
        answer="Journalanteckningen stämmer; vi har antecknat att du anser den felaktig.",
    )
    request.refresh_from_db()
    for text in (request.answer, _message(request)):
        assert channel in text and law in text and absent not in text
        _assert_rights(text, clinic, kind="rectification")


def test_req46_the_api_refuses_with_reasons(make_clinic, make_actor, make_person, make_api):
    """The refusal is the same through the API (``refused`` with the reasons)."""
    clinic = make_clinic("dental")
    owner = make_actor(clinic, "owner")
    person = make_person(owner, first_name="Ola", last_name="Berg", email="ola@example.com")
    api = make_api(clinic, "owner", scopes="sensitive")
    created = api.post("privacy-requests", {"person": person.pk, "kind": "rectification"}).json()
    bad = api.post(f"privacy-requests/{created['id']}/answer", {"refused": True})
    assert bad.status_code == 422 and "answer" in bad.json()["errors"]
    done = api.post(
        f"privacy-requests/{created['id']}/answer",
        {"refused": True, "answer": "Opplysningene er riktige."},
    )
    assert done.status_code == 200 and done.json()["status"] == "refused"
    answer = DataSubjectRequest.objects.get(pk=created["id"]).answer
    assert "Statsforvalteren" in answer and "Personvernnemnda" in answer


@pytest.mark.parametrize("world", CLINICS, indirect=True)
def test_req27_req45_the_erasure_answer_uses_the_same_paragraph(world):
    """The erasure answer (REQ-27) ends with the same rights paragraph as every answer."""
    clinic, owner, person = world
    request = request_create(actor=owner, person_id=person.pk, kind="erasure")
    answer = compose_answer(plan_erasure(clinic, person), request)
    with translation.override(clinic.language):
        assert rights_paragraph(clinic, kind="erasure") in answer
    _assert_rights(answer, clinic, kind="erasure")
