"""Staff pages of the disclosure log: a person's disclosures with the form to record one
(or write a referral), the clinic-wide log for the owner, and the letter as a PDF."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from praksis.clinics.access import can
from praksis.clinics.auth import staff_view
from praksis.core.errors import Conflict, ValidationFailed
from praksis.disclosures import entries as journal_entries
from praksis.disclosures import pdf, selectors, services
from praksis.disclosures.models import Basis, Channel, Kind
from praksis.people import selectors as people_selectors
from praksis.privacy.models import Consent, Purpose

FORM_FIELDS = (
    "kind",
    "recipient_name",
    "recipient_address",
    "description",
    "reason",
    "basis",
    "basis_text",
    "consent",
    "channel",
    "disclosed_at",
    "animal",
    "corrects",
)
ENTRY_CHOICES = 100


def _entry_choices(actor, person, animals) -> list[dict]:
    """Signed entries to choose from: date, kind and author only (no content is read)."""
    if not can(actor, "journal.read"):
        return []
    return journal_entries.choices(actor.clinic, person, animals, ENTRY_CHOICES)


def _page(request, person_id: int, *, values=None, errors=None, error="", status=200):
    actor = request.actor
    clinic = actor.clinic
    person = people_selectors.person_get(actor=actor, person_id=person_id, purpose="disclosures")
    animals = people_selectors.animals_of(actor=actor, person=person) if clinic.has_animals else []
    values = values or {"kind": Kind.REFERRAL, "channel": Channel.ENCRYPTED_EMAIL}
    return render(
        request,
        "disclosures/person.html",
        {
            "person": person,
            "items": selectors.disclosure_list(actor=actor, person_id=person.pk),
            "values": values,
            "selected_entries": {str(i) for i in values.get("journal_entries", [])},
            "errors": errors or {},
            "error": error,
            "kinds": Kind.choices,
            "bases": Basis.choices,
            "channels": Channel.choices,
            "rules": [
                (label, [Basis(b).label for b in services.allowed_bases(clinic, code)])
                for code, label in Kind.choices
            ],
            "consents": Consent.objects.filter(
                clinic=clinic,
                person=person,
                purpose=Purpose.DISCLOSURE,
                withdrawn_at__isnull=True,
            ).order_by("-given_at"),
            "animals": animals,
            "entries": _entry_choices(actor, person, animals),
            "can_write": can(actor, "person.write"),
            "can_include_journal": can(actor, "journal.read"),
            "recorded": request.GET.get("recorded", ""),
        },
        status=status,
    )


@staff_view("person.read")
@require_http_methods(["GET", "POST"])
def person_disclosures(request, person_id: int):
    if request.method != "POST":
        return _page(request, person_id)
    values: dict = {name: request.POST.get(name, "").strip() for name in FORM_FIELDS}
    values["journal_entries"] = request.POST.getlist("journal_entries")
    try:
        disclosure = services.disclosure_record(
            actor=request.actor,
            person_id=person_id,
            kind=values["kind"],
            recipient_name=values["recipient_name"],
            recipient_address=values["recipient_address"],
            description=values["description"],
            reason=values["reason"],
            basis=values["basis"],
            basis_text=values["basis_text"],
            consent_id=values["consent"] or None,
            channel=values["channel"],
            disclosed_at=values["disclosed_at"] or None,
            animal_id=values["animal"] or None,
            corrects_id=values["corrects"] or None,
            journal_entry_ids=values["journal_entries"],
        )
    except ValidationFailed as exc:
        return _page(request, person_id, values=values, errors=exc.errors, status=422)
    except Conflict as exc:
        return _page(request, person_id, values=values, error=exc.message, status=409)
    url = reverse("staff:person-disclosures", kwargs={"person_id": person_id})
    return redirect(f"{url}?recorded={disclosure.pk}")


@staff_view("privacy.manage")
def disclosure_log(request):
    """The clinic's whole disclosure log, newest first (the owner's review)."""
    return render(
        request,
        "disclosures/log.html",
        {"items": selectors.disclosure_list(actor=request.actor)},
    )


@staff_view("person.read")
def disclosure_letter(request, disclosure_id: int):
    body = pdf.disclosure_letter_pdf(
        actor=request.actor,
        disclosure_id=disclosure_id,
        purpose=request.GET.get("purpose", "")[:200],
    )
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="referral-{disclosure_id}.pdf"'
    return response
