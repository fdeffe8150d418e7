"""Sales writes: orders, invoices, payments, instalment plans, credit notes, pseudonymising.

Every function is keyword-only, atomic, role-checked and writes its access-log row in
the same transaction. All three roles may sell (receptionists take payments), so writes
ask for ``person.write``. Amounts follow ``praksis.sales.money`` (prices include VAT,
half-up rounding to öre/øre, totals are sums of rounded lines).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _

from praksis.audit.models import Action
from praksis.audit.services import Access, log_access
from praksis.clinics.access import Actor, require
from praksis.clinics.models import Clinic
from praksis.core.errors import Conflict, ValidationFailed
from praksis.people.models import AnimalOwner, Person
from praksis.sales import entries as journal_entries
from praksis.sales import money
from praksis.sales.models import (
    Instalment,
    InstalmentPlan,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    Kind,
    Order,
    OrderLine,
    Payment,
    Product,
)

if TYPE_CHECKING:
    from praksis.journal.models import JournalEntry  # the row comes through entries.entry

MAX_QUANTITY = Decimal("9999")
MAX_UNIT_PRICE = Decimal("999999.99")
MAX_LINES = 100
MAX_INSTALMENTS = 36
DEFAULT_DUE_DAYS = 30
# Which payment methods exist where.
COUNTRY_METHODS = {
    "SE": {"card", "cash", "swish", "invoice", "bank"},
    "NO": {"card", "cash", "vipps", "invoice", "bank"},
}

ORDER_LOCKED = _("This order has been invoiced. Credit the invoice to change it.")
ORDER_CLOSED = _("This order is cancelled or delivered and can no longer be changed.")


# --- Helpers ----------------------------------------------------------------------------


def _today(clinic: Clinic) -> date:
    return timezone.now().astimezone(clinic.zone).date()


def _int(value) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _date(value, field: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        parsed = parse_date(str(value).strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValidationFailed({field: [_("Enter a date as YYYY-MM-DD.")]})
    return parsed


def _when(value, clinic: Clinic, field: str) -> datetime:
    """A payment time: now, an aware or local datetime, or a local date (at noon)."""
    if value in (None, ""):
        return timezone.now()
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time(12))
    else:
        text = str(value).strip()
        try:
            parsed = parse_datetime(text)
            if parsed is None and parse_date(text) is not None:
                parsed = datetime.combine(parse_date(text), time(12))
        except ValueError:
            parsed = None
    if parsed is None:
        raise ValidationFailed({field: [_("Enter a date (YYYY-MM-DD) or a date and time.")]})
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=clinic.zone)
    if parsed > timezone.now() + timedelta(minutes=5):
        raise ValidationFailed({field: [_("A payment cannot be in the future.")]})
    return parsed


def _amount(value, field: str, *, errors: dict, minimum: Decimal, maximum: Decimal):
    if value in (None, ""):
        errors[field] = [_("This field is required.")]
        return None
    try:
        number = money.parse_decimal(value)
    except ValueError:
        errors[field] = [_("Enter an amount with at most two decimals, e.g. 199.90.")]
        return None
    if not minimum <= number <= maximum:
        errors[field] = [_("Enter an amount in the allowed range.")]
        return None
    return number


def _log(actor: Actor, action: str, object_type: str, object_id, person_id, detail: str = ""):
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


def _order_for_update(actor: Actor, order_id) -> Order:
    order = Order.objects.select_for_update().filter(clinic=actor.clinic, pk=_int(order_id)).first()
    if order is None:
        raise Http404
    return order


def _invoice_for_update(actor: Actor, invoice_id) -> Invoice:
    invoice = (
        Invoice.objects.select_for_update().filter(clinic=actor.clinic, pk=_int(invoice_id)).first()
    )
    if invoice is None:
        raise Http404
    return invoice


def active_invoice(order: Order) -> Invoice | None:
    """The order's invoice that is still in force (not credited), if any."""
    return (
        Invoice.objects.filter(clinic_id=order.clinic_id, order=order, kind="invoice")
        .exclude(status=Invoice.Status.CREDITED)
        .first()
    )


# --- Lines ------------------------------------------------------------------------------


def vat_rates(clinic: Clinic) -> tuple[Decimal, ...]:
    return money.VAT_RATES[clinic.country]


def clean_line(clinic: Clinic, data: dict, *, prefix: str = "") -> dict:
    """A valid order line (as model fields) from a product and/or free text."""
    errors: dict[str, list] = {}
    values: dict = {}
    product = None
    product_id = data.get("product")
    description = " ".join(str(data.get("description") or "").split())
    if product_id not in (None, ""):
        product = Product.objects.filter(clinic=clinic, active=True, pk=_int(product_id)).first()
        if product is None:
            raise ValidationFailed(
                {f"{prefix}product": [_("Choose one of the clinic's products.")]}
            )
        values.update(
            product=product,
            kind=product.kind,
            description=description or product.name,
            vat_rate=product.vat_rate,
        )
    else:
        if not description:
            errors[f"{prefix}description"] = [_("Describe what is sold, or choose a product.")]
        values["description"] = description
        kind = data.get("kind") or Kind.PRODUCT
        if kind not in Kind.values:
            errors[f"{prefix}kind"] = [_("Choose glasses, lenses, product or service.")]
        values["kind"] = kind
        try:
            rate = money.parse_decimal(data.get("vat_rate"))
        except ValueError:
            rate = None
        if rate not in vat_rates(clinic):
            choices = ", ".join(money.format_rate(r) for r in vat_rates(clinic))
            errors[f"{prefix}vat_rate"] = [
                _("Choose a VAT rate of this country: %(rates)s %%.") % {"rates": choices}
            ]
        values["vat_rate"] = rate
    if len(description) > 200:
        errors[f"{prefix}description"] = [_("At most 200 characters.")]
    quantity = data.get("quantity")
    values["quantity"] = _amount(
        1 if quantity in (None, "") else quantity,
        f"{prefix}quantity",
        errors=errors,
        minimum=Decimal("0.01"),
        maximum=MAX_QUANTITY,
    )
    price = data.get("unit_price")
    if product is not None and price in (None, ""):
        values["unit_price"] = product.unit_price
    else:
        values["unit_price"] = _amount(
            price, f"{prefix}unit_price", errors=errors, minimum=Decimal(0), maximum=MAX_UNIT_PRICE
        )
    if errors:
        raise ValidationFailed(errors)
    return values


def line_amounts(line) -> money.LineAmounts:
    return money.line_amounts(line.quantity, line.unit_price, line.vat_rate)


def order_totals(order: Order) -> money.Totals:
    return money.totals(line_amounts(line) for line in order.lines.all())


# --- Orders -----------------------------------------------------------------------------


def _person(clinic: Clinic, person_id) -> Person:
    person = Person.objects.filter(clinic=clinic, pk=_int(person_id)).first()
    if person is None:
        raise ValidationFailed({"person": [_("Choose a person registered at this clinic.")]})
    return person


def _journal_entry(clinic: Clinic, person: Person, entry_id) -> JournalEntry | None:
    """The prescribing entry: of this clinic, about the person or one of their animals."""
    if entry_id in (None, ""):
        return None
    entry = journal_entries.entry(clinic, _int(entry_id))
    if entry is not None:
        if entry.person_id == person.pk:
            return entry
        if (
            entry.animal_id
            and AnimalOwner.objects.filter(
                clinic=clinic, animal_id=entry.animal_id, person=person
            ).exists()
        ):
            return entry
    raise ValidationFailed(
        {"journal_entry": [_("Choose a journal entry of this person (or of their animal).")]}
    )


def order_create(
    *,
    actor: Actor,
    person_id: int,
    journal_entry_id: int | None = None,
    lines: list[dict] | tuple = (),
) -> Order:
    """Open an order for a person, optionally linked to the journal entry that prescribed it."""
    require(actor, "person.write")
    clinic = actor.clinic
    errors: dict[str, list] = {}
    person = entry = None
    try:
        person = _person(clinic, person_id)
        entry = _journal_entry(clinic, person, journal_entry_id)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    lines = list(lines or [])
    if len(lines) > MAX_LINES:
        errors["lines"] = [_("Too many lines.")]
        lines = []
    cleaned = []
    for index, line in enumerate(lines):
        try:
            cleaned.append(clean_line(clinic, dict(line), prefix=f"lines.{index}."))
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    now = timezone.now()
    with transaction.atomic():
        order = Order.objects.create(
            clinic=clinic,
            person=person,
            journal_entry=entry,
            created_by_user_id=actor.user_id,
            created_at=now,
            updated_at=now,
        )
        OrderLine.objects.bulk_create(
            OrderLine(clinic=clinic, order=order, position=i + 1, **values)
            for i, values in enumerate(cleaned)
        )
        _log(
            actor,
            Action.CREATE,
            "order",
            order.pk,
            person.pk,
            f"lines={len(cleaned)}; journal_entry={entry.pk if entry else '-'}",
        )
    return order


def _editable(order: Order) -> None:
    if order.status not in (Order.Status.DRAFT, Order.Status.ORDERED):
        raise Conflict(ORDER_CLOSED, code="order_closed")
    if active_invoice(order) is not None:
        raise Conflict(ORDER_LOCKED, code="order_invoiced")


def order_add_line(*, actor: Actor, order_id: int, data: dict) -> OrderLine:
    """Add a line (a product of the price list, or free text) to an order not yet invoiced."""
    require(actor, "person.write")
    with transaction.atomic():
        order = _order_for_update(actor, order_id)  # 404 before any other answer
        values = clean_line(actor.clinic, data)
        _editable(order)
        count = order.lines.count()
        if count >= MAX_LINES:
            raise ValidationFailed({"lines": [_("Too many lines.")]})
        position = (
            order.lines.order_by("-position").values_list("position", flat=True).first()
        ) or 0
        line = OrderLine.objects.create(
            clinic=actor.clinic, order=order, position=position + 1, **values
        )
        order.updated_at = timezone.now()
        order.save(update_fields=["updated_at"])
        _log(actor, Action.UPDATE, "order", order.pk, order.person_id, "line added")
    return line


def order_remove_line(*, actor: Actor, order_id: int, line_id: int) -> Order:
    """Remove a line from an order not yet invoiced."""
    require(actor, "person.write")
    with transaction.atomic():
        order = _order_for_update(actor, order_id)
        _editable(order)
        deleted, _rows = OrderLine.objects.filter(order=order, pk=_int(line_id)).delete()
        if not deleted:
            raise Http404
        order.updated_at = timezone.now()
        order.save(update_fields=["updated_at"])
        _log(actor, Action.UPDATE, "order", order.pk, order.person_id, "line removed")
    return order


def _set_status(actor: Actor, order: Order, status: str, stamp: str) -> Order:
    now = timezone.now()
    order.status = status
    setattr(order, stamp, now)
    order.updated_at = now
    order.save(update_fields=["status", stamp, "updated_at"])
    _log(actor, Action.UPDATE, "order", order.pk, order.person_id, f"status={status}")
    return order


def order_place(*, actor: Actor, order_id: int) -> Order:
    """Place a draft order (e.g. glasses ordered from the lab)."""
    require(actor, "person.write")
    with transaction.atomic():
        order = _order_for_update(actor, order_id)
        if order.status != Order.Status.DRAFT:
            raise Conflict(_("Only a draft order can be placed."), code="order_not_draft")
        if not order.lines.exists():
            raise ValidationFailed({"lines": [_("Add at least one line first.")]})
        return _set_status(actor, order, Order.Status.ORDERED, "placed_at")


def order_deliver(*, actor: Actor, order_id: int) -> Order:
    """Mark a placed order as handed over to the client."""
    require(actor, "person.write")
    with transaction.atomic():
        order = _order_for_update(actor, order_id)
        if order.status != Order.Status.ORDERED:
            raise Conflict(_("Only a placed order can be delivered."), code="order_not_placed")
        return _set_status(actor, order, Order.Status.DELIVERED, "delivered_at")


def order_cancel(*, actor: Actor, order_id: int) -> Order:
    """Cancel an order that has not been delivered or invoiced."""
    require(actor, "person.write")
    with transaction.atomic():
        order = _order_for_update(actor, order_id)
        _editable(order)
        return _set_status(actor, order, Order.Status.CANCELLED, "cancelled_at")


# --- Invoices ---------------------------------------------------------------------------


def _take_number(clinic: Clinic) -> int:
    """The clinic's next invoice number. The counter row stays locked until commit, so
    concurrent issuers queue here and the series has no gaps and no duplicates."""
    counter = InvoiceCounter.objects.select_for_update().filter(clinic=clinic).first()
    if counter is None:
        InvoiceCounter.objects.get_or_create(clinic=clinic)
        counter = InvoiceCounter.objects.select_for_update().get(clinic=clinic)
    number = counter.next_number
    InvoiceCounter.objects.filter(clinic=clinic).update(next_number=number + 1)
    return number


def _seller(clinic: Clinic) -> dict:
    return {
        "seller_name": clinic.name,
        "seller_org_number": clinic.organisation_number,
        "seller_address": clinic.address,
        "currency": money.CURRENCY[clinic.country],
    }


def _due(clinic: Clinic, due_days, due_date) -> date:
    today = _today(clinic)
    if due_date not in (None, ""):
        chosen = _date(due_date, "due_date")
        if chosen < today or chosen > today + timedelta(days=365):
            raise ValidationFailed({"due_date": [_("Choose a due date within a year from today.")]})
        return chosen
    days = DEFAULT_DUE_DAYS if due_days in (None, "") else _int(due_days)
    if days is None or not 0 <= days <= 365:
        raise ValidationFailed({"due_days": [_("Enter a number of days from 0 to 365.")]})
    return today + timedelta(days=days)


def invoice_issue(
    *, actor: Actor, order_id: int, due_days: int | None = None, due_date=None
) -> Invoice:
    """Invoice an order: snapshot seller, buyer and lines; take the next number."""
    require(actor, "person.write")
    clinic = actor.clinic
    with transaction.atomic():
        order = _order_for_update(actor, order_id)
        due = _due(clinic, due_days, due_date)
        if order.status == Order.Status.CANCELLED:
            raise Conflict(_("A cancelled order cannot be invoiced."), code="order_cancelled")
        if active_invoice(order) is not None:
            raise Conflict(_("This order has already been invoiced."), code="order_invoiced")
        lines = list(order.lines.select_related("product").order_by("position"))
        if not lines:
            raise ValidationFailed({"lines": [_("Add at least one line first.")]})
        amounts = [line_amounts(line) for line in lines]
        summed = money.totals(amounts)
        person = order.person
        now = timezone.now()
        invoice = Invoice.objects.create(
            clinic=clinic,
            number=_take_number(clinic),
            order=order,
            person=person,
            issued_at=now,
            due_date=due,
            buyer_name=person.full_name if person else order.person_pseudonym,
            # REQ-48: a protected address is never printed (the invoice is sent by the
            # population register's forwarding or handed over at the desk).
            buyer_address=person.address if person and not person.protected_identity else "",
            pseudonymised_at=None if person else now,
            net_total=summed.net,
            vat_total=summed.vat,
            total=summed.total,
            status=Invoice.Status.PAID if summed.total == 0 else Invoice.Status.OPEN,
            issued_by_user_id=actor.user_id,
            **_seller(clinic),
        )
        InvoiceLine.objects.bulk_create(
            InvoiceLine(
                clinic=clinic,
                invoice=invoice,
                position=i + 1,
                product=line.product,
                kind=line.kind,
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                vat_rate=line.vat_rate,
                net_amount=amount.net,
                vat_amount=amount.vat,
                total=amount.total,
            )
            for i, (line, amount) in enumerate(zip(lines, amounts, strict=True))
        )
        if order.status == Order.Status.DRAFT:
            order.status, order.placed_at = Order.Status.ORDERED, now
        order.updated_at = now
        order.save(update_fields=["status", "placed_at", "updated_at"])
        _log(
            actor,
            Action.CREATE,
            "invoice",
            invoice.pk,
            order.person_id,
            f"number={invoice.number}; order={order.pk}",
        )
    return invoice


def _status_for(total: Decimal, paid: Decimal) -> str:
    if paid <= 0:
        return Invoice.Status.OPEN
    return Invoice.Status.PAID if paid >= total else Invoice.Status.PARTLY_PAID


def payment_register(
    *, actor: Actor, invoice_id: int, amount, method: str, paid_at=None
) -> Payment:
    """Register money received. More than the amount outstanding is refused."""
    require(actor, "person.write")
    clinic = actor.clinic
    with transaction.atomic():
        invoice = _invoice_for_update(actor, invoice_id)
        errors: dict[str, list] = {}
        value = _amount(
            amount, "amount", errors=errors, minimum=Decimal("0.01"), maximum=money.MAX_AMOUNT
        )
        if method not in COUNTRY_METHODS[clinic.country]:
            errors["method"] = [_("Choose a payment method.")]
        try:
            when = _when(paid_at, clinic, "paid_at")
        except ValidationFailed as exc:
            errors.update(exc.errors)
        if errors:
            raise ValidationFailed(errors)
        if invoice.kind != Invoice.DocumentKind.INVOICE:
            raise Conflict(_("A credit note takes no payments."), code="credit_note")
        if invoice.status == Invoice.Status.CREDITED:
            raise Conflict(_("This invoice has been credited."), code="invoice_credited")
        outstanding = invoice.total - invoice.paid_total
        if value > outstanding:
            raise ValidationFailed(
                {
                    "amount": [
                        _("That is more than the amount outstanding (%(outstanding)s).")
                        % {"outstanding": money.format_amount(outstanding)}
                    ]
                }
            )
        payment = Payment.objects.create(
            clinic=clinic,
            invoice=invoice,
            amount=value,
            method=method,
            paid_at=when,
            registered_by_user_id=actor.user_id,
        )
        invoice.paid_total += value
        invoice.status = _status_for(invoice.total, invoice.paid_total)
        invoice.save(update_fields=["paid_total", "status"])
        _log(
            actor,
            Action.CREATE,
            "payment",
            payment.pk,
            invoice.person_id,
            f"invoice={invoice.number}; method={method}",
        )
    return payment


def instalment_plan_create(
    *,
    actor: Actor,
    invoice_id: int,
    count,
    first_due_date=None,
    interval_months=1,
) -> InstalmentPlan:
    """Delbetalning: split what is outstanding into ``count`` monthly instalments."""
    require(actor, "person.write")
    clinic = actor.clinic
    with transaction.atomic():
        invoice = _invoice_for_update(actor, invoice_id)
        errors: dict[str, list] = {}
        number = _int(count)
        if number is None or not 2 <= number <= MAX_INSTALMENTS:
            errors["count"] = [
                _("Choose from 2 to %(max)s instalments.") % {"max": MAX_INSTALMENTS}
            ]
        interval = _int(interval_months)
        if interval is None or not 1 <= interval <= 12:
            errors["interval_months"] = [_("Choose from 1 to 12 months between instalments.")]
        try:
            first_due = _date(first_due_date, "first_due_date")
        except ValidationFailed as exc:
            errors.update(exc.errors)
        if errors:
            raise ValidationFailed(errors)
        if invoice.kind != Invoice.DocumentKind.INVOICE or invoice.status not in (
            Invoice.Status.OPEN,
            Invoice.Status.PARTLY_PAID,
        ):
            raise Conflict(_("Only an unpaid invoice can be paid in instalments."), code="paid")
        if InstalmentPlan.objects.filter(invoice=invoice).exists():
            raise Conflict(_("This invoice already has an instalment plan."), code="plan_exists")
        outstanding = invoice.total - invoice.paid_total
        try:
            amounts = money.split_instalments(outstanding, number)
        except ValueError:
            raise ValidationFailed(
                {"count": [_("The amount outstanding is too small for that many instalments.")]}
            ) from None
        issued_on = invoice.issued_at.astimezone(clinic.zone).date()
        first_due = first_due or invoice.due_date
        if not issued_on <= first_due <= issued_on + timedelta(days=365):
            raise ValidationFailed(
                {"first_due_date": [_("Choose a first due date within a year of the invoice.")]}
            )
        plan = InstalmentPlan.objects.create(
            clinic=clinic,
            invoice=invoice,
            amount=outstanding,
            paid_before=invoice.paid_total,
            created_by_user_id=actor.user_id,
        )
        Instalment.objects.bulk_create(
            Instalment(
                clinic=clinic,
                plan=plan,
                seq=i + 1,
                due_date=money.add_months(first_due, i * interval),
                amount=amount,
            )
            for i, amount in enumerate(amounts)
        )
        _log(
            actor,
            Action.CREATE,
            "instalment_plan",
            plan.pk,
            invoice.person_id,
            f"invoice={invoice.number}; instalments={number}",
        )
    return plan


@dataclass(frozen=True)
class ScheduleRow:
    seq: int
    due_date: date
    amount: Decimal
    paid: Decimal

    @property
    def settled(self) -> bool:
        return self.paid >= self.amount


def instalment_schedule(plan: InstalmentPlan, invoice: Invoice) -> list[ScheduleRow]:
    """The plan's instalments with what has been paid towards each (oldest first)."""
    available = max(invoice.paid_total - plan.paid_before, Decimal(0))
    rows = []
    for instalment in plan.instalments.all():
        paid = min(available, instalment.amount)
        available -= paid
        rows.append(ScheduleRow(instalment.seq, instalment.due_date, instalment.amount, paid))
    return rows


def credit_note_issue(*, actor: Actor, invoice_id: int, reason: str = "") -> Invoice:
    """Cancel an issued invoice in full by a credit note (the invoice itself never changes
    but for its status). The order can then be corrected and invoiced again."""
    require(actor, "person.write")
    clinic = actor.clinic
    reason = " ".join(str(reason or "").split())
    with transaction.atomic():
        original = _invoice_for_update(actor, invoice_id)
        if len(reason) > 300:
            raise ValidationFailed({"reason": [_("At most 300 characters.")]})
        if original.kind != Invoice.DocumentKind.INVOICE:
            raise Conflict(_("A credit note cannot be credited."), code="credit_note")
        if original.status == Invoice.Status.CREDITED:
            raise Conflict(_("This invoice has already been credited."), code="credited")
        now = timezone.now()
        note = Invoice.objects.create(
            clinic=clinic,
            number=_take_number(clinic),
            kind=Invoice.DocumentKind.CREDIT_NOTE,
            order_id=original.order_id,
            credits=original,
            person_id=original.person_id,
            issued_at=now,
            due_date=_today(clinic),
            currency=original.currency,
            seller_name=clinic.name,
            seller_org_number=clinic.organisation_number,
            seller_address=clinic.address,
            buyer_name=original.buyer_name,
            buyer_address=original.buyer_address,
            pseudonymised_at=original.pseudonymised_at,
            reason=reason,
            net_total=-original.net_total,
            vat_total=-original.vat_total,
            total=-original.total,
            status=Invoice.Status.CREDITED,
            issued_by_user_id=actor.user_id,
        )
        InvoiceLine.objects.bulk_create(
            InvoiceLine(
                clinic=clinic,
                invoice=note,
                position=line.position,
                product_id=line.product_id,
                kind=line.kind,
                description=line.description,
                quantity=-line.quantity,
                unit_price=line.unit_price,
                vat_rate=line.vat_rate,
                net_amount=-line.net_amount,
                vat_amount=-line.vat_amount,
                total=-line.total,
            )
            for line in original.lines.order_by("position")
        )
        original.status = Invoice.Status.CREDITED
        original.save(update_fields=["status"])
        _log(
            actor,
            Action.CREATE,
            "invoice",
            note.pk,
            original.person_id,
            f"credit note number={note.number} for number={original.number}",
        )
    return note
