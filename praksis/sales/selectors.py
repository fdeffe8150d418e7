"""Reads of orders and invoices: scoped to the actor's clinic, access-logged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from praksis.audit.models import Action
from praksis.audit.services import Access, log_access
from praksis.clinics.access import Actor, can, require
from praksis.clinics.models import Clinic
from praksis.people.models import Person
from praksis.sales import entries as journal_entries
from praksis.sales.models import Invoice, Order, Payment, Product

if TYPE_CHECKING:
    from praksis.journal.models import JournalEntry  # the rows come through entries.notes


@dataclass
class Page:
    items: list
    count: int


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def products(*, clinic: Clinic, active_only: bool = True) -> QuerySet[Product]:
    """The clinic's price list (no personal data)."""
    qs = Product.objects.filter(clinic=clinic)
    if active_only:
        qs = qs.filter(active=True)
    return qs.order_by("kind", "name", "pk")


def _orders(clinic: Clinic) -> QuerySet[Order]:
    return (
        Order.objects.filter(clinic=clinic)
        .select_related("person")
        .prefetch_related("lines", "invoices")
    )


def _invoices(clinic: Clinic) -> QuerySet[Invoice]:
    return (
        Invoice.objects.filter(clinic=clinic)
        .select_related("clinic", "instalment_plan", "credits")
        .prefetch_related(
            "lines",
            "instalment_plan__instalments",
            "credit_notes",
            Prefetch("payments", queryset=Payment.objects.order_by("paid_at", "pk")),
        )
    )


def _log(actor: Actor, action: str, object_type: str, object_id="", person_id=None, detail=""):
    log_access(
        actor,
        Access(
            action=action,
            object_type=object_type,
            object_id=object_id,
            person_id=person_id,
            purpose="sales",
            detail=detail,
        ),
    )


def order_get(*, actor: Actor, order_id: int) -> Order:
    require(actor, "person.read")
    order = _orders(actor.clinic).filter(pk=_int(order_id)).first()
    if order is None:
        raise Http404
    _log(actor, Action.READ, "order", order.pk, order.person_id)
    return order


def _logged_page(
    actor: Actor, qs, object_type: str, *, person_id, status: str, offset: int, limit: int
) -> Page:
    """One page of ``qs`` (optionally one person's, one status), logged as one list row."""
    if person_id is not None:
        qs = qs.filter(person_id=person_id)
    if status:
        qs = qs.filter(status=status)
    items = list(qs[offset : offset + limit])
    count = qs.count()
    _log(
        actor,
        Action.LIST,
        object_type,
        person_id=person_id,
        detail=f"results={len(items)}; ids=" + ",".join(str(i.pk) for i in items)[:400],
    )
    return Page(items=items, count=count)


def order_list(
    *,
    actor: Actor,
    person_id: int | None = None,
    status: str = "",
    offset: int = 0,
    limit: int = 50,
) -> Page:
    """Orders, newest first; one list row in the log (with the ids shown)."""
    require(actor, "person.read")
    qs = _orders(actor.clinic).order_by("-created_at", "-pk")
    return _logged_page(
        actor, qs, "order", person_id=person_id, status=status, offset=offset, limit=limit
    )


def invoice_get(*, actor: Actor, invoice_id: int) -> Invoice:
    require(actor, "person.read")
    invoice = _invoices(actor.clinic).filter(pk=_int(invoice_id)).first()
    if invoice is None:
        raise Http404
    _log(actor, Action.READ, "invoice", invoice.pk, invoice.person_id)
    return invoice


def invoice_for_print(*, clinic: Clinic, invoice_id: int) -> Invoice:
    """The invoice to print (the caller logs the print)."""
    invoice = _invoices(clinic).filter(pk=_int(invoice_id)).first()
    if invoice is None:
        raise Http404
    return invoice


def order_after_write(*, clinic: Clinic, order_id: int) -> Order:
    """An order just written by a service (which logged the access), to show the result."""
    return _orders(clinic).get(pk=order_id)


def invoice_after_write(*, clinic: Clinic, invoice_id: int) -> Invoice:
    """An invoice just written by a service (which logged the access), to show the result."""
    return _invoices(clinic).get(pk=invoice_id)


def invoice_list(
    *,
    actor: Actor,
    person_id: int | None = None,
    status: str = "",
    offset: int = 0,
    limit: int = 50,
) -> Page:
    """Invoices and credit notes, newest first."""
    require(actor, "person.read")
    qs = _invoices(actor.clinic).order_by("-issued_at", "-number")
    return _logged_page(
        actor, qs, "invoice", person_id=person_id, status=status, offset=offset, limit=limit
    )


ORDER_ENTRIES = 20


def journal_entries_for_order(*, actor: Actor, person: Person) -> list[JournalEntry]:
    """Entries an order may point at (dates and authors only, never their text).

    Only for roles that may read the journal; logged as a list of the person's entries.
    """
    if not can(actor, "journal.read"):
        return []
    entries = journal_entries.notes(actor.clinic, person, ORDER_ENTRIES)
    _log(
        actor,
        Action.LIST,
        "journal_entry",
        person_id=person.pk,
        detail=f"order link; results={len(entries)}",
    )
    return entries
