"""Orders, invoices, payments and instalment plans. Every row belongs to one clinic.

Money is ``DecimalField(max_digits=12, decimal_places=2)``; unit prices include VAT (see
``praksis.sales.money`` for the rounding rules). An issued invoice is an accounting
record (LAW.md REQ-06/07: SE 7 years, NO 5 years): its number, dates, lines and amounts
can never change — the database refuses (migration 0002) — and corrections are made by
a credit note. When the buyer is erased, the invoice stays and is pseudonymised: the
buyer's name and address are replaced and the link to the person is cut.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

MONEY = dict(max_digits=12, decimal_places=2)
RATE = dict(max_digits=5, decimal_places=2)


class Kind(models.TextChoices):
    GLASSES = "glasses", _("Glasses")
    LENSES = "lenses", _("Contact lenses")
    PRODUCT = "product", _("Product")
    SERVICE = "service", _("Service")


class Product(models.Model):
    """An item of the clinic's price list. Never deleted once sold: deactivated instead."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PRODUCT)
    # Including VAT (the consumer price).
    unit_price = models.DecimalField(**MONEY)
    vat_rate = models.DecimalField(**RATE)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="sales_product_name"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="sales_product_price"),
            models.CheckConstraint(
                condition=Q(vat_rate__gte=0, vat_rate__lt=100), name="sales_product_vat"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Order(models.Model):
    """An order of glasses, lenses, products or services for a person."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ORDERED = "ordered", _("Ordered")
        DELIVERED = "delivered", _("Delivered")
        CANCELLED = "cancelled", pgettext_lazy("order", "Cancelled")

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    # Cut (set to NULL) only by pseudonymisation, which leaves ``person_pseudonym``.
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    person_pseudonym = models.CharField(max_length=60, blank=True)
    # The journal entry that prescribed it (e.g. the eye examination).
    journal_entry = models.ForeignKey(
        "journal.JournalEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by_user_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    placed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False) | ~Q(person_pseudonym=""),
                name="sales_order_person_or_pseudonym",
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "person", "created_at"], name="sales_order_person"),
            models.Index(fields=["clinic", "created_at"], name="sales_order_created"),
        ]

    def __str__(self) -> str:
        return f"order {self.pk}"


class OrderLine(models.Model):
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PRODUCT)
    description = models.CharField(max_length=200)
    quantity = models.DecimalField(max_digits=9, decimal_places=2)
    unit_price = models.DecimalField(**MONEY)  # including VAT
    vat_rate = models.DecimalField(**RATE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="sales_orderline_pos"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="sales_orderline_qty"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="sales_orderline_price"),
            models.CheckConstraint(
                condition=Q(vat_rate__gte=0, vat_rate__lt=100), name="sales_orderline_vat"
            ),
        ]
        ordering = ["position"]

    def __str__(self) -> str:
        return self.description


class InvoiceCounter(models.Model):
    """The next invoice number of a clinic; its row is locked while a number is taken."""

    clinic = models.OneToOneField(
        "clinics.Clinic", on_delete=models.PROTECT, primary_key=True, related_name="+"
    )
    next_number = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"{self.clinic_id}: {self.next_number}"


class Invoice(models.Model):
    """An invoice or a credit note; numbered in one gapless series per clinic."""

    class DocumentKind(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        CREDIT_NOTE = "credit_note", _("Credit note")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PARTLY_PAID = "partly_paid", _("Partly paid")
        PAID = "paid", _("Paid")
        # An invoice cancelled by a credit note; a credit note itself also carries it.
        CREDITED = "credited", _("Credited")

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField()
    kind = models.CharField(
        max_length=12, choices=DocumentKind.choices, default=DocumentKind.INVOICE
    )
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="invoices")
    credits = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_notes"
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    issued_at = models.DateTimeField(default=timezone.now)
    due_date = models.DateField()
    currency = models.CharField(max_length=3)
    # Snapshots as they were when issued (the invoice never changes afterwards).
    seller_name = models.CharField(max_length=200)
    seller_org_number = models.CharField(max_length=20, blank=True)
    seller_address = models.TextField(blank=True)
    # The buyer's name and address: replaced by a pseudonym when the person is erased.
    buyer_name = models.CharField(max_length=210)
    buyer_address = models.TextField(blank=True)
    pseudonymised_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)  # of a credit note
    net_total = models.DecimalField(**MONEY)
    vat_total = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    paid_total = models.DecimalField(**MONEY, default=0)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    issued_by_user_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "number"], name="sales_invoice_number"),
            models.CheckConstraint(condition=Q(number__gt=0), name="sales_invoice_number_pos"),
            models.CheckConstraint(
                condition=(Q(kind="invoice") & Q(total__gte=0) & Q(credits__isnull=True))
                | (Q(kind="credit_note") & Q(total__lte=0) & Q(credits__isnull=False)),
                name="sales_invoice_kind_sign",
            ),
            models.CheckConstraint(
                condition=Q(paid_total__gte=0)
                & (Q(kind="credit_note") | Q(paid_total__lte=models.F("total"))),
                name="sales_invoice_no_overpayment",
            ),
            # One credit note per invoice.
            models.UniqueConstraint(
                fields=["credits"],
                condition=Q(credits__isnull=False),
                name="sales_invoice_credited_once",
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "issued_at"], name="sales_invoice_issued"),
            models.Index(fields=["clinic", "person", "issued_at"], name="sales_invoice_person"),
            models.Index(fields=["clinic", "status", "due_date"], name="sales_invoice_due"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    @property
    def outstanding(self):
        if self.kind != self.DocumentKind.INVOICE or self.status == self.Status.CREDITED:
            return Decimal("0.00")
        return self.total - self.paid_total


class InvoiceLine(models.Model):
    """A line of an issued invoice (append-only). Credit-note lines have negative amounts."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveIntegerField()
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    description = models.CharField(max_length=200)
    quantity = models.DecimalField(max_digits=9, decimal_places=2)
    unit_price = models.DecimalField(**MONEY)  # including VAT
    vat_rate = models.DecimalField(**RATE)
    net_amount = models.DecimalField(**MONEY)
    vat_amount = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="sales_invoiceline_pos"),
            models.CheckConstraint(
                condition=Q(vat_rate__gte=0, vat_rate__lt=100), name="sales_invoiceline_vat"
            ),
        ]
        ordering = ["position"]

    def __str__(self) -> str:
        return self.description


class Payment(models.Model):
    """Money received against an invoice (append-only)."""

    class Method(models.TextChoices):
        CARD = "card", _("Card")
        CASH = "cash", _("Cash")
        SWISH = "swish", "Swish"
        VIPPS = "vipps", "Vipps"
        INVOICE = "invoice", _("Invoice payment (giro)")
        BANK = "bank", _("Bank transfer")

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(**MONEY)
    method = models.CharField(max_length=10, choices=Method.choices)
    paid_at = models.DateTimeField(default=timezone.now)
    registered_at = models.DateTimeField(default=timezone.now)
    registered_by_user_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="sales_payment_positive"),
        ]
        ordering = ["paid_at", "pk"]

    def __str__(self) -> str:
        return f"{self.amount} ({self.method})"


class InstalmentPlan(models.Model):
    """Delbetalning: the amount outstanding when agreed, split into dated instalments."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    invoice = models.OneToOneField(
        Invoice, on_delete=models.PROTECT, related_name="instalment_plan"
    )
    amount = models.DecimalField(**MONEY)
    # What had been paid on the invoice when the plan was agreed (not part of the plan).
    paid_before = models.DecimalField(**MONEY)
    created_at = models.DateTimeField(default=timezone.now)
    created_by_user_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="sales_plan_positive"),
        ]

    def __str__(self) -> str:
        return f"plan for invoice {self.invoice_id}"


class Instalment(models.Model):
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(InstalmentPlan, on_delete=models.PROTECT, related_name="instalments")
    seq = models.PositiveSmallIntegerField()
    due_date = models.DateField()
    amount = models.DecimalField(**MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan", "seq"], name="sales_instalment_seq"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="sales_instalment_positive"),
        ]
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"{self.seq}: {self.amount} due {self.due_date}"


class PortalLead(models.Model):
    """A new client announced by a benefits portal (seed 001: "förmånsportalen"): kept only
    until the portal's invoice for the visit has arrived and been checked, then deleted."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    portal = models.CharField(max_length=100)
    name = models.CharField(max_length=200)
    contact = models.CharField(max_length=254, blank=True)
    note = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["clinic", "received_at"], name="portal_lead_clinic")]

    def __str__(self) -> str:
        return f"lead {self.pk}"
