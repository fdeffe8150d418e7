"""What the people app holds about a person or an animal: its personal-data contract
(see praksis/core/personal_data.py)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext, gettext_lazy

from praksis.clinics.models import Regime
from praksis.core.personal_data import (
    DELETE,
    KEEP,
    Contract,
    Decision,
    Holding,
    Rule,
    Section,
    Subject,
    contracts,
    engine,
    register,
)
from praksis.people.models import Animal, AnimalOwner, AnimalWeight, Person
from praksis.people.vault import destroy_key

# The Person columns behind each field the erasure may keep (the engine's FIELD_COLUMNS).
ALL_FIELDS = ("name", "identity_number", "birth_date", "address", "contact")


class PeopleData(Contract):
    label = "people"
    stage = 95  # last: the person row follows from what every other record needs
    apply_stage = 70
    holdings = (
        Holding("people.Person", "client", "pk", DELETE, clock="last_visit", portable=True,
                kept_by="minimised to what kept records need", section="person"),
        Holding("people.Animal", "client", "owners", DELETE, clock="last_visit", portable=True,
                kept_by="with its journal", section="animals"),
        Holding("people.AnimalOwner", "client", "person", DELETE, clock="last_visit",
                portable=True, section="animals"),
        Holding("people.AnimalWeight", "client", "animal", DELETE, clock="last_visit",
                portable=True, kept_by="with its animal", section="animals"),
        Holding("people.DataKey", "journal", "person|animal", DELETE,
                kept_by="while encrypted data under it is kept"),
        # REQ-49: a child's guardians, and the child's own say towards them.
        Holding("people.Guardianship", "client", "child|guardian", DELETE,
                clock="last_visit"),
        Holding("people.ChildPrivacy", "client", "child", DELETE, clock="last_visit"),
    )  # fmt: skip
    labels = {
        "animals": gettext_lazy("Your animals and their records"),
        "ownership": gettext_lazy("Your link to animals that have other owners"),
    }
    reasons = {
        "animals": gettext_lazy("Animals without a journal the law requires us to keep."),
        "ownership": gettext_lazy(
            "The animals stay with their other owners; only your link to them is removed."
        ),
    }

    def plan(self, ctx) -> None:
        """The animals only the person owns go unless something kept needs them; links to
        co-owned animals go; then the person row: deleted, or minimised to what the kept
        records need (everything under a legal hold)."""
        targets = ctx.targets.setdefault(self.label, {})
        deleted = ctx.deleted_animal_ids
        if deleted:
            ctx.decide(Decision("animals", DELETE, len(deleted), "animals", law="GDPR art. 17.1"))
        if ctx.shared_ownerships:
            ctx.decide(
                Decision("ownership", DELETE, len(ctx.shared_ownerships), "ownership",
                         law="GDPR art. 17.1")
            )  # fmt: skip
        targets.update(animals_delete=deleted, ownerships_delete=list(ctx.shared_ownerships))
        hold = ctx.person_hold
        if hold is not None:
            ctx.keep_fields.update(ALL_FIELDS)
            ctx.shred_person_key = False
            decision = Decision("person", KEEP, 1, "hold", hold=hold.reason, fields=ALL_FIELDS)
        elif ctx.keep_fields:
            fields = tuple(f for f in ALL_FIELDS if f in ctx.keep_fields)
            decision = Decision(
                "person", KEEP, 1, "minimised",
                law=", ".join(dict.fromkeys(law for law in ctx.kept_laws if law)),
                until=None if None in ctx.kept_untils else ctx.latest(ctx.kept_untils),
                fields=fields,
            )  # fmt: skip
        else:
            decision = Decision("person", DELETE, 1, "erased", law="GDPR art. 17.1")
        ctx.decisions.insert(0, decision)

    def apply(self, plan) -> None:
        targets = plan.targets.get(self.label, {})
        for animal in Animal.objects.filter(
            clinic=plan.clinic, pk__in=targets.get("animals_delete", [])
        ):
            destroy_key(animal)
            animal.delete()
        links = targets.get("ownerships_delete")
        if links:
            animal_ids = list(
                AnimalOwner.objects.filter(pk__in=links).values_list("animal_id", flat=True)
            )
            AnimalOwner.objects.filter(pk__in=links).delete()
            for animal_id in animal_ids:  # someone stays the primary owner
                owners = AnimalOwner.objects.filter(animal_id=animal_id)
                if not owners.filter(is_primary=True).exists():
                    owners.filter(pk=owners.order_by("pk").values("pk")[:1]).update(is_primary=True)

    def sections(self, subject: Subject) -> list[Section]:
        """The person's identity and contact details, and the animals they own: what they
        gave the clinic (portable, Art. 20)."""
        return [
            _identity_section(subject),
            _animals_section(subject),
            _animal_weights_section(subject),
        ]


# --- The access report and the export ------------------------------------------------


def _identity_section(subject: Subject) -> Section:
    person = subject.person
    columns = {
        "first_name": gettext("First name"),
        "last_name": gettext("Last name"),
        "identity_number": gettext("Identity number"),
        "birth_date": gettext("Birth date"),
        "email": gettext("E-mail"),
        "phone": gettext("Phone"),
        "address": gettext("Address"),
        "created_at": gettext("Registered"),
        "restricted_at": gettext("Processing restricted since"),
        "protected_identity": gettext("Protected identity"),
    }
    item = {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "identity_number": person.identity_number,  # decrypted under the person's key
        "birth_date": person.birth_date,
        "email": person.email,
        "phone": person.phone,
        "address": person.address,
        "created_at": person.created_at,
        "restricted_at": person.restricted_at,
        # REQ-48: the person's own report shows their own grade (and address above).
        "protected_identity": str(person.get_protected_identity_display() or ""),
    }
    return Section(
        key="person",
        title=gettext("Your name, contact details and identity number"),
        columns=columns,
        items=[item],
        portable=True,
        order=10,
    )


def _animals_section(subject: Subject) -> Section:
    links = (
        AnimalOwner.objects.filter(clinic=subject.clinic, person=subject.person)
        .select_related("animal")
        .order_by("animal__name", "animal_id")
    )
    items = [
        {
            "name": link.animal.name,
            "species": link.animal.get_species_display(),
            "breed": link.animal.breed,
            "sex": link.animal.get_sex_display(),
            "neutered": link.animal.neutered,
            "colour": link.animal.colour,
            "birth_date": link.animal.birth_date,
            "chip_id": link.animal.chip_id,
            "deceased_on": link.animal.deceased_on,
            "is_primary": link.is_primary,
        }
        for link in links
    ]
    return Section(
        key="animals",
        title=gettext("Your animals"),
        columns={
            "name": gettext("Name"),
            "species": gettext("Species"),
            "breed": gettext("Breed"),
            "sex": gettext("Sex"),
            "neutered": gettext("Neutered"),
            "colour": gettext("Colour"),
            "birth_date": gettext("Birth date"),
            "chip_id": gettext("ID chip number"),
            "deceased_on": gettext("Died"),
            "is_primary": gettext("Main contact for the animal"),
        },
        items=items,
        portable=True,
        order=12,
    )


def _animal_weights_section(subject: Subject) -> Section:
    """The weighings of the person's animals (the animals section's history of weights)."""
    weights = (
        AnimalWeight.objects.filter(
            clinic=subject.clinic, animal__ownerships__person=subject.person
        )
        .select_related("animal")
        .order_by("animal__name", "animal_id", "weighed_on", "pk")
    )
    return Section(
        key="animals:weights",
        title=gettext("Your animals' weights"),
        columns={
            "animal": gettext("Animal"),
            "weighed_on": gettext("Weighed on"),
            "weight_kg": gettext("Weight (kg)"),
        },
        items=[
            {"animal": w.animal.name, "weighed_on": w.weighed_on, "weight_kg": w.weight_kg}
            for w in weights
        ],
        portable=True,
        order=13,
    )


# Clients no longer seen: erased through the one erasure path (which keeps what the law
# keeps, e.g. receipts, and says why).


def _erased() -> Q:
    """Persons the erasure already handled but kept as an anonymous, restricted placeholder
    (their privacy requests, a breach entry or kept invoices point at them)."""
    return Q(first_name="", restricted_at__isnull=False)


def _active_after(cutoff) -> Q:
    """Persons with any record that shows a visit after ``cutoff``, as the apps declare."""
    q = Q(pk__in=[])
    for contract in contracts():
        for rows in contract.activity(cutoff):
            q |= Exists(rows.filter(person=OuterRef("pk")))
    return q


def _clients_due(now):
    """Therapy clients (GDPR-only, PRODUCT.md): erased 2 years after their last visit."""

    def q(clinic_ids, cutoff):
        return Q(clinic_id__in=clinic_ids, created_at__lte=cutoff, updated_at__lte=cutoff) & ~(
            _active_after(cutoff)
        )

    return (
        Person.objects.filter(engine().by_clinic_cutoff("client", now, q, [Regime.GDPR_ONLY]))
        .filter(~_erased())
        .exclude(engine().person_held("pk"))
    )


def _former_clients_due(now):
    """Health regimes: a client whose journal and accounting records are all gone (swept)
    and who has not been seen for the journal period is erased too (nothing the law keeps
    needs the client record any more). NO-human: never (the journal stays)."""

    def q(clinic_ids, cutoff):
        return Q(clinic_id__in=clinic_ids, created_at__lte=cutoff, updated_at__lte=cutoff) & ~(
            _active_after(cutoff)
        )

    due = Person.objects.filter(
        engine().by_clinic_cutoff(
            "journal", now, q, [Regime.SE_HUMAN, Regime.SE_VET, Regime.NO_VET]
        )
    )
    for contract in contracts():
        for rows in contract.needs_client():
            due = due.exclude(Exists(rows.filter(person=OuterRef("pk"))))
    return due.filter(~_erased()).exclude(engine().person_held("pk"))


def _erase_clients(qs):
    return engine().erase_clients(qs)


PeopleData.rules = (
    Rule("inactive-clients", "client", "erase", _clients_due, _erase_clients, recheck=True,
         order=40),
    Rule("former-clients", "client", "erase", _former_clients_due, _erase_clients,
         recheck=True, order=60),
)  # fmt: skip

register(PeopleData())
