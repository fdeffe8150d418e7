"""What the sales app holds about a person or an animal: its personal-data contract
(see praksis/core/personal_data.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from praksis.core.db import purge_allowed
from praksis.core.personal_data import (
    DELETE,
    KEEP,
    Contract,
    Decision,
    Holding,
    Rule,
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
        contact = Q(pk__in=[])
        if person.email:
            contact |= Q(contact__iexact=person.email)
        if person.phone:
            contact |= Q(contact=person.phone)
        leads = list(
            PortalLead.objects.filter(clinic=clinic).filter(contact).values_list("pk", flat=True)
        )
        if leads:
            if ctx.person_hold is not None:
                hold = ctx.person_hold.reason
                ctx.decide(Decision("portal_leads", KEEP, len(leads), "hold", hold=hold))
            else:
                ctx.decide(
                    Decision("portal_leads", DELETE, len(leads), "portal_leads",
                             law="GDPR art. 17.1")
                )  # fmt: skip
                ctx.targets.setdefault(self.label, {})["portal_leads"] = leads

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
