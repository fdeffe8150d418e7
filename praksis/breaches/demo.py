"""Demo breaches, registered by the owner through the breach services (logged): one closed
(reported to the authority within 72 hours, with a later update) and one open, discovered
a few hours ago, its 72-hour clock running, with the persons affected found in the access
log. In the optician's (IMY) and the dentist's (Datatilsynet) clinics, whose notices
promise the 72 hours. Idempotent: a clinic with breaches gets nothing more."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from praksis.breaches.models import Breach, Risk
from praksis.breaches.services import (
    affected_from_access_log,
    breach_add_update,
    breach_edit,
    breach_mark_notified,
    breach_register,
)
from praksis.clinics.access import Actor
from praksis.clinics.models import User

PROFILES = ("optician", "dental")
TEXTS = {
    "sv": {
        "closed": {
            "description": "Kallelser till tolv kunder skickades till fel e-postadresser.",
            "nature": "Konfidentialitet: fel mottagare av e-post.",
            "data_categories": "Namn, e-postadress, tid för besök.",
            "person_categories": "Kunder",
            "approx_persons": 12,
            "approx_records": 12,
            "consequences": "Att andra får veta att kunden har en tid hos optiker.",
            "measures": "Mottagarna ombedda att radera e-posten; adresslistan rättad.",
            "risk": Risk.RISK,
        },
        "update": "Samtliga felaktiga mottagare har bekräftat att e-posten är raderad.",
        "reference": "IMY-2025-0412",
        "open": {
            "description": "Receptionens konto loggade in från en okänd dator och öppnade "
            "kundkort utan bokning.",
            "nature": "Konfidentialitet: obehörig åtkomst till kunduppgifter.",
            "data_categories": "Namn, personnummer, kontaktuppgifter, bokningar.",
            "person_categories": "Kunder",
            "consequences": "Identitetsstöld eller bedrägeri med personnummer.",
            "measures": "Lösenordet bytt, sessioner avslutade, tvåstegsinloggning införd.",
            "risk": Risk.HIGH,
        },
    },
    "nb": {
        "closed": {
            "description": "Innkallinger til tolv pasienter ble sendt til feil e-postadresser.",
            "nature": "Konfidensialitet: feil mottaker av e-post.",
            "data_categories": "Navn, e-postadresse, tidspunkt for time.",
            "person_categories": "Pasienter",
            "approx_persons": 12,
            "approx_records": 12,
            "consequences": "At andre får vite at pasienten har time hos tannlege.",
            "measures": "Mottakerne bedt om å slette e-posten; adresselisten rettet.",
            "risk": Risk.RISK,
        },
        "update": "Alle feil mottakere har bekreftet at e-posten er slettet.",
        "reference": "DT-25-01873",
        "open": {
            "description": "Resepsjonens konto logget inn fra en ukjent PC og åpnet "
            "pasientkort uten timeavtale.",
            "nature": "Konfidensialitet: uautorisert tilgang til pasientopplysninger.",
            "data_categories": "Navn, fødselsnummer, kontaktopplysninger, timeavtaler.",
            "person_categories": "Pasienter",
            "consequences": "Identitetstyveri eller svindel med fødselsnummer.",
            "measures": "Passord byttet, økter avsluttet, tofaktorinnlogging innført.",
            "risk": Risk.HIGH,
        },
    },
}


def seed_breaches(clinic, *, actor: Actor, suspect: User) -> None:
    if clinic.profile not in PROFILES or Breach.objects.filter(clinic=clinic).exists():
        return
    texts = TEXTS[clinic.language]
    now = timezone.now()
    discovered = now - timedelta(days=45)
    closed = breach_register(actor=actor, discovered_at=discovered, **texts["closed"])
    breach_mark_notified(
        actor=actor,
        breach_id=closed.pk,
        notified_at=discovered + timedelta(hours=20),
        reference=texts["reference"],
    )
    breach_add_update(actor=actor, breach_id=closed.pk, text=texts["update"])
    opened = breach_register(actor=actor, discovered_at=now - timedelta(hours=5), **texts["open"])
    # Whose records the account opened: everything it touched in the last hours.
    affected = affected_from_access_log(
        actor=actor,
        breach_id=opened.pk,
        user_id=suspect.pk,
        start=now - timedelta(hours=6),
        end=now + timedelta(minutes=1),
    )
    breach_edit(
        actor=actor,
        breach_id=opened.pk,
        changes={"approx_persons": len(affected), "approx_records": len(affected)},
    )
