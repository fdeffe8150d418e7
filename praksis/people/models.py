"""Clients, patients and animals. Every row belongs to one clinic."""

from __future__ import annotations

import re

from django.db import models, router, transaction
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from praksis.core.text import name_key

_CANONICAL = re.compile(r"[0-9]{11,12}")  # SE 12 digits, NO 11 (identity.py)
_UNCHANGED = object()


class PersonQuerySet(models.QuerySet):
    def by_identity(self, clinic, number: str | None) -> PersonQuerySet:
        """People of ``clinic`` with this identity number, typed in any accepted form.

        The one way to match a number: an exact match on the keyed hash of its
        canonical form (an index scan on (clinic, identity_hash)). Nothing matches a
        number that is not valid, and no prefix of one.
        """
        from praksis.people.vault import lookup_digests

        digests = lookup_digests(clinic, number)
        if not digests:
            return self.none()
        return self.filter(clinic=clinic, identity_hash__in=digests)

    def bulk_create(self, objs, *args, **kwargs):
        """As Django's, with the identity numbers of the new people sealed under data
        keys made for them, stored right after the people (one more bulk insert)."""
        from praksis.people.vault import seal_identity

        objs = list(objs)
        pending = [
            p for p in objs if p.__dict__.get("_identity_pending", _UNCHANGED) is not _UNCHANGED
        ]
        if not pending:
            return super().bulk_create(objs, *args, **kwargs)
        keys = [(person, seal_identity(person, person._identity_pending)) for person in pending]
        with transaction.atomic(using=self.db, savepoint=False):
            created = super().bulk_create(objs, *args, **kwargs)
            new_keys = []
            for person, key in keys:
                del person._identity_pending
                if key is not None:
                    if person.pk is None:
                        raise ValueError("bulk_create must return ids for identity numbers")
                    key.person_id = person.pk
                    new_keys.append(key)
            DataKey.objects.using(self.db).bulk_create(new_keys)
        return created


class ProtectedIdentity(models.TextChoices):
    """Protected personal data (REQ-48), as the population register records it: in Sweden
    the Tax Agency's three grades, in Norway Folkeregisteret's two (handled alike)."""

    SE_SEKRETESSMARKERING = "se_sekretessmarkering", _("Sekretessmarkering")
    SE_SKYDDAD_FOLKBOKFORING = "se_skyddad_folkbokforing", _("Skyddad folkbokföring")
    SE_FINGERADE = "se_fingerade_personuppgifter", _("Fingerade personuppgifter")
    NO_STRENGT_FORTROLIG = "no_strengt_fortrolig_adresse", _("Strengt fortrolig adresse")
    NO_FORTROLIG = "no_fortrolig_adresse", _("Fortrolig adresse")


# The grades a clinic offers, by its country.
PROTECTED_GRADES = {
    "SE": (
        ProtectedIdentity.SE_SEKRETESSMARKERING,
        ProtectedIdentity.SE_SKYDDAD_FOLKBOKFORING,
        ProtectedIdentity.SE_FINGERADE,
    ),
    "NO": (ProtectedIdentity.NO_STRENGT_FORTROLIG, ProtectedIdentity.NO_FORTROLIG),
}


class Person(models.Model):
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    # Search keys: case-folded names (byte-ordered "C" collation on PostgreSQL, so one
    # B-tree serves both the prefix match and the ordering).
    first_name_key = models.CharField(max_length=100, editable=False)
    last_name_key = models.CharField(max_length=100, editable=False)
    # The identity number (SE: 12 digits; NO: 11 digits; never for birth-date-only clinics)
    # is stored encrypted under the person's data key, and found by its keyed hash
    # (vault.py). Read and set it as ``identity_number``.
    identity_hash = models.BinaryField(null=True, blank=True, editable=False)
    identity_ciphertext = models.BinaryField(null=True, blank=True, editable=False)
    identity_kind = models.CharField(max_length=24, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="E.164")
    address = models.TextField(blank=True)
    # REQ-48: a protected identity (blank: none). The person is marked for everyone who
    # handles them; the address and phone are shown to the owner only (each view logged)
    # and never leave the clinic (letters, feeds, .ics, e-mails, disclosures).
    protected_identity = models.CharField(
        max_length=30, blank=True, default="", choices=ProtectedIdentity.choices
    )
    # GDPR Art. 18: while set, the data is only stored — no recall, marketing or reminders.
    restricted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = PersonQuerySet.as_manager()

    class Meta:
        constraints = [
            # One person per identity number in a clinic; also the index search uses.
            models.UniqueConstraint(
                fields=["clinic", "identity_hash"],
                condition=Q(identity_hash__isnull=False),
                name="person_identity_hash_unique",
            ),
            models.CheckConstraint(
                condition=Q(protected_identity__in=["", *ProtectedIdentity.values]),
                name="person_protected_identity",
            ),
        ]
        indexes = [
            models.Index(
                fields=["clinic", "last_name_key", "first_name_key", "id"], name="person_last"
            ),
            models.Index(
                fields=["clinic", "first_name_key", "last_name_key", "id"], name="person_first"
            ),
            models.Index(fields=["clinic", "phone"], name="person_phone"),
            models.Index(fields=["clinic", "birth_date"], name="person_birth"),
            models.Index(F("clinic"), Upper("email"), name="person_email_ci"),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def save(self, *args, **kwargs) -> None:
        """Save; a new identity number is sealed under the person's data key and hashed
        in the same transaction (a new person's data key is stored after their row)."""
        pending = self.__dict__.get("_identity_pending", _UNCHANGED)
        update_fields = kwargs.get("update_fields")
        if pending is _UNCHANGED or (
            update_fields is not None and "identity_number" not in update_fields
        ):
            return super().save(*args, **kwargs)
        if update_fields is not None:
            fields = set(update_fields) - {"identity_number"}
            kwargs["update_fields"] = fields | {"identity_hash", "identity_ciphertext"}
        from praksis.people.vault import seal_identity

        using = kwargs.get("using") or router.db_for_write(Person, instance=self)
        with transaction.atomic(using=using, savepoint=False):
            new_key = seal_identity(self, pending)
            super().save(*args, **kwargs)
            if new_key is not None:
                new_key.person_id = self.pk
                new_key.save(force_insert=True, using=using)
        del self._identity_pending

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def is_protected(self) -> bool:
        """REQ-48: the person has a protected identity (any grade)."""
        return bool(self.protected_identity)

    @property
    def identity_number(self) -> str | None:
        """The identity number in clear (canonical form), or None.

        Decrypted on first read, which costs the person's data key (one query, none
        after ``select_related("data_key")``): read it on one person's page, API read,
        export or PDF — lists show the birth date instead. None as well once the data
        key was destroyed (crypto-shredding).
        """
        if "_identity_plain" not in self.__dict__:
            from praksis.people.vault import identity_number_of

            self._identity_plain = identity_number_of(self)
        return self._identity_plain

    @identity_number.setter
    def identity_number(self, value: str | None) -> None:
        """Set a canonical number (or None); sealed and hashed when the person is saved."""
        if value is not None and not _CANONICAL.fullmatch(value):
            raise ValueError("identity numbers are set in canonical form (11 or 12 digits)")
        self._identity_plain = value
        self._identity_pending = value

    def refresh_from_db(self, *args, **kwargs) -> None:
        self.__dict__.pop("_identity_plain", None)
        self.__dict__.pop("_identity_pending", None)
        super().refresh_from_db(*args, **kwargs)


class Species(models.TextChoices):
    DOG = "dog", _("Dog")
    CAT = "cat", _("Cat")
    HORSE = "horse", _("Horse")
    RABBIT = "rabbit", _("Rabbit")
    BIRD = "bird", _("Bird")
    RODENT = "rodent", _("Rodent")
    REPTILE = "reptile", _("Reptile")
    CATTLE = "cattle", _("Cattle")
    SHEEP = "sheep", _("Sheep")
    OTHER = "other", _("Other")


class AnimalSex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    UNKNOWN = "unknown", _("Unknown")


class Animal(models.Model):
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=100)
    species = models.CharField(max_length=20, choices=Species.choices)
    breed = models.CharField(max_length=100, blank=True)
    sex = models.CharField(max_length=10, choices=AnimalSex.choices, default=AnimalSex.UNKNOWN)
    neutered = models.BooleanField(default=False)
    colour = models.CharField(max_length=50, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    # ISO 11784/11785 transponder code: 15 digits.
    chip_id = models.CharField(max_length=15, null=True, blank=True)  # noqa: DJ001
    deceased_on = models.DateField(null=True, blank=True)
    owners = models.ManyToManyField(Person, through="AnimalOwner", related_name="animals")
    created_at = models.DateTimeField(default=timezone.now)
    # The search key of the name (owners are found by their pet's name, indexed).
    name_key = models.CharField(max_length=100, editable=False, default="")

    class Meta:
        indexes = [models.Index(fields=["clinic", "name_key"], name="animal_name")]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "chip_id"],
                condition=Q(chip_id__isnull=False),
                name="animal_chip_unique",
            ),
            models.CheckConstraint(
                condition=Q(chip_id__isnull=True) | Q(chip_id__regex=r"^[0-9]{15}$"),
                name="animal_chip_format",
            ),
            models.CheckConstraint(condition=Q(sex__in=AnimalSex.values), name="animal_sex_known"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.name_key = animal_name_key(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_key"}
        super().save(*args, **kwargs)


def animal_name_key(name: str) -> str:
    return name_key(name or "")[:100]


class AnimalOwner(models.Model):
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    animal = models.ForeignKey(Animal, on_delete=models.CASCADE, related_name="ownerships")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="ownerships")
    is_primary = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["animal", "person"], name="animal_owner_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} owns {self.animal_id}"


# A weight below this is no animal's; at or above it, a typing error (kilograms).
MAX_WEIGHT_KG = 2000


class AnimalWeight(models.Model):
    """One weighing of an animal: the history gives its current weight (the latest)."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    animal = models.ForeignKey(Animal, on_delete=models.CASCADE, related_name="weights")
    weighed_on = models.DateField()
    weight_kg = models.DecimalField(max_digits=6, decimal_places=2)
    recorded_by_user_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["animal", "weighed_on"], name="animal_weight_day")]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight_kg__gt=0) & Q(weight_kg__lt=MAX_WEIGHT_KG),
                name="animal_weight_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.animal_id}: {self.weight_kg} kg on {self.weighed_on}"


class DataKey(models.Model):
    """A person's (or animal's) data key, wrapped by the deployment key.

    Health data of the subject is encrypted under this key (AES-GCM); destroying it
    makes that data unreadable everywhere, backups included (crypto-shredding).
    """

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    person = models.OneToOneField(
        Person, on_delete=models.CASCADE, null=True, blank=True, related_name="data_key"
    )
    animal = models.OneToOneField(
        Animal, on_delete=models.CASCADE, null=True, blank=True, related_name="data_key"
    )
    wrapped_key = models.BinaryField(null=True, blank=True)
    # Which deployment key wrapped it (a fingerprint, never the key).
    kek_id = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    destroyed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(person__isnull=False) & Q(animal__isnull=True))
                | (Q(person__isnull=True) & Q(animal__isnull=False)),
                name="datakey_one_subject",
            ),
            models.CheckConstraint(
                condition=Q(destroyed_at__isnull=False) | Q(wrapped_key__isnull=False),
                name="datakey_present_unless_destroyed",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"key for {'person' if self.person_id else 'animal'} {self.person_id or self.animal_id}"
        )


class Guardianship(models.Model):
    """A guardian of a child, both persons of the same clinic (REQ-49): since when, and who
    verified it when (e.g. from the population register or a custody document). A
    guardian may book for the child and ask for the child's data as far as
    ``praksis.people.guardians.guardian_may_see`` allows. Ended, not deleted, when custody
    ends (``ended_at``)."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    child = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="guardianships")
    guardian = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="wards")
    since = models.DateField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by_user_id = models.BigIntegerField(null=True, blank=True)
    verified_by_name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(child=F("guardian")), name="guardianship_not_self"),
            models.UniqueConstraint(
                fields=["child", "guardian"],
                condition=Q(ended_at__isnull=True),
                name="guardianship_active_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"guardian {self.guardian_id} of {self.child_id}"


class ChildSay(models.TextChoices):
    """What the child wants guardians to see, as staff recorded it (REQ-49)."""

    NONE = "", _("Nothing recorded")
    WITHHOLD = "withhold", _("Withhold from guardians (the child has reasons)")
    SHARE = "share", _("The child agrees that guardians see their data")


class ChildPrivacy(models.Model):
    """The child's own say towards their guardians, set by staff with a reason (REQ-49):
    NO 12-16, information may be withheld from the parents when the child has reasons; SE,
    a mature child decides, and secrecy applies even towards guardians when release would
    cause the child significant harm (OSL 12 kap. 3 §)."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    child = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="child_privacy")
    say = models.CharField(max_length=10, blank=True, choices=ChildSay.choices)
    reason = models.TextField(blank=True)
    set_at = models.DateTimeField(default=timezone.now)
    set_by_user_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(say__in=ChildSay.values), name="child_privacy_say"),
        ]

    def __str__(self) -> str:
        return f"child {self.child_id}: {self.say or '-'}"


class ChildrenSetting(models.Model):
    """A Swedish clinic's age from which a child has their own say (REQ-49: no fixed age
    in Sweden, maturity decides — LAW.md marks the exact test [U], so configurable; 15 by
    default). Norway's ages are fixed by law (pasient- og brukerrettighetsloven § 3-4)."""

    clinic = models.OneToOneField(
        "clinics.Clinic", on_delete=models.CASCADE, related_name="children_setting"
    )
    own_say_from_age = models.PositiveSmallIntegerField(default=15)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by_user_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(own_say_from_age__gte=1, own_say_from_age__lte=18),
                name="children_setting_age",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.clinic_id}: own say from {self.own_say_from_age}"
