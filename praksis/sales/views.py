"""Staff pages for sales: the list, a new order, an order, an invoice. Thin: rules live in
services; reads go through selectors (which log them)."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from praksis.clinics.access import can
from praksis.clinics.auth import staff_view
from praksis.core.errors import Conflict, ValidationFailed
from praksis.people import selectors as people_selectors
from praksis.people.picker import picked_person
from praksis.sales import money, pdf, selectors, services
from praksis.sales.models import Invoice, Kind, Order, Payment

NEW_ORDER_ROWS = 5


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _message(exc: Conflict | ValidationFailed) -> str:
    return exc.message


def _back(name: str, error: str = "", **kwargs):
    url = reverse(f"staff:{name}", kwargs=kwargs)
    return redirect(f"{url}?{urlencode({'error': error})}" if error else url)


def _order_rows(orders) -> list[dict]:
    return [{"order": o, "totals": services.order_totals(o)} for o in orders]


@staff_view("person.read")
def sales_home(request):
    actor = request.actor
    person_id = _int(request.GET.get("person"))
    orders = selectors.order_list(actor=actor, person_id=person_id, limit=50)
    invoices = selectors.invoice_list(actor=actor, person_id=person_id, limit=50)
    return render(
        request,
        "sales/home.html",
        {
            "orders": _order_rows(orders.items),
            "order_count": orders.count,
            "invoices": invoices.items,
            "invoice_count": invoices.count,
            "person_id": person_id,
        },
    )


def _posted_lines(post) -> list[dict]:
    """The non-empty rows of the new-order form."""
    lines = []
    for i in range(NEW_ORDER_ROWS):
        row = {
            name: post.get(f"{name}_{i}", "").strip()
            for name in ("product", "description", "kind", "quantity", "unit_price", "vat_rate")
        }
        if row["product"] or row["description"] or row["unit_price"]:
            lines.append({k: v for k, v in row.items() if v != ""})
    return lines


@staff_view("person.write")
@require_http_methods(["GET", "POST"])
def order_new(request):
    actor = request.actor
    clinic = actor.clinic
    source = request.POST if request.method == "POST" else request.GET
    person_id = _int(source.get("person"))
    person = (
        people_selectors.person_get(actor=actor, person_id=person_id, purpose="sales order")
        if person_id
        else None
    )
    errors: dict = {}
    if request.method == "POST" and person is not None:
        lines = _posted_lines(request.POST)
        try:
            order = services.order_create(
                actor=actor,
                person_id=person.pk,
                journal_entry_id=_int(request.POST.get("journal_entry")),
                lines=lines,
            )
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            return redirect("staff:sales-order", order_id=order.pk)
    rows = [
        {
            "index": i,
            **{
                name: source.get(f"{name}_{i}", "")
                for name in ("product", "description", "kind", "quantity", "unit_price", "vat_rate")
            },
        }
        for i in range(NEW_ORDER_ROWS)
    ]
    return render(
        request,
        "sales/order_new.html",
        {
            "person": person,
            # No one chosen yet: find them here (search as you type, or on submit).
            "picker": None if person else picked_person(actor, source, purpose="sales order"),
            "products": selectors.products(clinic=clinic),
            "journal_entries": selectors.journal_entries_for_order(actor=actor, person=person)
            if person
            else [],
            "journal_entry": source.get("journal_entry", ""),
            "rows": rows,
            "kinds": Kind.choices,
            "rates": [money.format_rate(r) for r in services.vat_rates(clinic)],
            "errors": errors,
            "error_list": [m for msgs in errors.values() for m in msgs],
        },
        status=422 if errors else 200,
    )


@staff_view("person.read")
def order_detail(request, order_id: int):
    actor = request.actor
    order = selectors.order_get(actor=actor, order_id=order_id)
    lines = [{"line": ln, "amounts": services.line_amounts(ln)} for ln in order.lines.all()]
    active = next(
        (
            i
            for i in order.invoices.all()
            if i.kind == Invoice.DocumentKind.INVOICE and i.status != Invoice.Status.CREDITED
        ),
        None,
    )
    editable = order.status in (Order.Status.DRAFT, Order.Status.ORDERED) and active is None
    return render(
        request,
        "sales/order_detail.html",
        {
            "order": order,
            "lines": lines,
            "totals": services.order_totals(order),
            "invoices": sorted(order.invoices.all(), key=lambda i: i.number),
            "active_invoice": active,
            "editable": editable,
            "products": selectors.products(clinic=actor.clinic),
            "kinds": Kind.choices,
            "rates": [money.format_rate(r) for r in services.vat_rates(actor.clinic)],
            "error": request.GET.get("error", "")[:300],
            "can_write": can(actor, "person.write"),
        },
    )


def _order_action(request, order_id: int, run):
    try:
        result = run()
    except (Conflict, ValidationFailed) as exc:
        return _back("sales-order", _message(exc), order_id=order_id)
    if isinstance(result, Invoice):
        return redirect("staff:sales-invoice", invoice_id=result.pk)
    return redirect("staff:sales-order", order_id=order_id)


@require_POST
@staff_view("person.write")
def order_add_line(request, order_id: int):
    data = {
        name: request.POST.get(name, "").strip()
        for name in ("product", "description", "kind", "quantity", "unit_price", "vat_rate")
    }
    data = {k: v for k, v in data.items() if v != ""}
    return _order_action(
        request,
        order_id,
        lambda: services.order_add_line(actor=request.actor, order_id=order_id, data=data),
    )


@require_POST
@staff_view("person.write")
def order_remove_line(request, order_id: int):
    return _order_action(
        request,
        order_id,
        lambda: services.order_remove_line(
            actor=request.actor, order_id=order_id, line_id=_int(request.POST.get("line"))
        ),
    )


@require_POST
@staff_view("person.write")
def order_status(request, order_id: int):
    run = {
        "place": services.order_place,
        "deliver": services.order_deliver,
        "cancel": services.order_cancel,
    }.get(request.POST.get("action", ""))
    if run is None:
        raise Http404  # no such action
    return _order_action(request, order_id, lambda: run(actor=request.actor, order_id=order_id))


@require_POST
@staff_view("person.write")
def order_invoice(request, order_id: int):
    return _order_action(
        request,
        order_id,
        lambda: services.invoice_issue(
            actor=request.actor,
            order_id=order_id,
            due_days=request.POST.get("due_days") or None,
        ),
    )


@staff_view("person.read")
def invoice_detail(request, invoice_id: int):
    actor = request.actor
    invoice = selectors.invoice_get(actor=actor, invoice_id=invoice_id)
    context = pdf.invoice_context(invoice)
    plan = getattr(invoice, "instalment_plan", None)
    methods = [
        (value, label)
        for value, label in Payment.Method.choices
        if value in services.COUNTRY_METHODS[actor.clinic.country]
    ]
    context.update(
        {
            "open": invoice.kind == Invoice.DocumentKind.INVOICE
            and invoice.status in (Invoice.Status.OPEN, Invoice.Status.PARTLY_PAID),
            "can_credit": invoice.kind == Invoice.DocumentKind.INVOICE
            and invoice.status != Invoice.Status.CREDITED,
            "has_plan": plan is not None,
            "methods": methods,
            "outstanding_value": invoice.outstanding,
            "error": request.GET.get("error", "")[:300],
            "can_write": can(actor, "person.write"),
            "credit_notes": list(invoice.credit_notes.all()),
        }
    )
    return render(request, "sales/invoice_detail.html", context)


def _invoice_action(request, invoice_id: int, run):
    try:
        result = run()
    except (Conflict, ValidationFailed) as exc:
        return _back("sales-invoice", _message(exc), invoice_id=invoice_id)
    if isinstance(result, Invoice):
        return redirect("staff:sales-invoice", invoice_id=result.pk)
    return redirect("staff:sales-invoice", invoice_id=invoice_id)


@require_POST
@staff_view("person.write")
def invoice_payment(request, invoice_id: int):
    return _invoice_action(
        request,
        invoice_id,
        lambda: services.payment_register(
            actor=request.actor,
            invoice_id=invoice_id,
            amount=request.POST.get("amount", ""),
            method=request.POST.get("method", ""),
            paid_at=request.POST.get("paid_at") or None,
        ),
    )


@require_POST
@staff_view("person.write")
def invoice_instalments(request, invoice_id: int):
    return _invoice_action(
        request,
        invoice_id,
        lambda: services.instalment_plan_create(
            actor=request.actor,
            invoice_id=invoice_id,
            count=request.POST.get("count"),
            first_due_date=request.POST.get("first_due_date") or None,
        ),
    )


@require_POST
@staff_view("person.write")
def invoice_credit(request, invoice_id: int):
    return _invoice_action(
        request,
        invoice_id,
        lambda: services.credit_note_issue(
            actor=request.actor, invoice_id=invoice_id, reason=request.POST.get("reason", "")
        ),
    )


@staff_view("person.read")
def invoice_receipt(request, invoice_id: int):
    invoice, content = pdf.invoice_pdf(actor=request.actor, invoice_id=invoice_id)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{pdf.pdf_filename(invoice)}"'
    response["Cache-Control"] = "no-store"
    return response


@staff_view("person.read")
@require_http_methods(["GET", "POST"])
def portal_leads(request):
    """Benefits-portal leads: kept only until the portal's invoice has been checked."""
    from praksis.sales import leads

    actor = request.actor
    values = {k: request.POST.get(k, "") for k in ("portal", "name", "contact", "note")}
    errors: dict = {}
    if request.method == "POST":
        if request.POST.get("action") == "reconciled":
            lead_id = _int(request.POST.get("lead"))
            if lead_id is None:
                raise Http404
            leads.lead_reconciled(actor=actor, lead_id=lead_id)
            return redirect("staff:sales-leads")
        try:
            leads.lead_add(actor=actor, **values)
            return redirect("staff:sales-leads")
        except ValidationFailed as exc:
            errors = exc.errors
    return render(
        request,
        "sales/leads.html",
        {"leads": leads.leads_open(actor=actor), "values": values, "errors": errors},
        status=422 if errors else 200,
    )
