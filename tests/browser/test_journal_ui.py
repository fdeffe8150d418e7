"""A practitioner writes, signs and amends a journal entry in the staff UI; the journal
PDF prints the original and the amendment beside each other (REQ-12, REQ-13, REQ-15)."""

from __future__ import annotations

import io
import re

import pytest
from django.utils import translation
from playwright.sync_api import expect
from pypdf import PdfReader

from praksis.audit.models import AccessLogEntry
from praksis.journal.models import EntryKind, JournalEntry
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGE = "sv"  # the browser context's locale (sv-SE); labels are matched in it
ORIGINAL = "Huvudvärk vid läsning sedan tre veckor."
AMENDMENT = "Rättelse: sedan tre dagar."
REASON = "Fel i originalet"


def t(text: str) -> str:
    """``text`` as the server shows it to the browser's language."""
    with translation.override(LANGUAGE):
        return translation.gettext(text)


@pytest.fixture
def journal_setup(make_clinic, make_staff, make_actor, make_person):
    from praksis.clinics.models import User

    clinic = make_clinic("optician")
    practitioner = make_staff(clinic, "practitioner")
    User.objects.filter(pk=practitioner.pk).update(
        full_name="Johan Lind", title="Legitimerad optiker"
    )
    owner = make_actor(clinic, "owner")
    patient = make_person(owner, first_name="Greta", last_name="Wikander")
    return clinic, practitioner, patient


def sign_in(page, email: str, password: str) -> None:
    page.goto("/staff/")
    page.wait_for_url(re.compile(r"/staff/login/\?next=%2Fstaff%2F$"))
    page.get_by_label(t("E-mail"), exact=True).fill(email)
    page.get_by_label(t("Password"), exact=True).fill(password)
    page.get_by_role("button", name=t("Sign in"), exact=True).click()


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(p.extract_text() or "" for p in reader.pages)
    return " ".join(text.split())  # lines wrapped by the layout join up again


def forgive_form_error_status(page_problems, url: str) -> None:
    """A form with errors is answered 422 (the project's convention). Chromium sometimes
    logs that as "Failed to load resource" (it depends on when the message is delivered
    relative to the document being replaced): that expected line is not a page problem."""
    expected = [m for m in page_problems.console_errors if "status of 422" in m and url in m]
    assert len(expected) <= 1, page_problems.console_errors
    for message in expected:
        page_problems.console_errors.remove(message)


def test_practitioner_writes_signs_and_amends_an_entry(
    page, page_problems, live_server, journal_setup
):
    clinic, practitioner, patient = journal_setup
    journal_url = f"{live_server.url}/staff/persons/{patient.pk}/journal/"

    sign_in(page, practitioner.email, PASSWORD)
    page.wait_for_url(f"{live_server.url}/staff/")

    page.goto(f"/staff/persons/{patient.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Greta Wikander")
    page.get_by_role("link", name=t("Open the journal"), exact=True).click()
    page.wait_for_url(journal_url)
    expect(page.get_by_text(t("The journal has no entries."))).to_be_visible()

    form = page.locator("form", has=page.locator("#id_text"))
    sphere = form.get_by_label(t("Sphere, right (D)"), exact=True)
    text = form.locator("#id_text")
    save_draft = form.locator("button[name=action][value=draft]")
    expect(save_draft).to_have_text(t("Save as draft"))

    # A value that is not in quarter dioptres: refused, with the typed text kept.
    sphere.fill("-1.3")
    text.fill(ORIGINAL)
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        save_draft.click()
    assert posted.value.status == 422
    field = form.locator(".field.invalid", has=page.locator("#id_field_sphere_right"))
    expect(field.locator(".field-error")).to_have_text(
        t("Enter a value in quarter dioptres between -30 and +30, e.g. -1.25.")
    )
    expect(page.get_by_role("alert")).to_have_text(t("Please correct the fields marked."))
    expect(text).to_have_value(ORIGINAL)
    expect(sphere).to_have_value("-1.3")
    assert not JournalEntry.objects.exists()

    # Corrected and saved as a draft: shown UNSIGNED, with its own Sign button.
    sphere.fill("-1.25")
    save_draft.click()
    page.wait_for_url(journal_url)
    entry = page.locator("article.entry")
    expect(entry).to_have_count(1)
    expect(entry.locator(".badge.unsigned")).to_have_text(t("UNSIGNED"))
    expect(entry).to_have_class(re.compile(r"\bdraft\b"))
    expect(entry.locator(".entry-main .entry-text")).to_have_text(ORIGINAL)
    expect(entry.locator("dl.facts dd")).to_have_text(["-1.25"])
    expect(entry.locator("header")).to_contain_text("Johan Lind, Legitimerad optiker")
    entry_id = int(entry.get_attribute("id").removeprefix("entry-"))
    expect(text).to_have_value("")  # the new-entry form is empty again

    # Signed: the badge says so and the draft's buttons are gone.
    entry.get_by_role("button", name=t("Sign"), exact=True).click()
    page.wait_for_url(f"{journal_url}#entry-{entry_id}")
    entry = page.locator(f"#entry-{entry_id}")
    expect(entry.locator(".badge.unsigned")).to_have_count(0)
    expect(entry.locator(".badge")).to_have_text(re.compile(rf"^{re.escape(t('signed'))} \d{{4}}-"))
    expect(entry.get_by_role("button", name=t("Discard draft"))).to_have_count(0)

    # Amend it: the amendment is a new signed entry shown beside the untouched original.
    entry.get_by_text(t("Amend or record a note about this entry"), exact=True).click()
    expect(entry.locator(f"#kind-{entry_id}")).to_have_value(EntryKind.AMENDMENT)
    entry.locator(f"#text-{entry_id}").fill(AMENDMENT)
    entry.get_by_label(t("Reason (required for amendments and refusals)")).fill(REASON)
    entry.get_by_role("button", name=t("Add and sign"), exact=True).click()
    entry = page.locator(f"#entry-{entry_id}")
    followup = entry.locator(".entry-followups .followup.kind-amendment")
    expect(followup).to_have_count(1)
    expect(followup.locator(".entry-text")).to_have_text(AMENDMENT)
    expect(followup).to_contain_text(REASON)
    with translation.override(LANGUAGE):
        amendment_label = str(EntryKind.AMENDMENT.label)
    expect(followup.locator("header")).to_contain_text(amendment_label)
    expect(followup.locator("header")).to_contain_text("Johan Lind, Legitimerad optiker")
    original = entry.locator(".entry-main .entry-text")
    expect(original).to_have_text(ORIGINAL)
    expect(original).to_be_visible()
    expect(followup).to_be_visible()
    expect(page.locator("article.entry")).to_have_count(1)  # not a second top-level entry
    main_box = entry.locator(".entry-main").bounding_box()
    side_box = entry.locator(".entry-followups").bounding_box()
    assert side_box["x"] >= main_box["x"] + main_box["width"]  # beside, not below
    assert side_box["y"] < main_box["y"] + main_box["height"]

    # The journal PDF, fetched with the browser's session.
    response = page.context.request.get(f"{live_server.url}/staff/persons/{patient.pk}/journal.pdf")
    assert response.ok
    assert response.headers["content-type"] == "application/pdf"
    body = response.body()
    assert body.startswith(b"%PDF-")
    printed = pdf_text(body)
    for expected in (ORIGINAL, AMENDMENT, REASON, "Johan Lind", "Legitimerad optiker", "-1.25"):
        assert expected in printed, f"{expected!r} is missing from the PDF: {printed!r}"
    assert AccessLogEntry.objects.filter(
        clinic=clinic, actor=practitioner.email, action="print", person_id=patient.pk
    ).exists()

    # In the database: the note (signed) and its amendment, both sealed.
    rows = list(JournalEntry.objects.filter(person=patient).order_by("pk"))
    assert [r.kind for r in rows] == [EntryKind.NOTE, EntryKind.AMENDMENT]
    note, amendment = rows
    assert note.pk == entry_id
    assert note.signed_at is not None
    assert amendment.signed_at is not None
    assert amendment.concerns_id == note.pk
    assert (note.author_name, note.author_title) == ("Johan Lind", "Legitimerad optiker")
    for row, plain in ((note, ORIGINAL), (amendment, AMENDMENT), (amendment, REASON)):
        sealed = bytes(row.ciphertext)
        assert plain.encode() not in sealed

    # Last, when every console message has arrived: the refused form's 422 is expected.
    forgive_form_error_status(page_problems, f"/staff/persons/{patient.pk}/journal/new/")
