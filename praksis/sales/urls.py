"""Staff pages for sales, included under /staff/sales/ (names live in the staff namespace)."""

from django.urls import path

from praksis.sales import views

urlpatterns = [
    path("", views.sales_home, name="sales"),
    path("leads/", views.portal_leads, name="sales-leads"),
    path("orders/new/", views.order_new, name="sales-order-new"),
    path("orders/<int:order_id>/", views.order_detail, name="sales-order"),
    path("orders/<int:order_id>/lines/", views.order_add_line, name="sales-order-add-line"),
    path(
        "orders/<int:order_id>/lines/remove/",
        views.order_remove_line,
        name="sales-order-remove-line",
    ),
    path("orders/<int:order_id>/status/", views.order_status, name="sales-order-status"),
    path("orders/<int:order_id>/invoice/", views.order_invoice, name="sales-order-invoice"),
    path("invoices/<int:invoice_id>/", views.invoice_detail, name="sales-invoice"),
    path(
        "invoices/<int:invoice_id>/payments/", views.invoice_payment, name="sales-invoice-payment"
    ),
    path(
        "invoices/<int:invoice_id>/instalments/",
        views.invoice_instalments,
        name="sales-invoice-instalments",
    ),
    path("invoices/<int:invoice_id>/credit/", views.invoice_credit, name="sales-invoice-credit"),
    path(
        "invoices/<int:invoice_id>/receipt.pdf",
        views.invoice_receipt,
        name="sales-invoice-receipt",
    ),
]
