"""Every CSV Praksis writes opens in a spreadsheet as data, never as a formula (OWASP).

A client chooses their own name online. Named ``=HYPERLINK("http://x","y")``, they would
otherwise put a live link into the clinic's spreadsheet; ``@SUM(1)`` and ``-2+3+cmd|...``
run too. REQ-26 (portability) makes the export a CSV that people do open in Excel.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client

from praksis.core.csvsafe import escape_cell
from praksis.messaging.models import OutboxMessage
from praksis.privacy.requests import request_answer, request_create
from tests.privacy.answer_helpers import open_answer

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://x","y")'
DDE = "-2+3+cmd|' /C calc'!A0"


@pytest.fixture
def mallory(clinic, owner, make_person):
    return make_person(
        owner,
        first_name=HYPERLINK,
        last_name="@SUM(1)",
        address=DDE,
        phone="0701740642",
        email="mallory@example.com",
    )


def _cells(content: bytes) -> dict[str, str]:
    rows = csv.DictReader(io.StringIO(content.decode()))
    return {row["field"]: row["value"] for row in rows if row["section"] == "person"}


def _assert_inert(cells: dict[str, str]) -> None:
    assert cells["first_name"] == "'" + HYPERLINK
    assert cells["last_name"] == "'@SUM(1)"
    assert cells["address"] == "'" + DDE
    assert cells["phone"] == "'+46701740642"  # text beginning with "+": prefixed too
    assert cells["email"] == "mallory@example.com"  # nothing else is touched
    formulas = [v for v in cells.values() if v[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert formulas == []


def test_req26_the_api_export_csv_neutralises_formulas(clinic, mallory, make_api):
    api = make_api(clinic, "owner")
    created = api.post("privacy-requests", {"person": mallory.pk, "kind": "portability"}).json()
    response = api.get(f"privacy-requests/{created['id']}/export.csv")
    assert response.status_code == 200
    _assert_inert(_cells(response.content))


def test_req26_the_staff_page_export_csv_neutralises_formulas(clinic, mallory, owner, make_staff):
    request = request_create(actor=owner, person_id=mallory.pk, kind="portability")
    ui = Client()
    ui.force_login(make_staff(clinic, "owner", email="boss@example.com"))
    response = ui.get(f"/staff/privacy-requests/{request.pk}/export.csv")
    assert response.status_code == 200
    _assert_inert(_cells(response.content))


def test_req26_the_export_the_person_downloads_neutralises_formulas(
    clinic, mallory, owner, settings, tmp_path
):
    settings.SMS_FILE_PATH = tmp_path / "sms"
    request = request_create(actor=owner, person_id=mallory.pk, kind="portability")
    request_answer(actor=owner, request_id=request.pk)
    body = OutboxMessage.objects.get(related_type="privacy_request").body
    link = "/" + re.search(r"https?://\S+/privacy/answer/\S+/", body).group(0).split("/", 3)[3]
    visitor = Client()
    open_answer(visitor, link, settings, phone="+46701740642")  # REQ-50: the SMS code first
    response = visitor.get(link + "export.csv")
    assert response.status_code == 200
    _assert_inert(_cells(response.content))


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-100.00", "'-100.00"),  # text: prefixed, still readable
        ("@SUM(1)", "'@SUM(1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("a=1", "a=1"),
        (" =1", " =1"),
        ("", ""),
        (None, ""),
        (-100, -100),  # a number cannot hold a formula: written as it is
        (Decimal("-100.00"), Decimal("-100.00")),
        (-1.5, -1.5),
        (True, "True"),
    ],
)
def test_escape_cell_prefixes_text_that_a_spreadsheet_would_run(cell, written):
    assert escape_cell(cell) == written


def test_no_csv_is_written_without_the_safe_writer():
    """One helper for every CSV: a new export that uses the csv module directly fails here."""
    root = Path(__file__).resolve().parents[2] / "praksis"
    direct = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if path.name != "csvsafe.py"
        and re.search(r"csv\.(writer|DictWriter)\(", path.read_text(encoding="utf-8"))
    ]
    assert direct == []
