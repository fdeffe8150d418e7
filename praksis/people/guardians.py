"""Children and their guardians (LAW.md REQ-49).

A guardian is a person of the same clinic linked to the child (:class:`Guardianship`);
staff record the child's own say towards their guardians (:class:`ChildPrivacy`: withhold
with a reason, or share), and a Swedish clinic sets the age from which a child has their
own say (:class:`ChildrenSetting`, default 15: Swedish law sets no age, maturity decides,
and LAW.md marks the exact test [U]).

:func:`guardian_may_see` is the one rule every guardian's access goes through (the
privacy request made by a guardian on behalf of a child):

* Norway (pasient- og brukerrettighetsloven § 3-4, fixed ages): under 12 the guardians
  see everything; 12 to 16 too, unless information is withheld because the child has
  reasons that should be respected; 16 to 18 they get only what they need to carry out
  parental responsibility (unless the child agrees to more).
* Sweden (OSL 12 kap. 3 §, maturity): under the clinic's age the guardians see
  everything, unless release would cause the child significant harm (withheld, with a
  reason); from that age the child decides — only with the child's agreement.
* 18 and over, no guardian; a child without a known birth date: staff decide first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from praksis.audit.models import Action
from praksis.audit.services import Access, log_access
from praksis.clinics.access import Actor, require
from praksis.core.errors import ValidationFailed
from praksis.people.models import ChildPrivacy, ChildrenSetting, ChildSay, Guardianship, Person

ADULT = 18
SE_DEFAULT_OWN_SAY = 15
NO_ALL_UNTIL = 12  # under 12: the guardians are informed of everything
NO_WITHHOLD_UNTIL = 16  # 12-16: may be withheld when the child has reasons
FULL, PARENTAL, NONE = "full", "parental", "none"


@dataclass(frozen=True)
class GuardianView:
    """What a guardian may see of the child's data, and why (in the reader's language)."""

    scope: str  # FULL, PARENTAL (what parental responsibility needs) or NONE
    reason: str

    @property
    def allowed(self) -> bool:
        return self.scope != NONE


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def own_say_age(clinic) -> int:
    """A Swedish clinic's age from which the child has their own say (REQ-49, [U])."""
    setting = ChildrenSetting.objects.filter(clinic=clinic).first()
    return setting.own_say_from_age if setting else SE_DEFAULT_OWN_SAY


def guardian_may_see(child: Person, guardian: Person, today: date) -> GuardianView:
    """The rule of REQ-49 for one guardian and one child on ``today``."""
    linked = Guardianship.objects.filter(
        clinic_id=child.clinic_id, child=child, guardian=guardian, ended_at__isnull=True
    ).exists()
    if not linked or guardian.clinic_id != child.clinic_id:
        return GuardianView(NONE, str(_("Not a guardian of this child on record.")))
    if child.birth_date is None:
        return GuardianView(
            NONE, str(_("The child's birth date is not on record: staff decide first."))
        )
    age = age_on(child.birth_date, today)
    if age >= ADULT:
        return GuardianView(NONE, str(_("An adult decides over their own data.")))
    privacy = ChildPrivacy.objects.filter(child=child).first()
    say = privacy.say if privacy else ChildSay.NONE
    if child.clinic.country == "NO":
        if age < NO_ALL_UNTIL:
            return GuardianView(FULL, str(_("Under 12: the guardians are informed.")))
        if age < NO_WITHHOLD_UNTIL:
            if say == ChildSay.WITHHOLD:
                return GuardianView(
                    NONE,
                    str(_("12 to 16: withheld from the guardians, the child has reasons.")),
                )
            return GuardianView(FULL, str(_("Under 16: the guardians are informed.")))
        if say == ChildSay.SHARE:
            return GuardianView(FULL, str(_("16 to 18: the child agrees.")))
        return GuardianView(
            PARENTAL,
            str(_("16 to 18: only what the guardians need for parental responsibility.")),
        )
    # Sweden: maturity decides (the clinic's age, [U]); secrecy on significant harm.
    if age < own_say_age(child.clinic):
        if say == ChildSay.WITHHOLD:
            return GuardianView(
                NONE, str(_("Withheld from the guardians: release could harm the child."))
            )
        return GuardianView(FULL, str(_("The child is too young to decide alone.")))
    if say == ChildSay.SHARE:
        return GuardianView(FULL, str(_("The child is mature enough and agrees.")))
    return GuardianView(NONE, str(_("The child is mature enough to decide, and has not agreed.")))


def guardians_of(child: Person) -> list[Guardianship]:
    return list(
        Guardianship.objects.filter(clinic_id=child.clinic_id, child=child, ended_at__isnull=True)
        .select_related("guardian")
        .order_by("pk")
    )


def guardian_add(
    *, actor: Actor, child_id, guardian_id, since: date | None = None, verified: bool = False
) -> Guardianship:
    """Link a guardian to a child, both of the actor's clinic (404 otherwise)."""
    require(actor, "person.write")
    with transaction.atomic():
        people = {
            p.pk: p
            for p in Person.objects.filter(clinic=actor.clinic, pk__in=[child_id, guardian_id])
        }
        child, guardian = people.get(child_id), people.get(guardian_id)
        if child is None or guardian is None:
            raise Http404
        if child.pk == guardian.pk:
            raise ValidationFailed({"guardian": [_("A person cannot be their own guardian.")]})
        link, _created = Guardianship.objects.get_or_create(
            clinic=actor.clinic, child=child, guardian=guardian, ended_at=None,
            defaults={"since": since},
        )  # fmt: skip
        if verified and link.verified_at is None:
            link.verified_at = timezone.now()
            link.verified_by_user_id = actor.user_id
            link.verified_by_name = (getattr(actor.user, "full_name", "") or "")[:200]
            link.save(update_fields=["verified_at", "verified_by_user_id", "verified_by_name"])
        log_access(
            actor,
            Access(Action.CREATE, "guardianship", link.pk, person_id=child.pk, detail="guardian"),
        )
    return link


def child_say_set(*, actor: Actor, child_id, say: str, reason: str = "") -> ChildPrivacy:
    """Record the child's own say towards their guardians (withhold needs a reason)."""
    require(actor, "person.write")
    reason = str(reason or "").strip()[:2000]
    if say not in ChildSay.values:
        raise ValidationFailed({"say": [_("Choose what the child wants.")]})
    if say == ChildSay.WITHHOLD and not reason:
        raise ValidationFailed({"reason": [_("Say why the guardians are not to be informed.")]})
    with transaction.atomic():
        child = Person.objects.filter(clinic=actor.clinic, pk=child_id).first()
        if child is None:
            raise Http404
        row, _created = ChildPrivacy.objects.update_or_create(
            child=child,
            defaults={
                "clinic": actor.clinic, "say": say, "reason": reason,
                "set_at": timezone.now(), "set_by_user_id": actor.user_id,
            },
        )  # fmt: skip
        log_access(
            actor,
            Access(Action.UPDATE, "person", child.pk, person_id=child.pk, detail=f"child: {say}"),
        )
    return row


def guardian_end(*, actor: Actor, child_id, guardianship_id) -> Guardianship:
    """End a guardianship (custody ended, or it was recorded by mistake): kept, with the
    time it ended, so what a guardian was given earlier stays explainable."""
    require(actor, "person.write")
    with transaction.atomic():
        link = (
            Guardianship.objects.select_for_update()
            .filter(clinic=actor.clinic, child_id=child_id, pk=guardianship_id)
            .first()
        )
        if link is None:
            raise Http404
        if link.ended_at is None:
            link.ended_at = timezone.now()
            link.save(update_fields=["ended_at"])
            log_access(
                actor,
                Access(Action.UPDATE, "guardianship", link.pk, person_id=link.child_id,
                       detail="ended"),
            )  # fmt: skip
    return link


def booking_contact(person: Person, today: date | None = None) -> tuple[str, str]:
    """Where messages about a person's booking go: their own e-mail and phone; for a child
    with neither, a guardian's (the verified first) whom the REQ-49 rule lets see the
    child's data — never one the child's data is withheld from."""
    if person.email or person.phone:
        return person.email, person.phone
    if person.birth_date is None:
        return "", ""
    today = today or timezone.localdate(timezone=person.clinic.zone)
    if age_on(person.birth_date, today) >= ADULT:
        return "", ""
    links = sorted(guardians_of(person), key=lambda g: (g.verified_at is None, g.pk))
    for link in links:
        guardian = link.guardian
        if (guardian.email or guardian.phone) and guardian_may_see(person, guardian, today).allowed:
            return guardian.email, guardian.phone
    return "", ""


def own_say_age_set(*, actor: Actor, age) -> int:
    """The owner sets the age from which a child of this Swedish clinic has their own say
    towards their guardians (REQ-49 [U]; Norway's ages are fixed by law)."""
    require(actor, "privacy.manage")
    if actor.clinic.country != "SE":
        raise ValidationFailed(
            {"own_say_from_age": [_("In Norway the ages are set by law and cannot be changed.")]}
        )
    text = str(age if age is not None else "").strip()
    if not text.isdigit() or not 12 <= int(text) <= 17:
        raise ValidationFailed(
            {"own_say_from_age": [_("Enter an age from 12 to 17 (whole years).")]}
        )
    value = int(text)
    with transaction.atomic():
        setting, _created = ChildrenSetting.objects.select_for_update().get_or_create(
            clinic=actor.clinic, defaults={"own_say_from_age": value}
        )
        if setting.own_say_from_age != value or _created:
            setting.own_say_from_age = value
            setting.updated_at = timezone.now()
            setting.updated_by_user_id = actor.user_id
            setting.save()
            log_access(
                actor,
                Access(Action.UPDATE, "clinic", actor.clinic.pk, purpose="children",
                       detail=f"own_say_from_age={value}"),
            )  # fmt: skip
    return value
