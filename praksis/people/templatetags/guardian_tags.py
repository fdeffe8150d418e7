"""The guardians box on a person's page (REQ-49): a child's guardians (the contact for
bookings and requests made on the child's behalf, as far as ``guardian_may_see``
allows), the child's own say towards them, and the children a person is guardian of."""

from __future__ import annotations

from django import template
from django.utils import timezone

from praksis.people.guardians import ADULT, age_on, guardian_may_see, guardians_of
from praksis.people.models import ChildPrivacy, Guardianship

register = template.Library()


@register.inclusion_tag("people/_guardians.html")
def person_guardians(person):
    today = timezone.localdate(timezone=person.clinic.zone)
    links = guardians_of(person)
    wards = list(
        Guardianship.objects.filter(
            clinic_id=person.clinic_id, guardian=person, ended_at__isnull=True
        ).select_related("child")
    )
    return {
        "person": person,
        "guardians": [(g, guardian_may_see(person, g.guardian, today)) for g in links],
        "wards": wards,
        "say": ChildPrivacy.objects.filter(child=person).first(),
        # A child (the birth date on record says so): guardians can be added.
        "minor": person.birth_date is not None and age_on(person.birth_date, today) < ADULT,
    }
