"""The access report PDF (issue 18): a long report is typeset in parts and joined, numbered
as one document, with every record and the attached files still in it."""

from __future__ import annotations

import io

from pypdf import PdfReader

from praksis.journal.services import attachment_add, entry_create, entry_sign
from praksis.privacy.requests import access_report_pdf, request_create

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def test_a_long_report_is_typeset_in_parts_numbered_as_one(owner, make_person, monkeypatch):
    person = make_person(owner, first_name="Greta", last_name="Wikander")
    for i in range(1, 31):
        entry = entry_create(actor=owner, person_id=person.pk, text=f"Journalrad {i}.")
        if i == 1:
            attachment_add(
                actor=owner, entry_id=entry.pk, filename="oga.png", content_type="image/png",
                data=PNG,
            )  # fmt: skip
        entry_sign(actor=owner, entry_id=entry.pk)
    request = request_create(actor=owner, person_id=person.pk, kind="access")

    whole = PdfReader(io.BytesIO(access_report_pdf(actor=owner, request_id=request.pk)))
    monkeypatch.setattr("praksis.privacy.report.PART_BLOCKS", 12)
    parts = PdfReader(io.BytesIO(access_report_pdf(actor=owner, request_id=request.pk)))

    pages = [" ".join((p.extract_text() or "").split()) for p in parts.pages]
    assert len(pages) > len(whole.pages)  # each part starts on a new page
    assert all(page.endswith(f"{n} / {len(pages)}") for n, page in enumerate(pages, start=1))
    text = " ".join(pages)
    assert all(f"Journalrad {i}." in text for i in range(1, 31))
    assert text.count("Greta Wikander") >= 1 and "Wikander" in pages[0]
    for reader in (whole, parts):
        (name,) = list(reader.attachments)
        assert name.endswith("oga.png") and reader.attachments[name] == [PNG]
