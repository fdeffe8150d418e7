"""Data: the legitimate interest of each default activity that uses GDPR art. 6(1)(f)
(Art. 13(1)(d)), where an existing record has that basis and no interest written yet.

The texts are those of ``praksis.processing.defaults`` when this was written (copied, so
that the migration keeps meaning what it meant). A changed notice is published by the
owner as usual.
"""

from django.db import migrations

INTERESTS = {
    "recall": {
        "sv": "Att följa upp din syn: vi ringer dig när det intervall som står i din journal "
        "har gått, som våra kunder räknar med.",
        "nb": "Å følge opp synet ditt: vi ringer deg når intervallet i journalen din har gått, "
        "slik kundene våre regner med.",
        "en": "Following up your eyesight: we call you when the interval in your journal has "
        "passed, as our clients expect.",
    },
    "inquiries": {
        "sv": "Att kunna svara och ringa tillbaka den som kontaktar oss, och minnas vad som "
        "frågades.",
        "nb": "Å kunne svare og ringe tilbake den som kontakter oss, og huske hva det ble "
        "spurt om.",
        "en": "Being able to answer and call back whoever contacts us, and to remember what "
        "was asked.",
    },
    "booking_requests": {
        "sv": "Att kunna svara på din förfrågan om tid, och veta var nya patienter hittade oss "
        "(så att vi vet vilka av våra kanaler som fungerar).",
        "nb": "Å kunne svare på forespørselen din om time, og vite hvor nye pasienter fant oss "
        "(så vi vet hvilke av kanalene våre som virker).",
        "en": "Answering your request for an appointment, and knowing where new patients "
        "found us (so that we know which of our channels work).",
    },
}


def fill(apps, schema_editor):
    Activity = apps.get_model("processing", "ProcessingActivity")
    for activity in Activity.objects.filter(key__in=list(INTERESTS)).iterator():
        if "f" in (activity.legal_bases or []) and not activity.legitimate_interest:
            activity.legitimate_interest = INTERESTS[activity.key]
            activity.save(update_fields=["legitimate_interest"])


class Migration(migrations.Migration):
    dependencies = [("processing", "0003_legitimate_interest")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
