"""The sales API: amounts as strings, field errors, 404 across clinics, logged access."""

from __future__ import annotations

import pytest

from praksis.audit.models import AccessLogEntry
from praksis.sales import services
from praksis.sales.models import Invoice, Order, Payment
from tests.sales.conftest import MIXED


@pytest.fixture
def desk(clinic, make_api):
    return make_api(clinic, "receptionist")


def _order(api, person, lines=MIXED):
    response = api.post("orders", {"person": person.pk, "lines": lines})
    assert response.status_code == 201, response.content
    return response.json()


def test_order_to_paid_invoice_through_the_api(desk, buyer, glasses):
    order = _order(desk, buyer)
    assert order["status"] == "draft"
    assert (order["total"], order["vat_total"], order["net_total"]) == (
        "649.20",
        "125.24",
        "523.96",
    )
    assert order["lines"][0] | {"id": 0} == {
        "id": 0, "position": 1, "product": None, "kind": "product", "description": "Lens cleaner",
        "quantity": "3.00", "unit_price": "199.90", "vat_rate": "25.00", "net_amount": "479.76",
        "vat_amount": "119.94", "total": "599.70",
    }  # fmt: skip
    response = desk.post(f"orders/{order['id']}/lines", {"product": glasses.pk})
    assert response.status_code == 201
    assert response.json()["total"] == "5644.20"
    response = desk.post(f"orders/{order['id']}/invoice", {"due_days": 10})
    assert response.status_code == 201, response.content
    invoice = response.json()
    assert invoice["number"] == 1 and invoice["status"] == "open"
    assert invoice["total"] == "5644.20" and invoice["outstanding"] == "5644.20"
    assert invoice["vat_summary"] == [
        {"rate": "25.00", "net": "4475.76", "vat": "1118.94", "total": "5594.70"},
        {"rate": "12.00", "net": "44.20", "vat": "5.30", "total": "49.50"},
    ]
    response = desk.post(f"invoices/{invoice['id']}/instalments", {"count": 3})
    assert response.status_code == 201, response.content
    plan = response.json()["instalment_plan"]
    assert [i["amount"] for i in plan["instalments"]] == ["1881.40", "1881.40", "1881.40"]
    response = desk.post(f"invoices/{invoice['id']}/payments",
                         {"amount": "1881.40", "method": "swish"})  # fmt: skip
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["paid_total"], body["outstanding"]) == (
        "partly_paid", "1881.40", "3762.80",
    )  # fmt: skip
    assert [i["settled"] for i in body["instalment_plan"]["instalments"]] == [True, False, False]
    assert body["payments"][0]["amount"] == "1881.40"
    response = desk.post(f"invoices/{invoice['id']}/payments", {"amount": 3762.8, "method": "card"})
    assert response.json()["status"] == "paid"
    listing = desk.get("invoices").json()
    assert listing["count"] == 1 and listing["items"][0]["id"] == invoice["id"]
    assert desk.get("orders", person=buyer.pk).json()["count"] == 1


def test_bad_input_is_422_with_field_errors(desk, buyer):
    response = desk.post("orders", {"person": buyer.pk, "lines": [{"description": "X"}]})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"lines.0.unit_price", "lines.0.vat_rate"}
    response = desk.post("orders", {"lines": []})
    assert response.status_code == 422 and "person" in response.json()["errors"]
    order = _order(desk, buyer)
    invoice = desk.post(f"orders/{order['id']}/invoice", {}).json()
    response = desk.post(f"invoices/{invoice['id']}/payments", {"amount": "700", "method": "card"})
    assert response.status_code == 422
    assert response.json() == {
        "detail": "Please correct the fields marked.",
        "errors": {"amount": ["That is more than the amount outstanding (649,20)."]},
    }
    response = desk.post(f"invoices/{invoice['id']}/payments", {"amount": "1", "method": "gold"})
    assert response.status_code == 422 and set(response.json()["errors"]) == {"method"}
    assert not Payment.objects.exists()
    response = desk.post(f"orders/{order['id']}/invoice", {})
    assert response.status_code == 409


def test_messages_follow_the_callers_language(clinic, make_api, buyer):
    api = make_api(clinic, "owner", language="sv")
    order = _order(api, buyer)
    invoice = api.post(f"orders/{order['id']}/invoice", {}).json()
    response = api.post(f"invoices/{invoice['id']}/payments", {"amount": "700", "method": "card"})
    assert response.json()["errors"]["amount"] == [
        "Beloppet är högre än det som återstår att betala (649,20)."
    ]


def test_credit_note_through_the_api(desk, buyer):
    order = _order(desk, buyer)
    invoice = desk.post(f"orders/{order['id']}/invoice", {}).json()
    response = desk.post(f"invoices/{invoice['id']}/credit-note", {"reason": "Wrong item"})
    assert response.status_code == 201
    note = response.json()
    assert (note["kind"], note["number"], note["total"], note["credits"]) == (
        "credit_note", 2, "-649.20", invoice["id"],
    )  # fmt: skip
    assert desk.get(f"invoices/{invoice['id']}").json()["status"] == "credited"


def test_another_clinics_owner_gets_404_and_nothing_changes(desk, buyer, make_clinic, make_api):
    order = _order(desk, buyer)
    invoice = desk.post(f"orders/{order['id']}/invoice", {}).json()
    before = (
        list(Invoice.objects.values_list("pk", "status", "paid_total")),
        list(Order.objects.values_list("pk", "status", "updated_at")),
        AccessLogEntry.objects.filter(clinic_id=buyer.clinic_id).count(),
    )
    outsider = make_api(make_clinic("other"), "owner")
    calls = [
        ("get", f"orders/{order['id']}", None),
        ("post", f"orders/{order['id']}/lines", {"description": "X", "unit_price": "1",
                                                 "vat_rate": "25"}),
        ("post", f"orders/{order['id']}/place", {}),
        ("post", f"orders/{order['id']}/invoice", {}),
        ("get", f"invoices/{invoice['id']}", None),
        ("post", f"invoices/{invoice['id']}/payments", {"amount": "1", "method": "card"}),
        ("post", f"invoices/{invoice['id']}/payments", {"amount": "abc"}),  # 404 before 422
        ("post", f"invoices/{invoice['id']}/instalments", {"count": 2}),
        ("post", f"invoices/{invoice['id']}/credit-note", {}),
        ("get", f"invoices/{invoice['id']}/receipt.pdf", None),
    ]  # fmt: skip
    for method, path, data in calls:
        response = outsider.call(method, path, data)
        assert response.status_code == 404, (method, path, response.status_code)
        assert b"Wikander" not in response.content
    assert outsider.get("orders").json() == {"items": [], "count": 0}
    assert outsider.get("invoices").json() == {"items": [], "count": 0}
    assert outsider.get("orders", person=buyer.pk).json()["count"] == 0
    response = outsider.post("orders", {"person": buyer.pk, "lines": MIXED})
    assert response.status_code == 422 and "person" in response.json()["errors"]
    after = (
        list(Invoice.objects.values_list("pk", "status", "paid_total")),
        list(Order.objects.values_list("pk", "status", "updated_at")),
        AccessLogEntry.objects.filter(clinic_id=buyer.clinic_id).count(),
    )
    assert after == before


@pytest.mark.parametrize("role", ["owner", "practitioner", "receptionist"])
def test_every_role_may_sell_and_take_payments(clinic, make_api, buyer, role):
    api = make_api(clinic, role)
    order = _order(api, buyer)
    invoice = api.post(f"orders/{order['id']}/invoice", {}).json()
    response = api.post(f"invoices/{invoice['id']}/payments", {"amount": "649.20",
                                                               "method": "cash"})  # fmt: skip
    assert response.status_code == 201 and response.json()["status"] == "paid"


def test_no_token_is_401(buyer):
    from tests.conftest import ApiClient

    assert ApiClient(None).get("orders").status_code == 401
    assert ApiClient(None).post("orders", {"person": buyer.pk}).status_code == 401


def test_writes_and_reads_are_access_logged(desk, buyer):
    start = AccessLogEntry.objects.filter(clinic_id=buyer.clinic_id).count()
    order = _order(desk, buyer)
    invoice = desk.post(f"orders/{order['id']}/invoice", {}).json()
    desk.post(f"invoices/{invoice['id']}/payments", {"amount": "10", "method": "card"})
    desk.get(f"invoices/{invoice['id']}")
    desk.get("invoices")
    rows = list(
        AccessLogEntry.objects.filter(clinic_id=buyer.clinic_id)
        .order_by("seq")[start:]
        .values_list("action", "object_type", "object_id", "person_id", "channel")
    )
    payment = Payment.objects.get()
    assert rows == [
        ("create", "order", str(order["id"]), buyer.pk, "api"),
        ("create", "invoice", str(invoice["id"]), buyer.pk, "api"),
        ("create", "payment", str(payment.pk), buyer.pk, "api"),
        ("read", "invoice", str(invoice["id"]), buyer.pk, "api"),
        ("list", "invoice", "", None, "api"),
    ]


def test_list_queries_do_not_grow_with_the_page(desk, buyer, owner, sell):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(path):
        with CaptureQueriesContext(connection) as ctx:
            assert desk.get(path).status_code == 200
        return len(ctx.captured_queries)

    invoice = sell(owner, buyer)
    services.payment_register(actor=owner, invoice_id=invoice.pk, amount="1", method="card")
    services.instalment_plan_create(actor=owner, invoice_id=invoice.pk, count=2)
    desk.get("invoices")  # the first call of a token also records its use
    few = (count("invoices"), count("orders"))
    for _ in range(4):
        sell(owner, buyer)
    assert (count("invoices"), count("orders")) == few


def test_openapi_documents_the_sales_endpoints(desk):
    paths = desk.get("openapi.json").json()["paths"]
    for path in ("/api/v1/orders", "/api/v1/orders/{order_id}/invoice",
                 "/api/v1/invoices/{invoice_id}/payments",
                 "/api/v1/invoices/{invoice_id}/receipt.pdf"):  # fmt: skip
        assert path in paths
