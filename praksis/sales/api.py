"""Sales API: orders, invoices, payments, instalment plans, credit notes, receipts.

Thin: parse, call a selector or service, shape the answer. Amounts are strings with two
decimals ("1234.50"); rates too ("25.00"); unit prices include VAT.
"""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpResponse
from ninja import Router, Schema, Status

from praksis.sales import money, pdf, selectors, services
from praksis.sales.models import Invoice, Order

router = Router(tags=["sales"])

Number = str | int | float | None


class LineIn(Schema):
    product: int | None = None
    description: str | None = None
    kind: str | None = None
    quantity: Number = None
    unit_price: Number = None
    vat_rate: Number = None


class OrderIn(Schema):
    person: int | None = None
    journal_entry: int | None = None
    lines: list[LineIn] = []


class LineOut(Schema):
    id: int
    position: int
    product: int | None
    kind: str
    description: str
    quantity: str
    unit_price: str
    vat_rate: str
    net_amount: str
    vat_amount: str
    total: str


class VatRateOut(Schema):
    rate: str
    net: str
    vat: str
    total: str


class OrderOut(Schema):
    id: int
    person: int | None
    person_pseudonym: str
    journal_entry: int | None
    status: str
    created_at: datetime
    placed_at: datetime | None
    lines: list[LineOut]
    net_total: str
    vat_total: str
    total: str
    invoices: list[int]


class OrderPage(Schema):
    items: list[OrderOut]
    count: int


class PaymentOut(Schema):
    id: int
    amount: str
    method: str
    paid_at: datetime


class InstalmentOut(Schema):
    seq: int
    due_date: date
    amount: str
    paid: str
    settled: bool


class PlanOut(Schema):
    id: int
    amount: str
    instalments: list[InstalmentOut]


class InvoiceOut(Schema):
    id: int
    number: int
    kind: str
    order: int
    credits: int | None
    credit_notes: list[int]
    person: int | None
    issued_at: datetime
    due_date: date
    currency: str
    buyer_name: str
    buyer_address: str
    lines: list[LineOut]
    vat_summary: list[VatRateOut]
    net_total: str
    vat_total: str
    total: str
    paid_total: str
    outstanding: str
    status: str
    payments: list[PaymentOut]
    instalment_plan: PlanOut | None


class InvoicePage(Schema):
    items: list[InvoiceOut]
    count: int


class PaymentIn(Schema):
    amount: Number = None
    method: str | None = None
    paid_at: str | None = None


class InstalmentsIn(Schema):
    count: int | str | None = None
    first_due_date: str | None = None
    interval_months: int | str | None = 1


class InvoiceIn(Schema):
    due_days: int | str | None = None
    due_date: str | None = None


class CreditNoteIn(Schema):
    reason: str | None = None


def _order_line_out(line) -> dict:
    amounts = services.line_amounts(line)
    return {
        "id": line.pk,
        "position": line.position,
        "product": line.product_id,
        "kind": line.kind,
        "description": line.description,
        "quantity": str(line.quantity),
        "unit_price": str(line.unit_price),
        "vat_rate": str(line.vat_rate),
        "net_amount": str(amounts.net),
        "vat_amount": str(amounts.vat),
        "total": str(amounts.total),
    }


def order_out(order: Order) -> dict:
    lines = sorted(order.lines.all(), key=lambda ln: ln.position)
    summed = money.totals(services.line_amounts(line) for line in lines)
    return {
        "id": order.pk,
        "person": order.person_id,
        "person_pseudonym": order.person_pseudonym,
        "journal_entry": order.journal_entry_id,
        "status": order.status,
        "created_at": order.created_at,
        "placed_at": order.placed_at,
        "lines": [_order_line_out(line) for line in lines],
        "net_total": str(summed.net),
        "vat_total": str(summed.vat),
        "total": str(summed.total),
        "invoices": sorted(i.pk for i in order.invoices.all()),
    }


def invoice_out(invoice: Invoice) -> dict:
    lines = sorted(invoice.lines.all(), key=lambda ln: ln.position)
    summed = money.totals(
        money.LineAmounts(net=ln.net_amount, vat=ln.vat_amount, total=ln.total, rate=ln.vat_rate)
        for ln in lines
    )
    plan = getattr(invoice, "instalment_plan", None)
    return {
        "id": invoice.pk,
        "number": invoice.number,
        "kind": invoice.kind,
        "order": invoice.order_id,
        "credits": invoice.credits_id,
        "credit_notes": sorted(c.pk for c in invoice.credit_notes.all()),
        "person": invoice.person_id,
        "issued_at": invoice.issued_at,
        "due_date": invoice.due_date,
        "currency": invoice.currency,
        "buyer_name": invoice.buyer_name,
        "buyer_address": invoice.buyer_address,
        "lines": [
            {
                "id": ln.pk,
                "position": ln.position,
                "product": ln.product_id,
                "kind": ln.kind,
                "description": ln.description,
                "quantity": str(ln.quantity),
                "unit_price": str(ln.unit_price),
                "vat_rate": str(ln.vat_rate),
                "net_amount": str(ln.net_amount),
                "vat_amount": str(ln.vat_amount),
                "total": str(ln.total),
            }
            for ln in lines
        ],
        "vat_summary": [
            {"rate": str(s.rate), "net": str(s.net), "vat": str(s.vat), "total": str(s.total)}
            for s in summed.summary
        ],
        "net_total": str(invoice.net_total),
        "vat_total": str(invoice.vat_total),
        "total": str(invoice.total),
        "paid_total": str(invoice.paid_total),
        "outstanding": str(invoice.outstanding),
        "status": invoice.status,
        "payments": [
            {"id": p.pk, "amount": str(p.amount), "method": p.method, "paid_at": p.paid_at}
            for p in invoice.payments.all()
        ],
        "instalment_plan": None
        if plan is None
        else {
            "id": plan.pk,
            "amount": str(plan.amount),
            "instalments": [
                {
                    "seq": row.seq,
                    "due_date": row.due_date,
                    "amount": str(row.amount),
                    "paid": str(row.paid),
                    "settled": row.settled,
                }
                for row in services.instalment_schedule(plan, invoice)
            ],
        },
    }


def _reload_order(actor, order_id: int) -> dict:
    return order_out(selectors.order_after_write(clinic=actor.clinic, order_id=order_id))


def _reload_invoice(actor, invoice_id: int) -> dict:
    return invoice_out(selectors.invoice_after_write(clinic=actor.clinic, invoice_id=invoice_id))


def _page(offset: int, limit: int) -> tuple[int, int]:
    return max(0, offset), min(max(1, limit), 200)


@router.get("orders", response=OrderPage)
def list_orders(
    request, person: int | None = None, status: str = "", offset: int = 0, limit: int = 50
):
    offset, limit = _page(offset, limit)
    page = selectors.order_list(
        actor=request.auth, person_id=person, status=status, offset=offset, limit=limit
    )
    return {"items": [order_out(o) for o in page.items], "count": page.count}


@router.post("orders", response={201: OrderOut})
def create_order(request, payload: OrderIn):
    order = services.order_create(
        actor=request.auth,
        person_id=payload.person,
        journal_entry_id=payload.journal_entry,
        lines=[line.model_dump(exclude_none=True) for line in payload.lines],
    )
    return Status(201, _reload_order(request.auth, order.pk))


@router.get("orders/{int:order_id}", response=OrderOut)
def read_order(request, order_id: int):
    return order_out(selectors.order_get(actor=request.auth, order_id=order_id))


@router.post("orders/{int:order_id}/lines", response={201: OrderOut})
def add_order_line(request, order_id: int, payload: LineIn):
    services.order_add_line(
        actor=request.auth, order_id=order_id, data=payload.model_dump(exclude_none=True)
    )
    return Status(201, _reload_order(request.auth, order_id))


@router.post("orders/{int:order_id}/place", response=OrderOut)
def place_order(request, order_id: int):
    services.order_place(actor=request.auth, order_id=order_id)
    return _reload_order(request.auth, order_id)


@router.post("orders/{int:order_id}/invoice", response={201: InvoiceOut})
def issue_invoice(request, order_id: int, payload: InvoiceIn | None = None):
    payload = payload or InvoiceIn()
    invoice = services.invoice_issue(
        actor=request.auth,
        order_id=order_id,
        due_days=payload.due_days,
        due_date=payload.due_date,
    )
    return Status(201, _reload_invoice(request.auth, invoice.pk))


@router.get("invoices", response=InvoicePage)
def list_invoices(
    request, person: int | None = None, status: str = "", offset: int = 0, limit: int = 50
):
    offset, limit = _page(offset, limit)
    page = selectors.invoice_list(
        actor=request.auth, person_id=person, status=status, offset=offset, limit=limit
    )
    return {"items": [invoice_out(i) for i in page.items], "count": page.count}


@router.get("invoices/{int:invoice_id}", response=InvoiceOut)
def read_invoice(request, invoice_id: int):
    return invoice_out(selectors.invoice_get(actor=request.auth, invoice_id=invoice_id))


@router.post("invoices/{int:invoice_id}/payments", response={201: InvoiceOut})
def register_payment(request, invoice_id: int, payload: PaymentIn):
    services.payment_register(
        actor=request.auth,
        invoice_id=invoice_id,
        amount=payload.amount,
        method=payload.method or "",
        paid_at=payload.paid_at,
    )
    return Status(201, _reload_invoice(request.auth, invoice_id))


@router.post("invoices/{int:invoice_id}/instalments", response={201: InvoiceOut})
def create_instalment_plan(request, invoice_id: int, payload: InstalmentsIn):
    services.instalment_plan_create(
        actor=request.auth,
        invoice_id=invoice_id,
        count=payload.count,
        first_due_date=payload.first_due_date,
        interval_months=payload.interval_months,
    )
    return Status(201, _reload_invoice(request.auth, invoice_id))


@router.post("invoices/{int:invoice_id}/credit-note", response={201: InvoiceOut})
def issue_credit_note(request, invoice_id: int, payload: CreditNoteIn | None = None):
    note = services.credit_note_issue(
        actor=request.auth, invoice_id=invoice_id, reason=(payload.reason if payload else "") or ""
    )
    return Status(201, _reload_invoice(request.auth, note.pk))


@router.get("invoices/{int:invoice_id}/receipt.pdf")
def invoice_receipt_pdf(request, invoice_id: int):
    invoice, content = pdf.invoice_pdf(actor=request.auth, invoice_id=invoice_id)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{pdf.pdf_filename(invoice)}"'
    response["Cache-Control"] = "no-store"
    return response
