"""Long documents as PDF, typeset with Typst (issue 18): the journal and the access report.

WeasyPrint lays out HTML and CSS in Python; a 520-entry journal (65 pages) took 6 s and
its memory grew with every entry. Typst (the ``typst`` package: the Rust compiler, no
process to start) sets the same document in a tenth of a second. The invoices, the breach
report and the other short documents stay with WeasyPrint.

A template (``praksis/templates/<app>/<name>.typ``) is fixed Typst code; what it shows
arrives as one JSON value (``sys.inputs.data``) and is set as text, never read as markup,
so nothing a client or member of staff wrote can change the document. The fonts are the
system's DejaVu Sans (as in every other PDF of ours), embedded as subsets; files delivered
with a document (the access report's attachments) are added as embedded files
afterwards, in an incremental update that leaves the typeset pages as they are.

Typst memoizes layout in a cache shared by the process and drops an entry only after ten
compilations have not used it; a server that renders one long journal would hold tens of
megabytes for the next ten. After each document, ten empty compilations age it out, so a
worker's memory goes back to what one document needs.
"""

from __future__ import annotations

import functools
import io
import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

FAMILY = "DejaVu Sans"
FONT_FILE = "DejaVuSans.ttf"
# Where Debian (fonts-dejavu-core), Fedora, Alpine and Arch keep it.
FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu-sans-fonts",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
)
_CACHE_GENERATIONS = 10  # typst-py evicts what the last ten compilations did not use


@dataclass(frozen=True)
class EmbeddedFile:
    name: str
    data: bytes


def font_dir() -> str:
    for folder in FONT_DIRS:
        if (Path(folder) / FONT_FILE).is_file():
            return folder
    raise ImproperlyConfigured(
        f"{FAMILY} ({FONT_FILE}) was not found in {', '.join(FONT_DIRS)}: install fonts-dejavu-core"
    )


@functools.cache
def _fonts():
    import typst

    return typst.Fonts(
        include_system_fonts=False, include_embedded_fonts=False, font_paths=[font_dir()]
    )


def _template(name: str) -> bytes:
    return (Path(settings.BASE_DIR) / "praksis" / "templates" / name).read_bytes()


def render(
    template: str,
    data: dict,
    *,
    flow: str = "",
    part_size: int = 0,
    files: list[EmbeddedFile] | tuple = (),
) -> bytes:
    """Typeset ``template`` (a path under praksis/templates) with ``data`` (JSON-able; its
    strings are shown as text) and return the PDF, ``files`` embedded in it.

    ``data[flow]`` is the list that makes a document long (the entries, the blocks). When
    it holds more than ``part_size`` items, the document is typeset in parts of that many,
    each in a compilation of its own that starts on a new page, so memory stays what one
    part needs however long the document is. Each part is typeset twice: first to count
    its pages, then with its page numbers ("12 / 260"); the parts are then joined. The
    template reads ``data["part"]``: ``index`` (0 for the first), ``first_page`` and
    ``total_pages`` (0: count them yourself).
    """
    items = data.get(flow) if flow else None
    if not part_size or items is None or len(items) <= part_size:
        pdf = _compile(template, {**data, "part": _part(0, 1, 0)})
        return _embed(pdf, files) if files else pdf
    from pypdf import PdfReader, PdfWriter

    parts = [items[i : i + part_size] for i in range(0, len(items), part_size)]

    def typeset(index: int, first_page: int, total_pages: int) -> bytes:
        part = _part(index, first_page, total_pages)
        return _compile(template, {**data, flow: parts[index], "part": part})

    counts = [len(PdfReader(io.BytesIO(typeset(i, 1, 0))).pages) for i in range(len(parts))]
    writer = PdfWriter()
    first_page = 1
    for index, count in enumerate(counts):
        reader = PdfReader(io.BytesIO(typeset(index, first_page, sum(counts))))
        if index == 0 and reader.metadata:
            writer.add_metadata(reader.metadata)
        writer.append(reader)
        first_page += count
    for f in files:
        writer.add_attachment(f.name, f.data)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _part(index: int, first_page: int, total_pages: int) -> dict:
    return {"index": index, "first_page": first_page, "total_pages": total_pages}


def _compile(template: str, data: dict) -> bytes:
    import typst

    try:
        return typst.compile(
            _template(template),
            sys_inputs={"data": json.dumps(data, ensure_ascii=False)},
            font_paths=_fonts(),
            pdf_tags=False,
        )
    finally:
        _forget()


def _forget() -> None:
    """Age the last document's layout out of Typst's memoization cache."""
    import typst

    for _ in range(_CACHE_GENERATIONS + 1):
        typst.compile(b"", font_paths=_fonts(), pdf_tags=False)  # 1 ms each


def _embed(pdf: bytes, files) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter(io.BytesIO(pdf), incremental=True)
    for f in files:
        writer.add_attachment(f.name, f.data)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
