"""The personal-data contract: each app declares, in its own ``personal_data`` module, what
it holds about a person or an animal, and the privacy engine works only from those
declarations (ARCHITECTURE.md, "The personal-data contract").

An app's module builds one :class:`Contract` and calls :func:`register` with it; the
modules are found at start-up (``CoreConfig.ready`` → ``autodiscover_modules``). A
contract says, for every model that holds personal data:

* what it is (:class:`Holding`: the record type the retention policies know, what starts
  its clock, how a subject's rows are found, what erasure does, whether portability
  covers it);
* how erasure plans and applies it (:meth:`Contract.plan`, :meth:`Contract.apply`), in
  planning order (:attr:`Contract.stage`: a contract may read what earlier ones decided);
* how the retention sweep finds and handles what is due (:attr:`Contract.rules`);
* how it reads in an access report and an export (:meth:`Contract.sections`), in the
  reader's language and the clinic's time zone.

The engine (``praksis.privacy``) fills :func:`engine` at start-up: the retention policy
table and the legal holds, which the contracts' rules and plans ask for. That keeps the
base apps (people, messaging, audit) and the feature apps free of imports of the engine,
and the engine free of imports of them.

``tests/privacy/test_registry.py`` walks every installed model and fails when one with a
path to a person or an animal is not declared here, or is declared without an erasure
rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from types import FunctionType
from typing import Any

from django.utils.translation import gettext_lazy

DELETE = "delete"
PSEUDONYMISE = "pseudonymise"
KEEP = "keep"  # kept and restricted (Art. 18): only stored
ERASURE_ACTIONS = (DELETE, PSEUDONYMISE, KEEP)

ACTION_LABELS = {
    DELETE: gettext_lazy("Delete"),
    PSEUDONYMISE: gettext_lazy("Pseudonymise"),
    KEEP: gettext_lazy("Keep and restrict"),
}


@dataclass(frozen=True)
class Holding:
    """One model that holds personal data, as its app declares it.

    ``subject``: the lookup path from the model to the person (``"person"``,
    ``"entry__person"``) or, for a vet's records, the animal (``"animal"``); several
    paths are separated by ``|``. ``erasure``: what erasing the person does to its rows
    (one of :data:`ERASURE_ACTIONS`) when no law or hold keeps them; ``kept_by`` names
    the law or reason that may keep them instead. ``clock``: what starts the retention
    period (one of the engine's triggers). ``portable``: Art. 20 covers it (data the
    person provided). ``section``: the access-report section that shows its rows.
    """

    model: str  # "app_label.ModelName"
    record_type: str
    subject: str
    erasure: str
    clock: str = "created"
    kept_by: str = ""
    portable: bool = False
    section: str = ""

    def __post_init__(self):
        if self.erasure not in ERASURE_ACTIONS:
            raise ValueError(f"{self.model}: erasure must be one of {ERASURE_ACTIONS}")


@dataclass(frozen=True)
class Rule:
    """One kind of record due for the retention sweep. ``due(now)`` selects the due rows of
    every clinic (each clinic with its own period, held records left out); ``apply(qs)``
    deletes or strips the rows of one batch and returns how many it handled (or which).
    ``due`` must be idempotent: what ``apply`` handled is no longer due, which makes the
    sweep resumable."""

    name: str
    record_type: str
    action: str  # what happens to a due row: "delete", "erase", "forget ip address", ...
    due: Callable[[datetime], Any]
    apply: Callable[[Any], int | list[int]]
    # The claimed rows are not the ones the rule deletes or changes (a journal rule claims
    # the person and deletes their entries): a claim can then be stale (see the sweep).
    recheck: bool = False
    order: int = 50


@dataclass
class Decision:
    """What erasure does to one kind of the person's records, why, on which law, until when.
    ``why`` is a reason code, worded by the contract that made it (or the engine)."""

    key: str
    action: str
    count: int
    why: str
    law: str = ""
    until: date | None = None
    hold: str = ""  # the legal hold's reason, when a hold keeps it
    subject: str = ""  # e.g. the animal's name for an animal's journal
    fields: tuple[str, ...] = ()  # for the person row: what is kept

    @property
    def label(self) -> str:
        text = str(label(self.key))
        return f"{text}: {self.subject}" if self.subject else text

    @property
    def restricted(self) -> bool:
        return self.action == KEEP

    @property
    def action_label(self) -> str:
        return str(ACTION_LABELS[self.action])

    def reason(self) -> str:
        """The reason in the active language, as the contract that knows the code words it
        (a text, or a function of the decision)."""
        text = reason(self.why)
        if text is None:
            return ""
        return text(self) if isinstance(text, FunctionType) else str(text)

    def as_dict(self) -> dict:
        return {
            "record_type": self.key,
            "label": self.label,
            "action": self.action,
            "count": self.count,
            "reason": self.reason(),
            "law": self.law,
            "kept_until": self.until.isoformat() if self.until else None,
            "hold": self.hold,
            "restricted": self.restricted,
        }


# --- Access report and export -------------------------------------------------------------


@dataclass
class Attachment:
    """A file delivered with the access report (an image, a scanned document)."""

    name: str
    content_type: str
    read: Callable[[], bytes]
    size: int | None = None


class Rows:
    """A long list of records read lazily (the log extract: every access ever made): each
    pass iterates the database in chunks and ``len`` asks the database, so a section as
    long as years of the access log keeps memory flat whatever its length. ``count`` and
    ``rows`` are callables; ``rows`` returns a fresh iterator of dicts on each call."""

    def __init__(self, *, count: Callable[[], int], rows: Callable[[], Iterable[dict]]):
        self._count = count
        self._rows = rows
        self._length: int | None = None

    def __iter__(self):
        return iter(self._rows())

    def __len__(self) -> int:
        if self._length is None:
            self._length = self._count()
        return self._length

    def __bool__(self) -> bool:
        return len(self) > 0


@dataclass
class Section:
    """One part of the access report and the export. ``columns``: the field keys (stable,
    used by the export) with their labels in the reader's language. ``items``: one dict
    per record, field key to value (a ``datetime`` is shown in the clinic's time zone, a
    ``date`` as a date; codes must already be translated words). ``portable``: Art. 20
    covers these records (the export marks them). ``items`` may be :class:`Rows`, read
    lazily (a plain table of short values, iterated once per use)."""

    key: str
    title: str
    columns: dict[str, str]
    items: list[dict[str, Any]] | Rows = field(default_factory=list)
    portable: bool = False
    note: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    # Nested records of one item (a journal entry's amendments), by item index.
    order: int = 50


@dataclass
class Subject:
    """Whose data the report is about: the person and the animals they own, in a clinic."""

    clinic: Any
    person: Any
    actor: Any
    animal_ids: list[int] = field(default_factory=list)
    purpose: str = "access request"


class Contract:
    """An app's declaration. Subclass it in ``<app>/personal_data.py`` and register one
    instance. Every hook has a harmless default, so a contract declares only what its
    app holds."""

    label: str = ""
    holdings: tuple[Holding, ...] = ()
    rules: tuple[Rule, ...] = ()
    stage: int = 50  # erasure planning order (lower first)
    apply_stage: int = 50  # erasure applying order (rows pointing at others go first)
    # Record-type labels and reason texts for the erasure answer, by key / reason code.
    labels: dict[str, Any] = {}
    reasons: dict[str, Any] = {}

    def plan(self, ctx) -> None:
        """Add the decisions for this app's records of ``ctx.person`` (nothing changes)."""

    def apply(self, plan) -> None:
        """Carry out this app's part of ``plan`` (inside the erasure's transaction)."""

    def sections(self, subject: Subject) -> Iterable[Section]:
        """This app's records about the subject, for the access report and the export."""
        return ()

    # --- Hooks the engine and the other contracts use -----------------------------------

    holdable: dict[str, str] = {}  # record type -> model label a legal hold may name
    # Record types whose single records a decision may delete (REQ-16), each with the
    # capability the deciding member of staff needs; see :meth:`erase_records`.
    erasable: dict[str, str] = {}

    def erase_records(self, clinic, record_type: str, ids: list[int]) -> list[dict]:
        """Delete these records of one subject and what belongs to them (a correction's
        follow-ups, attachments), for the engine's ``erase_records`` — which has checked
        the retention policy and the legal holds — inside its transaction. Return a trace
        of each deleted record without its content (id, dates, author)."""
        return []

    def hold_subject(self, clinic, record_type: str, record_id: int):
        """``(person_id, animal_id)`` of a record a legal hold names, or None when this
        clinic has no such record of a type in :attr:`holdable`."""
        return None

    def unlink(self, model: str, ids) -> None:
        """Rows of ``model`` (a label such as "journal.JournalEntry"; ``ids`` a list or a
        queryset of primary keys) are about to be deleted: drop this app's links to them."""

    def in_use(self, model: str) -> Iterable[Any]:
        """Querysets of primary keys of ``model`` rows this app still needs (the sweep
        keeps them): a consent a kept disclosure relied on."""
        return ()

    def activity(self, cutoff: datetime) -> Iterable[Any]:
        """Querysets (each with a ``person`` field) of this app's records that show a
        person was a client after ``cutoff`` (an inactive client is erased, REQ-11)."""
        return ()

    def needs_client(self) -> Iterable[Any]:
        """Querysets (each with a ``person`` field) of records that the law keeps and that
        still need the client record (a former client is erased only without them)."""
        return ()

    def retention_days(self, clinic, record_type: str) -> int | None:
        """The clinic's own period in days for a record type this app sets (None: none)."""
        return None


_contracts: dict[str, Contract] = {}
_engine: list[Any] = []


def register(contract: Contract) -> Contract:
    if not contract.label:
        raise ValueError("a contract needs the label of its app")
    _contracts[contract.label] = contract
    return contract


def contracts() -> list[Contract]:
    """Every registered contract, in planning order."""
    return sorted(_contracts.values(), key=lambda c: (c.stage, c.label))


def holdings() -> list[Holding]:
    return [h for c in contracts() for h in c.holdings]


def sweep_rules() -> list[Rule]:
    return sorted((r for c in contracts() for r in c.rules), key=lambda r: r.order)


def unlink(model: str, ids) -> None:
    """Tell every contract that rows of ``model`` are about to be deleted."""
    for contract in contracts():
        contract.unlink(model, ids)


def in_use(model: str) -> list:
    """The querysets of ``model`` keys that some contract still needs."""
    return [qs for contract in contracts() for qs in contract.in_use(model)]


def label(key: str):
    for contract in contracts():
        if key in contract.labels:
            return contract.labels[key]
    return key


def reason(why: str):
    for contract in contracts():
        if why in contract.reasons:
            return contract.reasons[why]
    return None


def use_engine(engine: Any) -> None:
    """Called once by the privacy engine at start-up."""
    _engine[:] = [engine]


def engine() -> Any:
    """The privacy engine: the policy table and the legal holds (see ``use_engine``)."""
    if not _engine:
        raise RuntimeError("the privacy engine is not installed")
    return _engine[0]


# --- The check that makes forgetting impossible --------------------------------------------

SUBJECT_MODELS = ("people.Person", "people.Animal")
# Columns that hold contact or identity data wherever they appear.
CONTACT_FIELD = re.compile(
    r"(^|_)(e_?mail|phone|address|identity|birth_date|first_name|last_name|ip_address|"
    r"to_address|contact|chip_id|buyer_name|personal_number)(_|$)"
)
# Models with such columns that are not about a client, and why.
NOT_ABOUT_CLIENTS = {
    "clinics.Clinic": "the controller's own business contact details",
    "clinics.User": "staff accounts (the clinic's employees), managed in staff settings",
    "processing.Processor": "a processor's business contact",
    "breaches.Breach": "the data-protection contact point of the clinic",
    # django-axes: staff sign-in attempts (user name, IP address) for brute-force
    # protection (Art. 32); about staff and attackers, not clients, and reset by axes.
    "axes.AccessAttempt": "staff sign-in attempts (django-axes, Art. 32)",
    "axes.AccessFailureLog": "staff sign-in failures (django-axes, Art. 32)",
    "axes.AccessLog": "staff sign-ins (django-axes, Art. 32)",
}


def _points_at_subject(model, seen: frozenset = frozenset()) -> str | None:
    """The first field path from ``model`` to a person or an animal, if any."""
    label = model._meta.label
    if label in SUBJECT_MODELS:
        return "pk"
    for f in model._meta.get_fields():
        if not (f.is_relation and f.concrete and f.related_model is not None):
            continue
        target = f.related_model._meta.label
        if target in SUBJECT_MODELS:
            return f.name
        if target in seen or target == label or f.related_model._meta.app_label in (
            "clinics", "auth", "contenttypes", "sessions"
        ):  # fmt: skip
            continue
        deeper = _points_at_subject(f.related_model, seen | {label})
        if deeper:
            return f"{f.name}__{deeper}"
    for f in model._meta.concrete_fields:
        if f.name in ("person_id", "animal_id") and not f.is_relation:
            return f.name
    return None


def holds_personal_data(model) -> str | None:
    """Why ``model`` holds personal data about a client or an animal (None: it does not)."""
    path = _points_at_subject(model)
    if path:
        return f"path to a person or an animal: {path}"
    if model._meta.label in NOT_ABOUT_CLIENTS:
        return None
    fields = [f.name for f in model._meta.concrete_fields if CONTACT_FIELD.search(f.name)]
    if fields:
        return "contact or identity data: " + ", ".join(fields)
    return None


def _path_valid(model, path: str) -> bool:
    if path == "pk":
        return True
    current = model
    parts = path.split("__")
    for i, part in enumerate(parts):
        try:
            f = current._meta.get_field(part)
        except Exception:
            return False
        if i < len(parts) - 1:
            if not f.is_relation:
                return False
            current = f.related_model
    return True


def problems(models) -> list[str]:
    """What is wrong with the declarations for ``models`` (empty: every model that holds
    personal data is declared, with an erasure rule and subject paths that exist)."""
    declared = {h.model: h for h in holdings()}
    found = []
    for model in models:
        label = model._meta.label
        why = holds_personal_data(model)
        holding = declared.get(label)
        if why and holding is None:
            found.append(f"{label} holds personal data ({why}) but no app declares it")
            continue
        if holding is None:
            continue
        if holding.erasure not in ERASURE_ACTIONS:
            found.append(f"{label} is declared without an erasure rule")
        for path in holding.subject.split("|"):
            if not _path_valid(model, path):
                found.append(f"{label}: subject path {path!r} does not exist")
    return found
