"""The privacy engine as the apps' personal-data contracts see it
(``praksis.core.personal_data.engine()``): the retention policy table, the legal holds and
the erasure path — so that the apps ask for them without importing the engine."""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import Q

from praksis.clinics.access import system_actor
from praksis.clinics.models import Clinic, Regime
from praksis.core.errors import Conflict
from praksis.privacy import retention
from praksis.privacy.erasure import erase_person


class PrivacyEngine:
    def policy_for(self, clinic, record_type: str):
        return retention.policy_for(clinic, record_type)

    def kept_until(self, clinic, record_type: str, trigger_date) -> date | None:
        return retention.kept_until(clinic, record_type, trigger_date)

    def financial_year_end(self, clinic, day: date) -> date:
        return retention.clinic_financial_year_end(clinic, day)

    def by_clinic_cutoff(self, record_type: str, now: datetime, make_q, regimes=None) -> Q:
        """OR over the clinics whose policy deletes ``record_type`` automatically, grouped
        by period, of ``make_q(clinic_ids, cutoff)``."""
        return retention._by_clinic_cutoff(record_type, now, make_q, regimes)

    def automatic_clinics(self, record_type: str) -> list[Clinic]:
        """The clinics whose policy deletes ``record_type`` automatically."""
        ids = [pk for group in retention._clinic_groups(record_type).values() for pk in group]
        return list(Clinic.objects.filter(pk__in=ids).order_by("pk"))

    def active_holds(self):
        return retention._active_holds()

    def person_held(self, field: str = "person_id"):
        return retention._person_held(field)

    def record_held(self, record_type: str, field: str = "pk"):
        return retention._record_held(record_type, field)

    def may_be_alive(self, now: datetime) -> Q:
        """NO-vet animals that must be assumed alive (their journals are kept)."""
        no_vet = Clinic.objects.filter(regime=Regime.NO_VET).values("pk")
        return Q(clinic_id__in=no_vet) & retention._may_be_alive(now)

    def erase_clients(self, qs) -> list[int]:
        """Erase each due client through the one erasure path; a client whose erasure is
        blocked (e.g. photos still to take down) stays for the owner and is not counted."""
        erased = []
        clinics: dict[int, Clinic] = {}
        for person_id, clinic_id in qs.values_list("pk", "clinic_id").iterator():
            clinic = clinics.get(clinic_id) or clinics.setdefault(
                clinic_id, Clinic.objects.get(pk=clinic_id)
            )
            try:
                erase_person(
                    actor=system_actor(clinic, channel="system"),
                    person_id=person_id,
                    now=retention.sweep_now(),
                )
            except Conflict:
                continue
            erased.append(person_id)
        return erased


ENGINE = PrivacyEngine()
