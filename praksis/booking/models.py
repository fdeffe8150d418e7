"""Services, practitioners' hours, absences, appointments and booking requests.

Times are stored in UTC; weekly hours are wall-clock times in the clinic's zone, turned
into instants per day so that DST changes move nothing a client sees.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from praksis.people.guardians import booking_contact


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
    # Reminder SMS ask for a reply: JA confirms, NEJ/NEI cancels (praksis/booking/sms_replies.py).
    sms_reply_requests = models.BooleanField(default=False)

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
    # Rooms and equipment the service needs, all of them free for its whole busy time.
    resources = models.ManyToManyField("Resource", related_name="services", blank=True)

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


class Resource(models.Model):
    """A room or a piece of equipment that a service needs (the surgery, the X-ray room,
    the exam room with the slit lamp). Never booked twice at once: see ResourceHold."""

    class Kind(models.TextChoices):
        ROOM = "room", _("Room")
        EQUIPMENT = "equipment", _("Equipment")

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.ROOM)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="resource_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


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
        ARRIVED = "arrived", _("Arrived")
        CANCELLED = "cancelled", _("Cancelled")
        NO_SHOW = "no_show", _("No-show")
        COMPLETED = "completed", _("Completed")

    # The statuses that hold the practitioner's (and the rooms') time: the database
    # refuses an overlap between two of these (migrations 0002 and 0005).
    HOLDING = (Status.BOOKED, Status.ARRIVED)

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
    # The visit's way through the day, with who and when: booked → arrived → completed,
    # or no-show or cancelled.
    arrived_at = models.DateTimeField(null=True, blank=True)
    arrived_by_user_id = models.BigIntegerField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by_user_id = models.BigIntegerField(null=True, blank=True)
    no_show_at = models.DateTimeField(null=True, blank=True)
    no_show_by_user_id = models.BigIntegerField(null=True, blank=True)
    cancelled_by_user_id = models.BigIntegerField(null=True, blank=True)
    # The client confirmed the time (an SMS reply "JA"); cancelling by reply sets the
    # status instead.
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # One of a recurring series made by staff, and its place in it (1, 2, ...).
    series = models.ForeignKey(
        "AppointmentSeries",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appointments",
    )
    series_index = models.PositiveSmallIntegerField(null=True, blank=True)

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
        return self._record_contact[0]

    @property
    def contact_phone(self) -> str:
        if self.booked_email or self.booked_phone:
            return self.booked_phone
        return self._record_contact[1]

    @cached_property
    def _record_contact(self) -> tuple[str, str]:
        """The record's e-mail and phone; a child without them is reached through a
        guardian the child's data may be shown to (REQ-49)."""
        return booking_contact(self.person)


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


class AppointmentSeries(models.Model):
    """Recurring bookings made by staff: every ``interval_weeks`` weeks, ``count`` times."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    interval_weeks = models.PositiveSmallIntegerField()
    count = models.PositiveSmallIntegerField()
    created_by_user_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(interval_weeks__gte=1) & Q(interval_weeks__lte=52),
                name="series_interval",
            ),
            models.CheckConstraint(
                condition=Q(count__gte=2) & Q(count__lte=52), name="series_count"
            ),
        ]

    def __str__(self) -> str:
        return f"series {self.pk}"


class ResourceHold(models.Model):
    """A resource taken by a booking for its busy time. A hold exists only while its
    booking holds its time (booked or arrived); cancelling or a no-show deletes it. The
    database refuses two holds of one resource at overlapping times (migration 0005)."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="holds")
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="holds")
    start = models.DateTimeField()
    busy_until = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(busy_until__gt=F("start")), name="hold_order"),
            models.UniqueConstraint(fields=["appointment", "resource"], name="hold_unique"),
        ]
        indexes = [models.Index(fields=["resource", "start"], name="hold_resource_start")]

    def __str__(self) -> str:
        return f"{self.resource_id} {self.start}–{self.busy_until}"


class WaitlistEntry(models.Model):
    """Someone waiting for a time: a client who found none on the public page, or one
    staff put on the list. Freed times that match are offered to them (WaitlistOffer)."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        BOOKED = "booked", _("Booked")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        EXPIRED = "expired", _("Expired")

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # What the client gave on the public page (offers go to these details).
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True)
    # The days and times that suit: weekdays [0..6] and a wall-clock window.
    weekdays = models.JSONField(default=list)
    earliest = models.TimeField(null=True, blank=True)
    latest = models.TimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    token_hash = models.CharField(max_length=64, unique=True)  # the leave-the-list link
    notice_version = models.PositiveIntegerField(null=True, blank=True)
    appointment = models.ForeignKey(
        Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by_user_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["clinic", "service", "status"], name="waitlist_open"),
            models.Index(fields=["expires_at"], name="waitlist_expiry"),
        ]

    def __str__(self) -> str:
        return f"waitlist {self.pk}"


class WaitlistOffer(models.Model):
    """A freed time offered to one waiting entry, claimed through a secret link. Many
    entries may be offered one time: the first claim books it (the booking's own
    guarantee); the others are told it is gone."""

    class Status(models.TextChoices):
        OPEN = "open", _("Offered")
        CLAIMED = "claimed", _("Claimed")
        GONE = "gone", _("Taken by someone else")
        EXPIRED = "expired", _("Expired")

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="offers")
    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="+")
    start = models.DateTimeField()
    token_hash = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    appointment = models.ForeignKey(
        Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["clinic", "start", "status"], name="offer_slot")]
        constraints = [
            models.UniqueConstraint(fields=["entry", "start"], name="offer_once_per_time")
        ]

    def __str__(self) -> str:
        return f"offer {self.pk}"


class CalendarFeed(models.Model):
    """A practitioner's calendar as an iCalendar feed at a secret URL, revocable. By
    default it shows times and services only: no client names, no health data."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    show_names = models.BooleanField(default=False)
    created_by_user_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"feed {self.pk}"


class SmsReply(models.Model):
    """An SMS reply to a reminder, as the provider's signed webhook delivered it: JA
    confirms the booking, NEJ/NEI cancels it. Kept with the booking."""

    class Outcome(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")
        NOT_UNDERSTOOD = "unclear", _("Not understood")
        TOO_LATE = "too_late", _("Too late to change")
        NO_BOOKING = "no_booking", _("No booking found")

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    provider_id = models.CharField(max_length=100, unique=True)
    from_phone = models.CharField(max_length=20)
    body = models.CharField(max_length=500)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    received_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"sms reply {self.pk}"


class IntakeForm(models.Model):
    """A questionnaire the owner writes for a service (issue 15): the client fills it in
    their account before the visit. Each question says why it is asked (data
    minimisation). ``questions``: a list of ``{"text", "why", "kind"}``, kind "text" or
    "yesno". The answers are never kept here: they become a draft in the journal (its
    encryption and retention), for the practitioner to review and sign."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    service = models.OneToOneField(Service, on_delete=models.CASCADE, related_name="intake_form")
    title = models.CharField(max_length=200)
    questions = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.title


class IntakeResponse(models.Model):
    """That a client answered a booking's form, and the journal draft it became (the
    answers themselves are only in the encrypted draft)."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    appointment = models.OneToOneField(
        Appointment, on_delete=models.CASCADE, related_name="intake_response"
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    journal_entry_id = models.BigIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"intake of appointment {self.appointment_id}"
