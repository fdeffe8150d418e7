"""Demo privacy data per clinic: consents given at the desk (some withdrawn), open
data-subject requests with their clocks running, and — for the therapy clinic — a photo
consent withdrawn, so the take-down task shows. Idempotent: a clinic that has consents
is left alone."""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from praksis.clinics.access import system_actor
from praksis.clinics.models import Clinic
from praksis.people.models import Person
from praksis.privacy.deadline import answer_due
from praksis.privacy.models import Consent, DataSubjectRequest, Purpose
from praksis.privacy.requests import request_create
from praksis.privacy.services import consent_give_at_desk, consent_withdraw


def seed_privacy(clinic: Clinic) -> None:
    if Consent.objects.filter(clinic=clinic).exists():
        return
    rng = random.Random(f"praksis-privacy-{clinic.slug}")
    actor = system_actor(clinic, channel="desk")
    people = list(Person.objects.filter(clinic=clinic).exclude(email="").order_by("pk")[:60])
    if not people:
        return
    with transaction.atomic():
        for person in people:
            if rng.random() < 0.4:
                consent_give_at_desk(
                    actor=actor,
                    person_id=person.pk,
                    purpose=Purpose.MARKETING_EMAIL,
                    channel="desk",
                )
            if rng.random() < 0.5:
                consent_give_at_desk(
                    actor=actor, person_id=person.pk, purpose=Purpose.RECALL, channel="desk"
                )
        first = people[0]
        if clinic.profile == "therapy":
            photos = consent_give_at_desk(
                actor=actor, person_id=first.pk, purpose=Purpose.PHOTOS, channel="paper"
            )
            consent_withdraw(actor=actor, consent_id=photos.pk)
        # Requests with their clocks running: one received three weeks ago (due soon).
        access = request_create(actor=actor, person_id=people[1 % len(people)].pk, kind="access")
        received = timezone.now() - timedelta(days=23)
        DataSubjectRequest.objects.filter(pk=access.pk).update(
            received_at=received,
            verified_at=received,
            due_date=answer_due(clinic, received.astimezone(clinic.zone).date()),
        )
        request_create(actor=actor, person_id=people[2 % len(people)].pk, kind="rectification")
