"""Services, practitioners' hours, absences, appointments and booking requests.

Times are stored in UTC; weekly hours are wall-clock times in the clinic's zone, turned
into instants per day so that DST changes move nothing a client sees.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class BookingPolicy(models.Model):
    """How a clinic takes bookings."""

    class Mode(models.TextChoices):
        ONLINE = "online", _("Clients book a time online")
        REQUESTS = "requests", _("Clients send a booking request")

    clinic = models.OneToOneField(
        "clinics.Clinic", on_delete=models.CASCADE, primary_key=True, related_name="booking_policy"
    )
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.ONLINE)
    slot_minutes = models.PositiveSmallIntegerField(default=15)
    horizon_days = models.PositiveSmallIntegerField(default=90)
    min_notice_minutes = models.PositiveIntegerField(default=60)
    cancel_cutoff_hours = models.PositiveIntegerField(default=24)
    reminder_hours = models.PositiveIntegerField(default=24)
    request_expiry_days = models.PositiveIntegerField(default=30)
    ip_retention_days = models.PositiveIntegerField(default=30)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=5) & Q(slot_minutes__lte=120), name="policy_slot"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.clinic_id}: {self.mode}"


class Practitioner(models.Model):
    """Someone clients can be booked with (usually a member of staff)."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        "clinics.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(max_length=200)
    title = models.CharField(max_length=100, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        indexes = [models.Index(fields=["clinic", "active"], name="practitioner_clinic")]
        constraints = [
            # One practitioner per member of staff (setup.practitioner_for_membership).
            models.UniqueConstraint(fields=["clinic", "user"], name="practitioner_user_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    # Translations: {"sv": "...", "nb": "...", "en": "..."}; `name` is the fallback.
    names = models.JSONField(default=dict, blank=True)
    duration_minutes = models.PositiveSmallIntegerField()
    buffer_minutes = models.PositiveSmallIntegerField(default=0)
    # Including VAT (the consumer price), at ``vat_rate`` percent.
    price = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    online_bookable = models.BooleanField(default=True)
    active = models.BooleanField(default=True)
    practitioners = models.ManyToManyField(Practitioner, related_name="services", blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5) & Q(duration_minutes__lte=600),
                name="service_duration",
            ),
            models.CheckConstraint(
                condition=Q(price__gte=0) & Q(price__lt=1_000_000), name="service_price"
            ),
            models.CheckConstraint(
                condition=Q(vat_rate__gte=0) & Q(vat_rate__lt=100), name="service_vat"
            ),
            models.CheckConstraint(condition=Q(buffer_minutes__lte=240), name="service_buffer"),
        ]

    def __str__(self) -> str:
        return self.name

    def localized_name(self, language: str | None = None) -> str:
        language = (language or get_language() or "sv")[:2]
        return self.names.get(language) or self.name


class WorkingHours(models.Model):
    """A practitioner's weekly hours: one row per continuous stretch (gaps are breaks)."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField()  # 0 = Monday
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="hours_weekday"),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="hours_order"),
        ]

    def __str__(self) -> str:
        return f"{self.practitioner_id} {self.weekday} {self.start}-{self.end}"


class Absence(models.Model):
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.CASCADE, related_name="absences"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["practitioner", "start"], name="absence_start")]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="absence_order")
        ]

    def __str__(self) -> str:
        return f"{self.practitioner_id} {self.start}–{self.end}"


class ClosedDay(models.Model):
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    date = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinic", "date"], name="closed_day_unique")]

    def __str__(self) -> str:
        return f"{self.clinic_id} {self.date}"


class Channel(models.TextChoices):
    ONLINE = "online", _("Online")
    PHONE = "phone", _("Phone")
    DESK = "desk", _("At the desk")


class Appointment(models.Model):
    class IdentityMatch(models.TextChoices):
        # An online booking that gave an identity number already on file is linked to
        # that person, but grants nothing over the record: staff confirm the match.
        NONE = "", _("No match")
        TO_CONFIRM = "to_confirm", _("To confirm")
        SAME_CONTACT = "same_contact", _("Matched by the contact details on record")
        CONFIRMED = "confirmed", _("Confirmed by staff")

    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        CANCELLED = "cancelled", _("Cancelled")
        NO_SHOW = "no_show", _("No-show")
        COMPLETED = "completed", _("Completed")

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    animal = models.ForeignKey(
        "people.Animal", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    # end + the service's buffer: the practitioner is busy until then.
    busy_until = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BOOKED)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    reference = models.CharField(max_length=12)
    manage_token_hash = models.CharField(max_length=64, unique=True)
    uid = models.CharField(max_length=80, unique=True)
    sequence = models.PositiveIntegerField(default=0)  # iCalendar SEQUENCE, bumped on change
    notice_version = models.PositiveIntegerField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    # Security log of an online booking's origin, kept only `ip_retention_days`.
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    ip_expires_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    created_by_user_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # What the client gave with an online booking. Messages about the booking go to these
    # contact details, never to the record's (they may belong to someone else).
    booked_first_name = models.CharField(max_length=100, blank=True)
    booked_last_name = models.CharField(max_length=100, blank=True)
    booked_email = models.EmailField(blank=True)
    booked_phone = models.CharField(max_length=20, blank=True)
    booked_animal = models.CharField(max_length=200, blank=True)
    identity_match = models.CharField(
        max_length=12, choices=IdentityMatch.choices, blank=True, default=""
    )
    identity_checked_by_user_id = models.BigIntegerField(null=True, blank=True)
    identity_checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="appointment_order"),
            models.CheckConstraint(
                condition=Q(busy_until__gte=F("end")), name="appointment_busy_until"
            ),
            models.UniqueConstraint(fields=["clinic", "reference"], name="appointment_reference"),
        ]
        indexes = [
            models.Index(fields=["practitioner", "start"], name="appointment_practitioner"),
            models.Index(fields=["clinic", "start"], name="appointment_clinic_start"),
            models.Index(fields=["clinic", "person"], name="appointment_person"),
            models.Index(
                fields=["clinic", "identity_match"],
                name="appointment_match_open",
                condition=Q(identity_match="to_confirm"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.start:%Y-%m-%d %H:%M}"

    @property
    def contact_email(self) -> str:
        """Where messages about this booking go: the details the booking was made with,
        if it was made online (they may differ from the record's), else the record's."""
        if self.booked_email or self.booked_phone:
            return self.booked_email
        return self.person.email

    @property
    def contact_phone(self) -> str:
        if self.booked_email or self.booked_phone:
            return self.booked_phone
        return self.person.phone


class BookingRequest(models.Model):
    """A client's wish for a time (clinics that book themselves, e.g. the dental demo)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CONVERTED = "converted", _("Booked")
        DECLINED = "declined", _("Declined")

    class TimeOfDay(models.TextChoices):
        MORNING = "morning", _("Morning")
        MIDDAY = "midday", _("Midday")
        AFTERNOON = "afternoon", _("Afternoon")
        ANY = "any", _("Any time")

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, null=True, related_name="+")
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True)
    preferred_weekdays = models.JSONField(default=list)  # [0..6]
    preferred_time = models.CharField(max_length=10, choices=TimeOfDay.choices)
    source = models.CharField(max_length=100, blank=True)  # "where did you find us"
    message = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    appointment = models.ForeignKey(
        Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decline_reason = models.CharField(max_length=300, blank=True)
    notice_version = models.PositiveIntegerField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["clinic", "status", "created_at"], name="request_status"),
            models.Index(fields=["expires_at"], name="request_expiry"),
        ]

    def __str__(self) -> str:
        return f"request {self.pk}"
