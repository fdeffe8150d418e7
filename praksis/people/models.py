"""Clients, patients and animals. Every row belongs to one clinic."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Person(models.Model):
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    # Search keys: case-folded names (byte-ordered "C" collation on PostgreSQL, so one
    # B-tree serves both the prefix match and the ordering).
    first_name_key = models.CharField(max_length=100, editable=False)
    last_name_key = models.CharField(max_length=100, editable=False)
    # SE: 12 digits; NO: 11 digits. Never set for birth-date-only clinics.
    identity_number = models.CharField(max_length=12, null=True, blank=True)  # noqa: DJ001
    identity_kind = models.CharField(max_length=24, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="E.164")
    address = models.TextField(blank=True)
    # GDPR Art. 18: while set, the data is only stored — no recall, marketing or reminders.
    restricted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "identity_number"],
                condition=Q(identity_number__isnull=False),
                name="person_identity_unique",
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

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


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


class Animal(models.Model):
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=100)
    species = models.CharField(max_length=20, choices=Species.choices)
    breed = models.CharField(max_length=100, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    # ISO 11784/11785 transponder code: 15 digits.
    chip_id = models.CharField(max_length=15, null=True, blank=True)  # noqa: DJ001
    deceased_on = models.DateField(null=True, blank=True)
    owners = models.ManyToManyField(Person, through="AnimalOwner", related_name="animals")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
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
        ]

    def __str__(self) -> str:
        return self.name


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
