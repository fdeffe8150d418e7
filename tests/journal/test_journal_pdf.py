"""The journal PDF (issue 18): typeset with Typst from data, so what was written is printed
as written, a long entry runs on over pages instead of being cut off, and the queries do
not grow with the journal."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from praksis.journal.pdf import journal_pdf
from praksis.journal.services import attachment_add, entry_create, entry_sign, followup_add

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def patient(owner, make_person):
    return make_person(owner, first_name="Åsa", last_name="Øberg")


def _text(pdf: bytes) -> tuple[str, int]:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages), len(
        reader.pages
    )


def test_it_prints_what_was_written_never_reading_it_as_markup(owner, patient):
    written = "#pagebreak() *inte fet* _inte kursiv_ $x^2$ <etikett> @ref `kod` // kvar"
    entry_create(actor=owner, person_id=patient.pk, text=written, sign=True)
    text, pages = _text(journal_pdf(actor=owner, person_id=patient.pk))
    assert pages == 1
    assert written in text
    assert "Åsa Øberg" in text


def test_it_runs_a_long_entry_on_over_the_pages(owner, patient):
    long_text = "\n".join(f"Rad {n} av en lång anteckning." for n in range(1, 301))
    entry_create(actor=owner, person_id=patient.pk, text=long_text, sign=True)
    text, pages = _text(journal_pdf(actor=owner, person_id=patient.pk))
    assert pages >= 4
    assert "Rad 1 av" in text and "Rad 300 av" in text


def test_it_reads_the_journal_in_the_same_queries_however_long(owner, patient):
    def entries(first: int, last: int) -> None:
        for i in range(first, last + 1):
            entry = entry_create(actor=owner, person_id=patient.pk, text=f"Anteckning {i}")
            attachment_add(
                actor=owner, entry_id=entry.pk, filename=f"bild{i}.png",
                content_type="image/png", data=PNG,
            )  # fmt: skip
            entry_sign(actor=owner, entry_id=entry.pk)
            followup_add(
                actor=owner, entry_id=entry.pk, kind="amendment", text=f"Rättelse {i}",
                reason="Skrivfel",
            )  # fmt: skip

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            journal_pdf(actor=owner, person_id=patient.pk)
        return len(captured)

    entries(1, 1)
    few = queries()
    entries(2, 21)  # 21 entries, each with an amendment and a file
    text, _pages = _text(journal_pdf(actor=owner, person_id=patient.pk))
    assert queries() == few
    assert "Anteckning 21" in text and "Rättelse 21" in text and "bild21.png" in text


def test_a_long_journal_is_typeset_in_parts_numbered_as_one(owner, patient, monkeypatch):
    monkeypatch.setattr("praksis.journal.pdf.PART_ENTRIES", 4)
    for i in range(1, 11):
        entry_create(actor=owner, person_id=patient.pk, text=f"Anteckning nummer {i}.", sign=True)
    reader = PdfReader(io.BytesIO(journal_pdf(actor=owner, person_id=patient.pk)))
    pages = [" ".join((p.extract_text() or "").split()) for p in reader.pages]
    assert len(pages) == 3  # 4 + 4 + 2 entries, each part from a new page
    assert all(page.endswith(f"{n} / 3") for n, page in enumerate(pages, start=1))
    text = " ".join(pages)
    assert all(f"Anteckning nummer {i}." in text for i in range(1, 11))
    assert text.count("Åsa Øberg") == 1  # the heading once, on the first page
