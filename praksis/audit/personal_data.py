"""What the audit app holds about a person: its personal-data contract
(see praksis/core/personal_data.py).

The access log (REQ-19..23) names a person by number only (``person_id``, no foreign key:
the log outlives the record). Erasure keeps it — it is the evidence of who accessed the
data, which the law requires (REQ-10; GDPR art. 17(3)(b)). The retention sweep removes
rows past the clinic's period (at least 5 years in Sweden) with a sealed cut of the
chain (``praksis.audit.cuts``), so the log still verifies afterwards; the sweep's own
evidence row is then appended after the cut like any other row.

Legal holds: a cut is by ``seq`` (the chain cannot skip a row), so the first row of a
held person stops its lane's cut — that row and every later one of the lane stay until
the hold is released; the rows before it go.

Reviews of the log (``AccessReview``) name the staff member who reviewed and the log
rows looked at (by id); they hold nothing about a client and are not declared here.
"""

from __future__ import annotations

from django.db.models import F, Min, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from praksis.audit import labels
from praksis.audit.cuts import cut_rows
from praksis.audit.models import LANE_SPAN, AccessLogEntry
from praksis.clinics.models import User
from praksis.core.personal_data import (
    KEEP,
    Contract,
    Decision,
    Holding,
    Rows,
    Rule,
    Section,
    Subject,
    engine,
    register,
)

LAW = "HSLF-FS 2016:40 4 kap. 9 §, pasientjournalloven § 22; GDPR art. 5.2, art. 17.3 b, art. 32"
CHUNK = 2000


class AuditData(Contract):
    label = "audit"
    stage = 90  # after the others: nothing here depends on their decisions
    apply_stage = 90  # nothing to apply: the log is kept
    holdings = (
        Holding("audit.AccessLogEntry", "access_log", "person_id", KEEP, clock="created",
                kept_by=LAW, section="access_log"),
    )  # fmt: skip
    labels = {"access_log": gettext_lazy("Log of who accessed your data")}
    reasons = {
        "access_log": gettext_lazy(
            "The log of who accessed your data must be kept (GDPR art. 17(3)(b)); it holds "
            "only reference numbers, not your name or contact details."
        )
    }

    def plan(self, ctx) -> None:
        """The log is kept (its rows go with the retention sweep, not with an erasure)."""
        count = AccessLogEntry.objects.filter(clinic=ctx.clinic, person_id=ctx.person.pk).count()
        policy = ctx.policy("access_log")
        until = ctx.add_months(ctx.today, policy.months) if policy.months else None
        ctx.decide(Decision("access_log", KEEP, count, "access_log", law=policy.law, until=until))

    def sections(self, subject: Subject):
        return [log_extract(subject)]


# --- The retention sweep ---------------------------------------------------------------


def _due(now):
    """Rows past their clinic's period, up to (not including) the first row of a held
    person in each lane: a cut is by ``seq``, so nothing after that row can go yet.

    Never ahead of the real clock: a sweep run with a later ``now`` (a forecast, a test)
    removes only what is really past its period — and the sweep's own evidence rows,
    appended after each cut, are never due in the run that writes them (else each batch
    would find the previous batch's evidence row due, without end)."""
    now = min(now, timezone.now())

    def q(clinic_ids, cutoff):
        return Q(clinic_id__in=clinic_ids, at__lte=cutoff)

    past = AccessLogEntry.objects.filter(engine().by_clinic_cutoff("access_log", now, q))
    held = (
        past.filter(person_id__isnull=False)
        .filter(engine().person_held("person_id"))
        .annotate(lane=F("seq") / LANE_SPAN)
        .values("clinic_id", "lane")
        .annotate(first=Min("seq"))
        .order_by()
    )
    stops = [
        Q(clinic_id=h["clinic_id"], seq__gte=h["first"], seq__lte=(h["lane"] + 1) * LANE_SPAN)
        for h in held
    ]
    for stop in stops:
        past = past.exclude(stop)
    return past


AuditData.rules = (Rule("access-log", "access_log", "delete", _due, cut_rows, order=90),)


# --- The log extract (REQ-23) --------------------------------------------------------


def log_extract(subject: Subject) -> Section:
    """Every access to the person's data, newest first, however many (no cap): when, who
    (by name, title and role — never an e-mail address; "Praksis (automatic)" for the
    application's own rows), what was done to which data, why, and through which channel
    — all in words.

    The rows are read lazily (:class:`Rows`): each pass over them streams the log from the
    database in chunks, so memory stays flat whatever the length of the log. Building the
    section costs no query; each pass two (the staff named in the log, then the rows)."""
    clinic = subject.clinic
    log = AccessLogEntry.objects.filter(clinic=clinic, person_id=subject.person.pk)
    norwegian = clinic.country == "NO"
    columns = {
        "at": _("Time"),
        "staff": _("Who"),
        "title": _("Title"),
        "role": _("Role"),
    }
    if norwegian:  # REQ-20: the HPR number of health personnel
        columns["hpr"] = _("HPR number")
    columns.update(
        action=_("Action"),
        record=_("What"),
        purpose=_("Purpose"),
        channel=_("Channel"),
    )

    language = translation.get_language()  # the reader's, as the section is built

    def rows():
        # The staff named in the log, as their accounts say now (name and job title).
        staff = {
            pk: (name, title, hpr)
            for pk, name, title, hpr in User.objects.filter(
                pk__in=log.filter(user_id__isnull=False).values("user_id")
            ).values_list("pk", "full_name", "title", "hpr_number")
        }
        # The same codes recur on thousands of rows: word each once per pass (in the
        # language active while the rows are read).
        words: dict[tuple[str, str], str] = {}

        def word(kind: str, code: str, render) -> str:
            key = (kind, code)
            if key not in words:
                with translation.override(language):
                    words[key] = render(code)
            return words[key]

        def automatic(channel: str) -> str:
            return labels.actor_label(role="", channel=channel, user_name=None, user_id=None)

        fields = ("at", "user_id", "role", "action", "object_type", "purpose", "channel")
        ordered = log.order_by("-at", "-seq").values_list(*fields, "hpr_number")
        for (
            at,
            user_id,
            role,
            action,
            object_type,
            purpose,
            channel,
            logged_hpr,
        ) in ordered.iterator(chunk_size=CHUNK):
            name, title, hpr = staff.get(user_id, (None, "", ""))
            hpr = logged_hpr or hpr  # REQ-20: the number the row recorded, when it did
            if user_id is None:
                who = word("actor", channel, automatic)
            else:
                who = labels.actor_label(
                    role=role, channel=channel, user_name=name, user_id=user_id
                )
                if not name:
                    who = word("actor", "former", lambda _code, who=who: who)
            item = {
                "at": at,
                "staff": who,
                "title": title or "",
                "role": word("role", role, labels.role_label),
            }
            if norwegian:
                item["hpr"] = hpr or ""
            item.update(
                action=word("action", action, labels.action_label),
                record=word("object", object_type, labels.object_label),
                purpose=word("purpose", purpose, labels.purpose_label),
                channel=word("channel", channel, labels.channel_label),
            )
            yield item

    items = Rows(count=log.count, rows=rows)
    return Section(
        key="access_log",
        title=str(AuditData.labels["access_log"]),
        columns=columns,
        items=items,
        portable=False,
        note=_(
            "Every time your data was opened, changed, printed, exported or disclosed, "
            "newest first: who did it, in which role, and why."
        ),
        order=90,
    )


register(AuditData())
