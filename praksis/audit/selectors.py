"""Reading and verifying the access log, and reviewing it (REQ-22, REQ-23)."""

from __future__ import annotations

import operator
import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import reduce

from django.db import models
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Window,
)
from django.db.models.functions import (
    ExtractHour,
    ExtractIsoWeekDay,
    ExtractMinute,
    RowNumber,
    TruncDate,
)
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from praksis.audit import sources
from praksis.audit.cuts import cut_seal
from praksis.audit.models import (
    LANE_SPAN,
    AccessLogEntry,
    AccessReview,
    Action,
    ChainCut,
    ChainHead,
    ReviewMethod,
)
from praksis.audit.services import GENESIS, Access, entry_hash, head_seal, log_access, log_accesses
from praksis.clinics.access import Actor, require
from praksis.clinics.models import Clinic, Membership, Role, User
from praksis.core.errors import ValidationFailed
from praksis.core.text import name_key

REVIEW_PURPOSE = "access log review"


def person_access_log(*, actor: Actor, person_id: int) -> QuerySet[AccessLogEntry]:
    """Who touched this person's data (REQ-23). Viewing the log is itself logged (REQ-22)."""
    require(actor, "access_log.read")
    log_access(
        actor,
        Access(
            action=Action.READ,
            object_type="access_log",
            object_id=person_id,
            person_id=person_id,
            purpose=REVIEW_PURPOSE,
        ),
    )
    return (
        AccessLogEntry.objects.filter(clinic=actor.clinic, person_id=person_id)
        .annotate(**_staff_annotations())
        .order_by("-at", "-seq")  # newest first (seq alone would go lane by lane)
    )


def _staff_annotations() -> dict:
    """Who the actor was, in words: name, job title and (NO) HPR number, from the user row.

    Each row already carries its role and its reason (``purpose``); with these the
    extract says who looked, in which role and why (REQ-20, REQ-23). The name is read
    as the user has it now; ``actor`` keeps the e-mail address as it was logged.
    """
    staff = User.objects.filter(pk=OuterRef("user_id"))
    return {
        "staff_name": Subquery(staff.values("full_name")[:1]),
        "staff_title": Subquery(staff.values("title")[:1]),
        "staff_hpr": Subquery(staff.values("hpr_number")[:1]),
    }


@dataclass
class ChainProblem:
    clinic: str
    seq: int | None
    problem: str
    where: str = ""  # said instead of the row or head (a sealed cut of a lane)

    def __str__(self) -> str:
        if self.where:
            where = self.where
        elif self.seq is None:
            where = "chain head"
        elif self.seq > LANE_SPAN:
            where = f"lane {self.seq // LANE_SPAN} row {self.seq % LANE_SPAN}"
        else:
            where = f"row {self.seq}"
        return f"{self.clinic}: {where}: {self.problem}"


def verify_clinic_chain(clinic: Clinic, *, chunk_size: int = 5000) -> Iterator[ChainProblem]:
    """Walk each lane of the clinic's log in order; yield every break found (edit, gap,
    re-order, cut tail, altered head). Rows come in ``seq`` order, lane after lane.

    A lane whose oldest rows the retention sweep removed starts from its last sealed
    cut (``cuts``): the cuts are checked first (seal, and each one following the one
    before), then the rows from the last cut's row and hash on. Rows left behind a cut
    are reported, and so is a row removed without one (it is missing)."""
    heads = {head.lane: head for head in ChainHead.objects.filter(clinic=clinic)}
    starts: dict[int, tuple[int, str]] = {}
    lane_cuts: dict[int, list[ChainCut]] = {}
    for cut in ChainCut.objects.filter(clinic=clinic).order_by("lane", "seq"):
        lane_cuts.setdefault(cut.lane, []).append(cut)
    for cut_lane, found in sorted(lane_cuts.items()):
        starts[cut_lane] = yield from _check_cuts(clinic, cut_lane, found)
    lane, expected_seq, prev, start, behind = None, 0, GENESIS, 0, 0
    seen: set[int] = set()
    rows = AccessLogEntry.objects.filter(clinic=clinic).order_by("seq")
    for row in rows.iterator(chunk_size=chunk_size):
        if row.seq // LANE_SPAN != lane:
            if lane is not None:
                yield from _behind_cut(clinic, lane, behind)
                yield from _check_head(clinic, lane, heads.pop(lane, None), expected_seq, prev)
            lane = row.seq // LANE_SPAN
            seen.add(lane)
            expected_seq, prev = starts.get(lane, (lane * LANE_SPAN, GENESIS))
            start, behind = expected_seq, 0
        if row.seq <= start:  # the lane's sealed cut says this row was removed
            behind += 1
            continue
        expected_seq += 1
        if row.seq != expected_seq:
            yield ChainProblem(clinic.slug, row.seq, f"expected row {expected_seq} (missing)")
            expected_seq = row.seq
        if row.prev_hash != prev:
            yield ChainProblem(clinic.slug, row.seq, "does not follow the previous row")
        if entry_hash(row) != row.hash:
            yield ChainProblem(clinic.slug, row.seq, "content does not match its hash")
        prev = row.hash
    if lane is not None:
        yield from _behind_cut(clinic, lane, behind)
        yield from _check_head(clinic, lane, heads.pop(lane, None), expected_seq, prev)
    for empty_lane in sorted((set(heads) | set(starts)) - seen):  # lanes without rows
        start_seq, start_hash = starts.get(empty_lane, (empty_lane * LANE_SPAN, GENESIS))
        yield from _check_head(clinic, empty_lane, heads.get(empty_lane), start_seq, start_hash)


def _lane_name(lane: int) -> str:
    return f"lane {lane} sealed cut" if lane else "sealed cut"


def _check_cuts(clinic, lane: int, cuts: list[ChainCut]):
    """Check a lane's sealed cuts in order (each sealed, each following the one before);
    yields the problems and returns where the lane starts now: (seq, hash)."""
    base = lane * LANE_SPAN
    seq, last_hash, seal = base, GENESIS, ""
    for cut in cuts:
        where = f"{_lane_name(lane)} {cut.from_seq - base + 1}..{cut.seq - base}"
        if cut.from_seq != seq:
            yield ChainProblem(
                clinic.slug,
                cut.seq,
                f"follows row {cut.from_seq - base}, the cut before ends at row {seq - base}: "
                "a sealed cut is missing",
                where=where,
            )
        if cut.count != cut.seq - cut.from_seq or cut.seal != cut_seal(cut, seal):
            yield ChainProblem(clinic.slug, cut.seq, "sealed cut was altered", where=where)
        seq, last_hash, seal = cut.seq, cut.hash, cut.seal
    return seq, last_hash


def _behind_cut(clinic, lane: int, count: int) -> Iterator[ChainProblem]:
    if count:
        yield ChainProblem(
            clinic.slug,
            None,
            f"{count} row(s) the sealed cut removed are still in the log",
            where=_lane_name(lane),
        )


def _check_head(clinic, lane: int, head, expected_seq: int, prev: str) -> Iterator[ChainProblem]:
    base = lane * LANE_SPAN
    head_seq, head_hash = (head.seq, head.hash) if head else (base, GENESIS)
    sealed = head is None or head.seq == 0 or head.seal == head_seal(clinic.pk, head_seq, head_hash)
    if not sealed:
        yield ChainProblem(clinic.slug, None, "chain head was altered")
    if head_seq != expected_seq or head_hash != prev:
        yield ChainProblem(
            clinic.slug,
            None,
            f"head says {head_seq - base} rows, the log has {expected_seq - base}"
            + (f" in lane {lane}" if lane else "")
            + ": rows were removed",
        )


# --- Review of the log (REQ-22): samples, anomalies, past reviews -----------------------
#
# The population of a review is the staff's accesses to a person's data in the period:
# rows with a user and a person. Rows that record a review of the log itself are left
# out (they would otherwise fill every later sample with the reviewer's own reading).
# Everything is computed in SQL with a fixed number of queries, whatever the size of the
# log; flags are computed when asked for, never stored per row.

SAMPLE_SIZE = 25
MAX_SAMPLE_SIZE = 200
MAX_PERIOD_DAYS = 366
ANOMALY_LIMIT = 50  # rows listed per kind of anomaly (the count says how many in all)
# A mass lookup: one user reads more than this many different people ...
MASS_LOOKUP_PERSONS = 30
# ... within this many minutes (windows aligned and shifted by half, so that a burst
# shorter than half a window is always seen whole in one of them).
MASS_LOOKUP_WINDOW_MINUTES = 60
# Accesses this long before opening or after closing still count as within hours.
HOURS_MARGIN_MINUTES = 30
# Without any practitioner's hours: weekdays 07:00-19:00 in the clinic's zone.
DEFAULT_HOURS = {weekday: (7 * 60, 19 * 60) for weekday in range(5)}
MAX_STAFF_PERSONS = 500
SEED_LIMIT = 2**62
REVIEW_OBJECT = "access_log"
_READS = (Action.READ, Action.PRINT, Action.EXPORT)


class AnomalyKind(models.TextChoices):
    NO_RELATION = "no_relation", gettext_lazy("No booking or journal relation")
    OUT_OF_HOURS = "out_of_hours", gettext_lazy("Outside working hours")
    MASS_LOOKUP = "mass_lookup", gettext_lazy("Mass lookup")
    COLLEAGUE = "colleague", gettext_lazy("A colleague's record")
    SELF = "self", gettext_lazy("Own record")


@dataclass(frozen=True)
class Period:
    """Local dates of the clinic, both included."""

    start: date
    end: date

    def bounds(self, zone) -> tuple[datetime, datetime]:
        start = datetime.combine(self.start, time(0), tzinfo=zone)
        end = datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=zone)
        return start, end

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


def review_period(*, date_from, date_to) -> Period:
    """The period to review from two ISO dates (or dates); ValidationFailed when bad."""
    errors: dict[str, list] = {}
    values = {}
    for field, value in (("from", date_from), ("to", date_to)):
        if isinstance(value, date):
            values[field] = value
            continue
        try:
            values[field] = date.fromisoformat(str(value or "").strip())
        except ValueError:
            errors[field] = [_("Enter a date as YYYY-MM-DD.")]
    if errors:
        raise ValidationFailed(errors)
    if values["to"] < values["from"]:
        raise ValidationFailed({"to": [_("The period must end on or after its first day.")]})
    if (values["to"] - values["from"]).days >= MAX_PERIOD_DAYS:
        raise ValidationFailed(
            {"to": [_("Review at most %(days)d days at a time.") % {"days": MAX_PERIOD_DAYS}]}
        )
    return Period(values["from"], values["to"])


def log_cut(clinic: Clinic) -> str:
    """How far each lane of the clinic's log reaches now, e.g. "1204,7" (lane 0 up to its
    row 1204, lane 1 up to its row 7): a review's sample is drawn up to it. A head moves
    only when its rows commit, so every row inside the cut is committed, and the rows
    inside it never change: the same sample can be drawn again."""
    reach = {
        lane: seq - lane * LANE_SPAN
        for lane, seq in ChainHead.objects.filter(clinic=clinic).values_list("lane", "seq")
    }
    counts = [reach.get(lane, 0) for lane in range(max(reach, default=0) + 1)]
    while len(counts) > 1 and counts[-1] == 0:
        counts.pop()
    return ",".join(str(n) for n in counts)


def _parse_cut(upto: str) -> list[int]:
    counts = [int(part) for part in str(upto).split(",")]
    if not counts or any(n < 0 for n in counts):
        raise ValueError(upto)
    return counts


def _within(upto: str) -> Q:
    inside = Q(pk__in=[])
    for lane, count in enumerate(_parse_cut(upto)):
        if count:
            base = lane * LANE_SPAN
            inside |= Q(seq__gt=base, seq__lte=base + count)
    return inside


def _population(clinic: Clinic, period: Period, upto: str) -> QuerySet[AccessLogEntry]:
    start, end = period.bounds(clinic.zone)
    return (
        AccessLogEntry.objects.filter(
            _within(upto),
            clinic=clinic,
            at__gte=start,
            at__lt=end,
            user_id__isnull=False,
            person_id__isnull=False,
        )
        .exclude(object_type=REVIEW_OBJECT)
        .order_by()
    )


def _relation(clinic: Clinic) -> Q:
    """True where the user had a reason to open the person's data.

    They registered the person or wrote the row as a create; or a registered source
    (``praksis.audit.sources``) knows a relation: the person has a booking with them (as
    practitioner) or booked by them; they wrote in the person's journal (or their
    animal's); at the desk, any booking or booking request of the person; for the owner,
    a data-subject request of the person.
    """
    user, person = OuterRef("user_id"), OuterRef("person_id")
    return reduce(
        operator.or_,
        sources.relations(clinic, user, person),
        Q(action=Action.CREATE)
        | Exists(
            AccessLogEntry.objects.filter(
                clinic=clinic,
                person_id=person,
                user_id=user,
                action=Action.CREATE,
                object_type="person",
            )
        ),
    )


def _with_relation(qs: QuerySet, clinic: Clinic) -> QuerySet:
    return qs.annotate(related=ExpressionWrapper(_relation(clinic), output_field=BooleanField()))


def clinic_hours(clinic: Clinic) -> dict[int, tuple[int, int]]:
    """Opening hours per weekday (0 = Monday) in minutes of the local day, with a margin.

    The span from the earliest start to the latest end of the active practitioners'
    weekly hours (as the registered sources give them: the booking app's); a weekday
    without hours is closed. A clinic without any hours gets DEFAULT_HOURS.
    """
    hours = {}
    for weekday, (first, last) in sources.hours(clinic).items():
        opens = first.hour * 60 + first.minute - HOURS_MARGIN_MINUTES
        closes = last.hour * 60 + last.minute + HOURS_MARGIN_MINUTES
        hours[weekday] = (max(0, opens), min(24 * 60, closes))
    return hours or dict(DEFAULT_HOURS)


def _closed_days(clinic: Clinic, period: Period) -> list[date]:
    return sources.closed_days(clinic, period.start, period.end)


def is_out_of_hours(local: datetime, hours: dict, closed_days=()) -> bool:
    """Whether a local time falls outside ``hours`` (see clinic_hours) or on a closed day."""
    if local.date() in closed_days or local.weekday() not in hours:
        return True
    opens, closes = hours[local.weekday()]
    minute = local.hour * 60 + local.minute
    return not opens <= minute < closes


def _out_of_hours(clinic: Clinic, hours: dict, closed_days) -> tuple[dict, Q]:
    """The annotations (local weekday, minute, date) and the condition of an access
    outside ``hours`` or on a closed day."""
    zone = clinic.zone
    annotations = {
        "local_weekday": ExtractIsoWeekDay("at", tzinfo=zone),
        "local_minute": ExtractHour("at", tzinfo=zone) * 60 + ExtractMinute("at", tzinfo=zone),
    }
    conditions = [
        Q(local_weekday=weekday + 1) & (Q(local_minute__lt=opens) | Q(local_minute__gte=closes))
        for weekday, (opens, closes) in hours.items()
    ]
    closed_weekdays = [weekday + 1 for weekday in range(7) if weekday not in hours]
    if closed_weekdays:
        conditions.append(Q(local_weekday__in=closed_weekdays))
    if closed_days:
        annotations["local_date"] = TruncDate("at", tzinfo=zone)
        conditions.append(Q(local_date__in=closed_days))
    return annotations, reduce(operator.or_, conditions)


def _staff_persons(clinic: Clinic) -> dict[int, set[int]]:
    """People of the clinic who are (by e-mail or full name) its own staff: id -> user ids."""
    staff = list(
        Membership.objects.filter(clinic=clinic).values_list(
            "user_id", "user__email", "user__full_name"
        )
    )
    by_email: dict[str, set[int]] = {}
    by_name: dict[str, set[int]] = {}
    for user_id, email, full_name in staff:
        if email:
            by_email.setdefault(email.upper(), set()).add(user_id)
        if name_key(full_name or ""):
            by_name.setdefault(name_key(full_name), set()).add(user_id)
    if not staff:
        return {}
    rows = sources.person_matches(clinic, list(by_email), list(by_name), MAX_STAFF_PERSONS)
    matches: dict[int, set[int]] = {}
    for person_id, email_upper, name in rows:
        matches[person_id] = by_email.get(email_upper, set()) | by_name.get(name, set())
    return matches


@dataclass
class ReviewRow:
    """One log row as the reviewer sees it, with the flags it raises."""

    entry: AccessLogEntry
    person_name: str
    flags: list[tuple[str, str]]  # (kind, label)

    @property
    def flag_kinds(self) -> list[str]:
        return [kind for kind, _label in self.flags]


@dataclass
class _Context:
    """What flagging needs, fetched once per page."""

    clinic: Clinic
    hours: dict
    closed_days: list
    staff_persons: dict[int, set[int]]

    @classmethod
    def load(cls, clinic: Clinic, period: Period) -> _Context:
        return cls(
            clinic, clinic_hours(clinic), _closed_days(clinic, period), _staff_persons(clinic)
        )


def _rows(context: _Context, entries: list[AccessLogEntry]) -> list[ReviewRow]:
    """Flag each entry (``related`` comes annotated) and name its person: one query."""
    clinic = context.clinic
    person_ids = {e.person_id for e in entries}
    names = sources.person_names(clinic, person_ids)
    rows = []
    for entry in entries:
        flags = []
        if not getattr(entry, "related", True):
            flags.append(AnomalyKind.NO_RELATION)
        if is_out_of_hours(entry.at.astimezone(clinic.zone), context.hours, context.closed_days):
            flags.append(AnomalyKind.OUT_OF_HOURS)
        staff = context.staff_persons.get(entry.person_id)
        if staff:
            flags.append(AnomalyKind.SELF if entry.user_id in staff else AnomalyKind.COLLEAGUE)
        rows.append(
            ReviewRow(
                entry=entry,
                person_name=names.get(entry.person_id, f"#{entry.person_id}"),
                flags=[(str(kind.value), str(kind.label)) for kind in flags],
            )
        )
    return rows


def _log_review(actor: Actor, *, what: str, rows: list[ReviewRow], detail: str) -> None:
    """Viewing the log is logged (REQ-22): one row for the view, one per person shown, so
    each person's own extract tells that their log entries were looked at (REQ-23)."""
    person_ids = sorted({row.entry.person_id for row in rows})
    log_accesses(
        actor,
        [Access(Action.LIST, REVIEW_OBJECT, what, purpose=REVIEW_PURPOSE, detail=detail[:500])]
        + [
            Access(Action.READ, REVIEW_OBJECT, what, person_id=pk, purpose=REVIEW_PURPOSE)
            for pk in person_ids
        ],
    )


# --- Samples --------------------------------------------------------------------------


def sample_positions(*, method: str, population: int, size: int, seed: int | None) -> list[int]:
    """Which rows (1-based, in log order) a sample takes.

    Systematic: every k-th row, k = population // size, starting at the k-th: the same
    period gives the same rows, ``size`` of them (all rows when there are fewer).
    Random: ``size`` rows drawn with a generator seeded by ``seed``: the same seed gives
    the same rows.
    """
    if population <= 0 or size <= 0:
        return []
    if method == ReviewMethod.SYSTEMATIC:
        step = max(1, population // size)
        return list(range(step, population + 1, step))[:size]
    if method == ReviewMethod.RANDOM:
        if seed is None:
            raise ValueError("a random sample needs a seed")
        return sorted(random.Random(seed).sample(range(1, population + 1), min(size, population)))
    raise ValueError(method)


def sample_entry_ids(
    *, clinic: Clinic, period: Period, method: str, size: int, seed: int | None, upto: str
) -> tuple[list[int], int]:
    """The ids of a sample's rows and the size of the population it was drawn from."""
    population = _population(clinic, period, upto)
    count = population.count()
    positions = sample_positions(method=method, population=count, size=size, seed=seed)
    if not positions:
        return [], count
    ids = list(
        population.annotate(position=Window(RowNumber(), order_by=F("seq").asc()))
        .filter(position__in=positions)
        .order_by("seq")
        .values_list("pk", flat=True)
    )
    return ids, count


@dataclass
class Sample:
    period: Period
    method: str
    size: int
    seed: int | None
    upto: str
    population: int
    rows: list[ReviewRow]

    @property
    def entry_ids(self) -> list[int]:
        return [row.entry.pk for row in self.rows]

    @property
    def step(self) -> int:
        return max(1, self.population // self.size)


def _entries(clinic: Clinic, ids: list[int]) -> list[AccessLogEntry]:
    qs = AccessLogEntry.objects.filter(clinic=clinic, pk__in=ids).order_by("at", "seq")
    return list(_with_relation(qs, clinic))


def review_sample(
    *,
    actor: Actor,
    period: Period,
    method: str,
    size: int = SAMPLE_SIZE,
    seed: int | None = None,
    upto: str | None = None,
) -> Sample:
    """Draw a systematic or random sample of the period's accesses, flagged; logged."""
    require(actor, "access_log.read")
    clinic = actor.clinic
    if method not in (ReviewMethod.SYSTEMATIC, ReviewMethod.RANDOM):
        raise ValidationFailed({"method": [_("Choose how to sample.")]})
    size = clean_size(size)
    if method == ReviewMethod.RANDOM and seed is None:
        seed = secrets.randbelow(SEED_LIMIT)
    if method == ReviewMethod.SYSTEMATIC:
        seed = None
    upto = clean_upto(clinic, upto)
    ids, population = sample_entry_ids(
        clinic=clinic, period=period, method=method, size=size, seed=seed, upto=upto
    )
    rows = _rows(_Context.load(clinic, period), _entries(clinic, ids))
    _log_review(
        actor,
        what=f"sample {period}",
        rows=rows,
        detail=f"method={method} period={period} size={size} seed={seed} upto={upto} "
        f"rows={len(rows)}",
    )
    return Sample(period, method, size, seed, upto, population, rows)


def clean_size(size) -> int:
    try:
        size = int(size)
    except (TypeError, ValueError):
        raise ValidationFailed({"size": [_("Enter a whole number.")]}) from None
    if not 1 <= size <= MAX_SAMPLE_SIZE:
        raise ValidationFailed(
            {"size": [_("Sample between 1 and %(max)d rows.") % {"max": MAX_SAMPLE_SIZE}]}
        )
    return size


def clean_upto(clinic: Clinic, upto) -> str:
    """The cut a sample is drawn up to: now's, or one given back by the review screen
    (a bare number is lane 0 alone, as reviews from before lanes were cut)."""
    now = log_cut(clinic)
    if upto is None or str(upto).strip() == "":
        return now
    try:
        counts = _parse_cut(str(upto).strip())
    except (TypeError, ValueError):
        raise ValidationFailed({"upto": [_("Enter a whole number.")]}) from None
    reach = _parse_cut(now)
    if len(counts) > len(reach) or any(n > reach[i] for i, n in enumerate(counts)):
        raise ValidationFailed({"upto": [_("The log has no such row yet.")]})
    return ",".join(str(n) for n in counts)


def clean_seed(seed) -> int | None:
    if seed is None or seed == "":
        return None
    try:
        seed = int(seed)
    except (TypeError, ValueError):
        raise ValidationFailed({"seed": [_("Enter a whole number.")]}) from None
    if not 0 <= seed < SEED_LIMIT:
        raise ValidationFailed({"seed": [_("Enter a whole number.")]})
    return seed


# --- Anomalies ------------------------------------------------------------------------


class _EpochBucket(Func):
    """The number of the ``width``-second window (shifted by ``offset`` seconds) a time is in."""

    output_field = BigIntegerField()

    def __init__(self, expression, *, width: int, offset: int = 0):
        super().__init__(expression)
        self.width, self.offset = int(width), int(offset)

    def as_sql(self, compiler, connection, **extra):
        template = (
            f"CAST(FLOOR((EXTRACT(EPOCH FROM %(expressions)s) + {self.offset}) / {self.width})"
            " AS BIGINT)"
        )
        return super().as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        template = (
            f"CAST(((julianday(%(expressions)s) - 2440587.5) * 86400 + {self.offset})"
            f" / {self.width} AS INTEGER)"
        )
        return super().as_sql(compiler, connection, template=template, **extra)


@dataclass
class MassLookup:
    user_id: int
    actor: str
    role: str
    first: datetime
    last: datetime
    persons: int

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label) if self.role in Role.values else self.role


@dataclass
class Anomalies:
    period: Period
    upto: str
    population: int
    hours: dict
    no_relation: list[ReviewRow]
    no_relation_count: int
    out_of_hours: list[ReviewRow]
    out_of_hours_count: int
    colleagues: list[ReviewRow]
    colleagues_count: int
    mass_lookups: list[MassLookup]

    @property
    def entry_ids(self) -> list[int]:
        rows = self.no_relation + self.out_of_hours + self.colleagues
        return sorted({row.entry.pk for row in rows})

    @property
    def total(self) -> int:
        return (
            self.no_relation_count
            + self.out_of_hours_count
            + self.colleagues_count
            + len(self.mass_lookups)
        )


def _mass_lookups(population: QuerySet, limit: int) -> list[MassLookup]:
    width = MASS_LOOKUP_WINDOW_MINUTES * 60
    found: list[MassLookup] = []
    for offset in (0, width // 2):
        groups = (
            population.filter(action__in=_READS)
            .annotate(window=_EpochBucket("at", width=width, offset=offset))
            .values("user_id", "window")
            .annotate(
                persons=Count("person_id", distinct=True),
                first=Min("at"),
                last=Max("at"),
                actor_label=Max("actor"),
                role_code=Max("role"),
            )
            .filter(persons__gt=MASS_LOOKUP_PERSONS)
            .order_by("-persons", "first")[:limit]
        )
        found += [
            MassLookup(
                g["user_id"], g["actor_label"], g["role_code"], g["first"], g["last"], g["persons"]
            )
            for g in groups
        ]
    # The two windowings see the same burst twice: keep the larger of overlapping ones.
    kept: list[MassLookup] = []
    for lookup in sorted(found, key=lambda m: -m.persons):
        if not any(
            k.user_id == lookup.user_id and k.first <= lookup.last and lookup.first <= k.last
            for k in kept
        ):
            kept.append(lookup)
    return sorted(kept, key=lambda m: m.first)[:limit]


def anomalies_compute(
    *, clinic: Clinic, period: Period, upto: str, limit: int = ANOMALY_LIMIT
) -> Anomalies:
    """The period's flagged accesses, each kind counted and its first ``limit`` rows listed.

    No permission check and no logging: callers are ``anomalies_find`` and the recording
    of a review (which re-derives the entries the reviewer saw).
    """
    context = _Context.load(clinic, period)
    population = _population(clinic, period, upto)
    annotations, out_of_hours = _out_of_hours(clinic, context.hours, context.closed_days)
    flagged = _with_relation(population, clinic).annotate(**annotations)
    kinds = {"no_relation": Q(related=False), "out_of_hours": out_of_hours}
    if context.staff_persons:
        kinds["colleagues"] = Q(person_id__in=list(context.staff_persons))
    # One pass counts the population and every kind; then one page per kind found.
    counts = flagged.aggregate(
        population=Count("pk"), **{kind: Count("pk", filter=q) for kind, q in kinds.items()}
    )
    pages = {
        kind: list(flagged.filter(q).order_by("at", "seq")[:limit]) if counts[kind] else []
        for kind, q in kinds.items()
    }
    rows = iter(_rows(context, [entry for page in pages.values() for entry in page]))
    listed = {kind: [next(rows) for _entry in page] for kind, page in pages.items()}
    return Anomalies(
        period=period,
        upto=upto,
        population=counts["population"],
        hours=context.hours,
        no_relation=listed["no_relation"],
        no_relation_count=counts["no_relation"],
        out_of_hours=listed["out_of_hours"],
        out_of_hours_count=counts["out_of_hours"],
        colleagues=listed.get("colleagues", []),
        colleagues_count=counts.get("colleagues", 0),
        mass_lookups=_mass_lookups(population, limit) if counts["population"] else [],
    )


def anomalies_find(
    *, actor: Actor, period: Period, upto: str | None = None, limit: int = ANOMALY_LIMIT
) -> Anomalies:
    """Flag the period's accesses for the owner's review (REQ-22); the viewing is logged."""
    require(actor, "access_log.read")
    upto = clean_upto(actor.clinic, upto)
    found = anomalies_compute(clinic=actor.clinic, period=period, upto=upto, limit=limit)
    _log_review(
        actor,
        what=f"anomalies {period}",
        rows=found.no_relation + found.out_of_hours + found.colleagues,
        detail=f"method=anomalies period={period} upto={upto} flagged={found.total}",
    )
    return found


# --- Past reviews ---------------------------------------------------------------------


def review_list(*, actor: Actor, limit: int = 50) -> list[AccessReview]:
    """The clinic's latest reviews, newest first, each with its follow-ups' ids."""
    require(actor, "access_log.read")
    reviews = list(
        AccessReview.objects.filter(clinic=actor.clinic)
        .annotate(followed_up=Exists(AccessReview.objects.filter(follows_up=OuterRef("pk"))))
        .order_by("-reviewed_at", "-pk")[:limit]
    )
    log_access(
        actor,
        Access(
            Action.LIST,
            "access_review",
            "",
            purpose=REVIEW_PURPOSE,
            detail=f"results={len(reviews)}",
        ),
    )
    return reviews


def review_exists(*, clinic: Clinic, review_id: int) -> bool:
    return AccessReview.objects.filter(clinic=clinic, pk=review_id).exists()


def review_get(*, actor: Actor, review_id: int) -> tuple[AccessReview, list[ReviewRow]]:
    """One review of the actor's clinic (404 otherwise) with the rows it looked at; logged."""
    require(actor, "access_log.read")
    review = (
        AccessReview.objects.filter(clinic=actor.clinic, pk=review_id)
        .select_related("follows_up")
        .first()
    )
    if review is None:
        raise Http404
    period = Period(review.period_start, review.period_end)
    ids = [int(pk) for pk in review.entry_ids][: MAX_SAMPLE_SIZE * 3]
    rows = _rows(_Context.load(actor.clinic, period), _entries(actor.clinic, ids))
    _log_review(
        actor,
        what=f"review {review.pk}",
        rows=rows,
        detail=f"review={review.pk} rows={len(rows)}",
    )
    return review, rows
