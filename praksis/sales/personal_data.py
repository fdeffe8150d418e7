"""What the sales app holds about a person or an animal: its personal-data contract
(see praksis/core/personal_data.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from praksis.core.db import purge_allowed
from praksis.core.personal_data import (
    DELETE,
    KEEP,
    Contract,
    Decision,
    Holding,
    Rule,
    Section,
    Subject,
    engine,
    register,
)
from praksis.sales.models import (
    Instalment,
    InstalmentPlan,
    Invoice,
    InvoiceLine,
    Order,
    OrderLine,
    Payment,
    PortalLead,
)


def leads_of(clinic, person):
    """Benefits-portal leads (seed 001) name a person by contact, not by link."""
    contact = Q(pk__in=[])
    if person.email:
        contact |= Q(contact__iexact=person.email)
    if person.phone:
        contact |= Q(contact=person.phone)
    return PortalLead.objects.filter(clinic=clinic).filter(contact)


class SalesData(Contract):
    label = "sales"
    stage = 40
    apply_stage = 40
    _books = "bokföringslagen 7 kap. 2 §, bokføringsloven § 13"
    holdings = (
        Holding("sales.Order", "accounting", "person", KEEP, clock="financial_year_end",
                kept_by=_books, section="orders"),
        Holding("sales.OrderLine", "accounting", "order__person", KEEP,
                clock="financial_year_end", kept_by=_books, section="orders"),
        Holding("sales.Invoice", "accounting", "person", KEEP, clock="financial_year_end",
                kept_by=_books, section="invoices"),
        Holding("sales.InvoiceLine", "accounting", "invoice__person", KEEP,
                clock="financial_year_end", kept_by=_books, section="invoices"),
        Holding("sales.Payment", "accounting", "invoice__person", KEEP,
                clock="financial_year_end", kept_by=_books, section="invoices"),
        Holding("sales.InstalmentPlan", "accounting", "invoice__person", KEEP,
                clock="financial_year_end", kept_by=_books, section="invoices"),
        Holding("sales.Instalment", "accounting", "plan__invoice__person", KEEP,
                clock="financial_year_end", kept_by=_books, section="invoices"),
        Holding("sales.PortalLead", "lead", "contact", DELETE, clock="reconciled",
                section="portal_leads"),
    )  # fmt: skip
    holdable = {"accounting": "sales.Invoice"}
    labels = {
        "accounting": gettext_lazy("Orders, invoices and payments"),
        "portal_leads": gettext_lazy("Notes from a benefits portal"),
    }
    reasons = {
        "accounting": gettext_lazy(
            "Accounting records must be kept unchanged by law (GDPR art. 17(3)(b)): the "
            "invoices, receipts and credit notes stay as they were issued, and we only store "
            "them until the period ends."
        ),
        "portal_leads": gettext_lazy("Needed only to check the portal's invoice."),
    }

    def hold_subject(self, clinic, record_type, record_id):
        if record_type != "accounting":
            return None
        person_id = (
            Invoice.objects.filter(clinic=clinic, pk=record_id)
            .values_list("person_id", flat=True)
            .first()
        )
        exists = Invoice.objects.filter(clinic=clinic, pk=record_id).exists()
        return (person_id, None) if exists else None

    def plan(self, ctx) -> None:
        """Accounting (REQ-06/07): issued invoices, receipts and credit notes stay exactly
        as issued while the bookkeeping period runs (Art. 17(3)(b)), restricted; the sweep
        removes them when it ends. Portal leads (seed 001) go."""
        clinic, person = ctx.clinic, ctx.person
        orders = Order.objects.filter(clinic=clinic, person=person)
        invoices = Invoice.objects.filter(clinic=clinic, person=person)
        n_orders, n_invoices = orders.count(), invoices.count()
        if n_orders or n_invoices:
            policy = ctx.policy("accounting")
            last = (
                invoices.aggregate(last=Max("issued_at"))["last"]
                or orders.aggregate(last=Max("created_at"))["last"]
            )
            until = ctx.legal_until("accounting", ctx.local_date(last), policy)
            held = ctx.person_hold or next(iter(ctx.record_holds("accounting")), None)
            why = "hold" if held is not None else "accounting"
            ctx.decide(
                Decision(
                    "accounting", KEEP, n_orders + n_invoices, why, law=policy.law, until=until,
                    hold=held.reason if held is not None else "",
                ),
                ("name", "address") if held is not None else (),
            )  # fmt: skip
            ctx.keep_row = True  # the kept invoices point at the (minimised) person row
        leads = list(leads_of(clinic, person).values_list("pk", flat=True))
        ctx.delete_unless_held(self.label, "portal_leads", leads)

    def apply(self, plan) -> None:
        leads = plan.targets.get(self.label, {}).get("portal_leads")
        if leads:
            PortalLead.objects.filter(clinic=plan.clinic, pk__in=leads).delete()

    def unlink(self, model, ids) -> None:
        if model == "journal.JournalEntry":
            # An order kept for the books outlives the journal entry it was made from.
            Order.objects.filter(journal_entry__in=ids).update(journal_entry=None)

    def activity(self, cutoff):
        return (Order.objects.filter(created_at__gt=cutoff),)

    def needs_client(self):
        return (Order.objects.all(), Invoice.objects.all())

    def sections(self, subject: Subject) -> list[Section]:
        """Orders with their lines; invoices and credit notes as issued, with their lines,
        payments and instalments; notes from a benefits portal. Not portable: accounting
        records kept under bookkeeping law."""
        return [_orders_section(subject), _invoices_section(subject), _leads_section(subject)]


# --- The access report and the export ------------------------------------------------


def _lines(rows) -> list[dict]:
    return [
        {
            "description": line.description,
            "kind": line.get_kind_display(),
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "vat_rate": line.vat_rate,
        }
        for line in rows
    ]


_LINE_COLUMNS = {
    "description": gettext_lazy("Description"),
    "kind": gettext_lazy("Kind"),
    "quantity": gettext_lazy("Quantity"),
    "unit_price": gettext_lazy("Unit price incl. VAT"),
    "vat_rate": gettext_lazy("VAT rate (%)"),
}


def _orders_section(subject: Subject) -> Section:
    orders = (
        Order.objects.filter(clinic=subject.clinic, person=subject.person)
        .prefetch_related("lines")
        .order_by("-created_at", "-pk")
    )
    items = []
    for order in orders:
        lines = sorted(order.lines.all(), key=lambda line: line.position)
        items.append(
            {
                "created_at": order.created_at,
                "status": order.get_status_display(),
                "placed_at": order.placed_at,
                "delivered_at": order.delivered_at,
                "cancelled_at": order.cancelled_at,
                "total": sum(
                    (line.quantity * line.unit_price for line in lines), Decimal(0)
                ).quantize(Decimal("0.01")),
                "lines": _lines(lines),
            }
        )
    return Section(
        key="orders",
        title=gettext("Orders"),
        columns={
            "created_at": gettext("Created"),
            "status": gettext("Status"),
            "placed_at": gettext("Ordered"),
            "delivered_at": gettext("Delivered"),
            "cancelled_at": gettext("Cancelled"),
            "total": gettext("Total incl. VAT"),
            "lines": gettext("Lines"),
            **{f"lines.{k}": str(v) for k, v in _LINE_COLUMNS.items()},
        },
        items=items,
        order=40,
    )


def _invoices_section(subject: Subject) -> Section:
    invoices = (
        Invoice.objects.filter(clinic=subject.clinic, person=subject.person)
        .select_related("credits", "instalment_plan")
        .prefetch_related("lines", "payments", "instalment_plan__instalments")
        .order_by("-issued_at", "-pk")
    )
    items = []
    for invoice in invoices:
        try:
            plan = invoice.instalment_plan
        except InstalmentPlan.DoesNotExist:
            plan = None
        items.append(
            {
                "number": invoice.number,
                "kind": invoice.get_kind_display(),
                "credits": invoice.credits.number if invoice.credits_id else None,
                "issued_at": invoice.issued_at,
                "due_date": invoice.due_date,
                "seller": invoice.seller_name,
                "buyer_name": invoice.buyer_name,
                "buyer_address": invoice.buyer_address,
                "currency": invoice.currency,
                "net_total": invoice.net_total,
                "vat_total": invoice.vat_total,
                "total": invoice.total,
                "paid_total": invoice.paid_total,
                "status": invoice.get_status_display(),
                "reason": invoice.reason,
                "lines": _lines(sorted(invoice.lines.all(), key=lambda line: line.position)),
                "payments": [
                    {"paid_at": p.paid_at, "amount": p.amount, "method": p.get_method_display()}
                    for p in sorted(invoice.payments.all(), key=lambda p: (p.paid_at, p.pk))
                ],
                "instalments": [
                    {"due_date": i.due_date, "amount": i.amount}
                    for i in sorted(plan.instalments.all(), key=lambda i: i.seq)
                ]
                if plan is not None
                else [],
            }
        )
    return Section(
        key="invoices",
        title=gettext("Invoices, credit notes and payments"),
        columns={
            "number": gettext("Invoice number"),
            "kind": gettext("Document"),
            "credits": gettext("Credits invoice number"),
            "issued_at": gettext("Issued"),
            "due_date": gettext("Due date"),
            "seller": gettext("Seller"),
            "buyer_name": gettext("Buyer"),
            "buyer_address": gettext("Buyer's address"),
            "currency": gettext("Currency"),
            "net_total": gettext("Amount excl. VAT"),
            "vat_total": gettext("VAT"),
            "total": gettext("Total"),
            "paid_total": gettext("Paid"),
            "status": gettext("Status"),
            "reason": gettext("Reason for the credit note"),
            "lines": gettext("Lines"),
            **{f"lines.{k}": str(v) for k, v in _LINE_COLUMNS.items()},
            "payments": gettext("Payments"),
            "payments.paid_at": gettext("Paid"),
            "payments.amount": gettext("Amount"),
            "payments.method": gettext("Method"),
            "instalments": gettext("Instalments"),
            "instalments.due_date": gettext("Due date"),
            "instalments.amount": gettext("Amount"),
        },
        items=items,
        note=str(
            gettext_lazy(
                "Invoices, receipts and credit notes are kept exactly as issued for as long "
                "as bookkeeping law requires."
            )
        ),
        order=42,
    )


def _leads_section(subject: Subject) -> Section:
    leads = leads_of(subject.clinic, subject.person).order_by("-received_at")
    return Section(
        key="portal_leads",
        title=gettext("Notes from a benefits portal"),
        columns={
            "received_at": gettext("Received"),
            "portal": gettext("Portal"),
            "name": gettext("Name"),
            "contact": gettext("Contact"),
            "note": gettext("Note"),
        },
        items=[
            {
                "received_at": lead.received_at,
                "portal": lead.portal,
                "name": lead.name,
                "contact": lead.contact,
                "note": lead.note,
            }
            for lead in leads
        ],
        order=44,
    )


# --- The retention sweep (REQ-06, REQ-07) ------------------------------------------------
# An order's invoices, credit notes, lines, payments and instalments go together, once the
# latest of them is past the bookkeeping period, counted from the end of the clinic's
# financial year.


def _first_kept_day(clinic, today: date) -> date:
    """The first record date the bookkeeping period still keeps in ``clinic`` on ``today``:
    the day after the latest financial year end whose records may go."""
    end = engine().financial_year_end(clinic, today)
    while True:
        until = engine().kept_until(clinic, "accounting", end)
        if until is not None and until < today:
            return end + timedelta(days=1)
        end = engine().financial_year_end(clinic, end - timedelta(days=366))


def _order_past(clinic_id: int, cutoff: datetime) -> Q:
    """Orders of the clinic whose every invoice was issued and every payment made before
    ``cutoff`` (the first moment still kept)."""
    return (
        Q(clinic_id=clinic_id)
        & ~Exists(Invoice.objects.filter(order=OuterRef("pk"), issued_at__gte=cutoff))
        & ~Exists(Payment.objects.filter(invoice__order=OuterRef("pk"), paid_at__gte=cutoff))
    )


def _accounting_due(now):
    q = Q(pk__in=[])
    for clinic in engine().automatic_clinics("accounting"):
        today = timezone.localtime(now, clinic.zone).date()
        first = _first_kept_day(clinic, today)
        q |= _order_past(
            clinic.pk, datetime(first.year, first.month, first.day, tzinfo=clinic.zone)
        )
    held_invoice = Exists(
        Invoice.objects.filter(order=OuterRef(OuterRef("pk"))).filter(
            engine().record_held("accounting", "pk")
        )
    )
    return (
        Order.objects.filter(q)
        .filter(Exists(Invoice.objects.filter(order=OuterRef("pk"))))
        .exclude(Q(person__isnull=False) & engine().person_held("person_id"))
        .exclude(held_invoice)
    )


def _delete_accounting(qs) -> int:
    ids = list(qs.values_list("pk", flat=True))
    invoices = Invoice.objects.filter(order_id__in=ids).values("pk")
    with purge_allowed():
        for rows in (
            Instalment.objects.filter(plan__invoice__in=invoices),
            InstalmentPlan.objects.filter(invoice__in=invoices),
            Payment.objects.filter(invoice__in=invoices),
            InvoiceLine.objects.filter(invoice__in=invoices),
            OrderLine.objects.filter(order_id__in=ids),
        ):
            rows._raw_delete(rows.db)
        # Credit notes point at the invoices they credit: one statement (deferred FKs).
        doomed = Invoice.objects.filter(order_id__in=ids)
        doomed._raw_delete(doomed.db)
        orders = Order.objects.filter(pk__in=ids)
        orders._raw_delete(orders.db)
    return len(ids)


SalesData.rules = (Rule("accounting", "accounting", "delete", _accounting_due, _delete_accounting,
                        order=50),)  # fmt: skip

register(SalesData())
