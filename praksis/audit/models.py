"""The access log (LAW.md REQ-19..23): every read and write of personal data.

Rows are append-only (database triggers refuse UPDATE and DELETE) and chained: each row
carries the HMAC of its content and of the previous row's HMAC, keyed by a sub-key of
``PRAKSIS_KEY``. Each chain has a head holding its last sequence number and hash, itself
authenticated, so cutting rows off the tail is detected too.

A clinic's log is a few chains side by side ("lanes", PostgreSQL only): appending locks
one head until the transaction ends, so with one chain every request of a busy clinic
queued behind every other's commit. A request takes any free lane (``SKIP LOCKED``).
Lane ``n`` numbers its rows from ``n * LANE_SPAN + 1``, so ``seq`` stays unique per
clinic, says which lane a row is in, and is covered by the row's HMAC; lane 0 is the
single chain of before.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from praksis.clinics.models import Role
from praksis.core.access_log import Action  # the log's vocabulary, kept in the ground

LANE_SPAN = 10**12  # rows a lane can hold before its numbers reach the next lane's


class AccessLogEntry(models.Model):
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    seq = models.BigIntegerField()
    at = models.DateTimeField(default=timezone.now)
    # The actor, kept as plain values so the log outlives staff accounts.
    user_id = models.BigIntegerField(null=True, blank=True)
    actor = models.CharField(max_length=254)
    role = models.CharField(max_length=20)
    # The person whose data was touched (no foreign key: the log outlives the record).
    person_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=10, choices=Action.choices)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64, blank=True)
    purpose = models.CharField(max_length=200, blank=True)
    # Non-personal detail (field names changed, result count) — never values.
    detail = models.CharField(max_length=500, blank=True)
    channel = models.CharField(max_length=10, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    # REQ-20 (Norway): the user's HPR number and the clinic's organisation number, as they
    # were at the access. Empty (NULL) elsewhere and on rows from before; nullable so that
    # adding them kept the append-only table (SQLite rebuilds a table for a NOT NULL
    # column, dropping its triggers). Covered by the row's HMAC when set.
    hpr_number = models.CharField(max_length=12, null=True, blank=True)  # noqa: DJ001
    organisation_number = models.CharField(max_length=20, null=True, blank=True)  # noqa: DJ001
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "seq"], name="accesslog_clinic_seq"),
        ]
        indexes = [
            models.Index(fields=["clinic", "person_id", "at"], name="accesslog_person"),
            models.Index(fields=["clinic", "user_id", "at"], name="accesslog_user"),
            models.Index(fields=["clinic", "at"], name="accesslog_at"),
        ]

    def __str__(self) -> str:
        return f"{self.clinic_id}#{self.seq} {self.actor} {self.action} {self.object_type}"

    @property
    def role_label(self) -> str:
        """The role in words (REQ-23: the extract says in which role someone looked)."""
        return str(Role(self.role).label) if self.role in Role.values else self.role

    # In words for screens (REQ-23): who by name (never the e-mail address logged), what
    # and why. ``staff_name`` is annotated by ``selectors.person_access_log``.
    @property
    def who(self) -> str:
        from praksis.audit import labels

        return labels.actor_label(
            role=self.role,
            channel=self.channel,
            user_name=getattr(self, "staff_name", None),
            user_id=self.user_id,
        )

    @property
    def object_label(self) -> str:
        from praksis.audit import labels

        return labels.object_label(self.object_type)

    @property
    def purpose_label(self) -> str:
        from praksis.audit import labels

        return labels.purpose_label(self.purpose)


class ChainHead(models.Model):
    """The end of one chain (lane) of a clinic's log: its last ``seq`` and hash, sealed."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    lane = models.PositiveSmallIntegerField(default=0)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)
    seal = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "lane"], name="chainhead_clinic_lane"),
        ]

    def __str__(self) -> str:
        return f"{self.clinic_id}/{self.lane}@{self.seq}"


class ChainCut(models.Model):
    """A sealed cut of one lane of a clinic's log: the retention sweep removed the lane's
    rows after ``from_seq`` up to ``seq`` (REQ-10), and the lane now starts here.

    It keeps what verification needs to go on from the cut: the last removed row's
    ``seq`` and ``hash`` (the next row's ``prev_hash``), how many rows went, the time of
    the newest removed row, when the cut was made, and an HMAC seal over all of it and
    over the lane's previous cut (the same key as the heads'), so a forged, altered or
    dropped cut is found. Cuts hold no personal data and are kept forever; like the log
    they are append-only (database triggers refuse UPDATE and DELETE).
    """

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    lane = models.PositiveSmallIntegerField(default=0)
    from_seq = models.BigIntegerField()  # where the lane started before this cut
    seq = models.BigIntegerField()  # the last row removed
    hash = models.CharField(max_length=64)  # that row's hash
    count = models.BigIntegerField()  # rows removed by this cut (seq - from_seq)
    last_at = models.DateTimeField()  # when the newest removed row was recorded
    cut_at = models.DateTimeField(default=timezone.now)
    seal = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "lane", "seq"], name="chaincut_lane_seq"),
            models.UniqueConstraint(
                fields=["clinic", "lane", "from_seq"], name="chaincut_lane_from"
            ),
            models.CheckConstraint(condition=Q(seq__gt=F("from_seq")), name="chaincut_order"),
        ]

    def __str__(self) -> str:
        return f"{self.clinic_id}/{self.lane} cut {self.from_seq}..{self.seq}"


class ReviewMethod(models.TextChoices):
    SYSTEMATIC = "systematic", _("Systematic sample")
    RANDOM = "random", _("Random sample")
    ANOMALIES = "anomalies", _("Flagged anomalies")


class ReviewOutcome(models.TextChoices):
    NO_REMARKS = "no_remarks", _("No remarks")
    FOLLOW_UP = "follow_up", _("Follow-up needed")
    INCIDENT = "incident", _("Incident")


class AccessReview(models.Model):
    """One check of the access log by the owner, and what came of it (REQ-22).

    The entries looked at are kept by id, and the sample can be drawn again: the period,
    the method, the sample size, the seed of a random sample and ``upto`` (how far each
    lane of the log reached when the sample was drawn: "1204,7" is lane 0 up to its row
    1204 and lane 1 up to its row 7) fix it. Reviews from before log lanes were cut by
    ``upto_seq`` alone (lane 0). Reviews are append-only: a
    follow-up is a new review that points at the one it follows up.
    """

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    # The reviewer, kept as plain values like the log's actor, so the record outlives them.
    reviewer_user_id = models.BigIntegerField(null=True, blank=True)
    reviewer = models.CharField(max_length=254)
    reviewer_name = models.CharField(max_length=200, blank=True)
    reviewed_at = models.DateTimeField(default=timezone.now)
    # The period reviewed: local dates of the clinic, both included.
    period_start = models.DateField()
    period_end = models.DateField()
    method = models.CharField(max_length=12, choices=ReviewMethod.choices)
    sample_size = models.PositiveIntegerField()
    seed = models.BigIntegerField(null=True, blank=True)
    upto_seq = models.BigIntegerField()  # lane 0's reach (all of the log before lanes)
    # Nullable so that adding it kept the append-only table (SQLite rebuilds a table
    # for a NOT NULL column, dropping its triggers); empty for reviews before lanes.
    upto = models.CharField(max_length=400, null=True, blank=True)  # noqa: DJ001
    population = models.PositiveIntegerField()
    entry_ids = models.JSONField(default=list)
    outcome = models.CharField(max_length=12, choices=ReviewOutcome.choices)
    note = models.TextField(blank=True)
    # Where the follow-up is handled (a breach-register entry, a ticket, a meeting).
    follow_up = models.CharField(max_length=300, blank=True)
    follows_up = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="follow_ups"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="review_period_order"
            ),
            models.CheckConstraint(
                condition=Q(method__in=ReviewMethod.values), name="review_method"
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=ReviewOutcome.values), name="review_outcome"
            ),
            models.CheckConstraint(
                condition=Q(outcome=ReviewOutcome.NO_REMARKS) | ~Q(note=""),
                name="review_remark_has_note",
            ),
            models.CheckConstraint(
                condition=Q(method=ReviewMethod.RANDOM, seed__isnull=False)
                | (~Q(method=ReviewMethod.RANDOM) & Q(seed__isnull=True)),
                name="review_random_has_seed",
            ),
        ]
        indexes = [models.Index(fields=["clinic", "-reviewed_at"], name="review_clinic_at")]

    def __str__(self) -> str:
        return f"review {self.pk} {self.period_start}–{self.period_end} {self.method}"

    @property
    def cut(self) -> str:
        """How far the log reached when the sample was drawn (see ``upto``)."""
        return self.upto or str(self.upto_seq)

    @property
    def cut_rows(self) -> int:
        """How many rows the log had then (every lane's reach added up)."""
        return sum(int(n) for n in self.cut.split(",") if n.strip().isdigit())
