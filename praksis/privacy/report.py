"""The complete access report and the export (REQ-23, REQ-25, REQ-26), built from what the
apps declare: a loop over the personal-data contracts' sections
(``praksis.core.personal_data``), for the person and the animals they own.

* The report (Art. 15(1)(a)-(h) and 15(3)): a PDF in the clinic's language, every section
  with its title and its records, times in the clinic's time zone (named once in the
  header), codes in words; the attached images and documents delivered inside the PDF
  as embedded files.
* The export: the same complete copy, machine-readable (JSON; CSV with one row per
  value), each section marked with whether the right to data portability (Art. 20)
  covers it; times as local times with their offset, files with their SHA-256 and
  contents (base64).

The sections give values (``datetime``, ``date``, ``Decimal``, ``bool``, words); this module
alone decides how they read. A value that is a list of records (an order's lines, a
journal entry's amendments) is labelled by the section's ``"<column>.<field>"`` labels.
"""

from __future__ import annotations

import base64
import hashlib
import io
from datetime import date, datetime
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from weasyprint import HTML
from weasyprint import Attachment as PdfFile

from praksis.core import csvsafe
from praksis.core.personal_data import Section, Subject, contracts
from praksis.people.models import AnimalOwner

DASH = "–"
# A section is shown as a table when its records are short and flat; otherwise one block
# per record (the journal, messages) — both simple for the PDF layout.
TABLE_MAX_COLUMNS = 6
TABLE_MAX_TEXT = 80
TABLE_MAX_ROWS = 40
SEPARATOR = " · "


def subject_of(actor, request, *, purpose: str) -> Subject:
    person = request.person
    animal_ids = list(
        AnimalOwner.objects.filter(clinic=request.clinic, person=person)
        .order_by("animal_id")
        .values_list("animal_id", flat=True)
    )
    return Subject(
        clinic=request.clinic, person=person, actor=actor, animal_ids=animal_ids, purpose=purpose
    )


def collect(subject: Subject) -> list[Section]:
    """Every section every app gives for the subject, in reading order. Run with the
    reader's language active: the sections word their codes and labels in it."""
    found = [section for contract in contracts() for section in contract.sections(subject)]
    return sorted(found, key=lambda s: s.order)


def zone_sentence(clinic) -> str:
    city = clinic.time_zone.rsplit("/", 1)[-1].replace("_", " ")
    return _("Times are %(city)s time (%(zone)s).") % {"city": city, "zone": clinic.time_zone}


# --- Values as the reader sees them ------------------------------------------------------


def shown(value, zone) -> str:
    """A value in words for the report: local time, date, Yes/No, "–" for nothing."""
    if value is None or value == "" or value == []:
        return DASH
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime):
        return timezone.localtime(value, zone).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return formats.number_format(value, use_l10n=True)
    if isinstance(value, list | tuple):
        return ", ".join(shown(v, zone) for v in value)
    return str(value)


def _nested(value) -> bool:
    return isinstance(value, list) and any(isinstance(v, dict) for v in value)


def _empty(value) -> bool:
    return value is None or value == "" or value == []


def _long(value) -> bool:
    return isinstance(value, str) and (len(value) > TABLE_MAX_TEXT or "\n" in value)


def _sub_lines(key: str, records: list[dict], section: Section, zone) -> dict:
    """A list of records inside one record: a label and one line per record."""
    lines = []
    for record in records:
        parts = []
        for field, value in record.items():
            if _empty(value):
                continue
            if _nested(value):
                value = "; ".join(
                    " ".join(shown(v, zone) for v in r.values() if not _empty(v)) for r in value
                )
            label = section.columns.get(f"{key}.{field}", "")
            parts.append(f"{label}: {shown(value, zone)}" if label else shown(value, zone))
        lines.append(SEPARATOR.join(parts))
    return {"label": section.columns.get(key, ""), "lines": lines}


def _for_pdf(section: Section, zone) -> dict:
    """A section, laid out for the PDF: visible columns only, every value in words."""
    scalar = [k for k in section.columns if "." not in k]
    visible = [k for k in scalar if any(not _empty(item.get(k)) for item in section.items)]
    nested = [k for k in visible if any(_nested(item.get(k)) for item in section.items)]
    flat = [k for k in visible if k not in nested]
    long_text = any(_long(item.get(k)) for item in section.items for k in flat)
    simple = not nested and not long_text
    many = len(section.items) > TABLE_MAX_ROWS
    table = simple and (many or len(flat) <= TABLE_MAX_COLUMNS)
    out = {
        "key": section.key,
        "title": section.title,
        "note": section.note,
        "portable": section.portable,
        "table": table,
        "shown": bool(section.items or section.attachments),
        "files": [f.name for f in section.attachments],
    }
    if table:
        out["headers"] = [section.columns[k] for k in flat]
        rows = [[shown(item.get(k), zone) for k in flat] for item in section.items]
        if many:
            # A long list (the log extract, years of bookings): one line per record under
            # a line of column names, far cheaper to lay out than a table.
            out["table"] = False
            out["lines"] = [SEPARATOR.join(row) for row in rows]
        else:
            out["rows"] = rows
        return out
    blocks = []
    long_columns = {k for k in flat if any(_long(item.get(k)) for item in section.items)}
    for item in section.items:
        # Short values run on in one paragraph; long texts get a paragraph each.
        pairs, texts = [], []
        for k in flat:
            value = item.get(k)
            if not _empty(value):
                (texts if _long(value) or k in long_columns else pairs).append(
                    (section.columns[k], shown(value, zone))
                )
        subs = [_sub_lines(k, item[k], section, zone) for k in nested if not _empty(item.get(k))]
        head = SEPARATOR.join(f"{label}: {value}" for label, value in pairs)
        blocks.append({"head": head, "texts": texts, "subs": subs})
    out["blocks"] = blocks
    return out


def render_pdf(*, subject: Subject, sections: list[Section], context: dict) -> bytes:
    """The report as a PDF (WeasyPrint), the sections' files embedded in it. Call with the
    reader's language and the clinic's time zone active."""
    clinic = subject.clinic
    zone = clinic.zone
    files = [f for section in sections for f in section.attachments]
    html = render_to_string(
        "privacy/access_report.html",
        {
            **context,
            "clinic": clinic,
            "person": subject.person,
            "zone_sentence": zone_sentence(clinic),
            "generated_at": shown(timezone.now(), zone),
            "sections": [_for_pdf(section, zone) for section in sections],
            "file_count": len(files),
        },
    )
    attachments = [
        PdfFile(file_obj=io.BytesIO(f.read()), name=f.name, description=f.name) for f in files
    ]
    return HTML(string=html).write_pdf(attachments=attachments or None)


# --- The export --------------------------------------------------------------------------


def machine(value, zone):
    """A value for the export: local time with its offset (no "T"), ISO dates, decimals as
    text; lists and records as JSON."""
    if isinstance(value, datetime):
        return timezone.localtime(value, zone).isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [machine(v, zone) for v in value]
    if isinstance(value, dict):
        return {k: machine(v, zone) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def export_dict(*, subject: Subject, sections: list[Section]) -> dict:
    """The complete copy, machine-readable (Art. 15(3)), portability marked (Art. 20)."""
    clinic = subject.clinic
    zone = clinic.zone
    out_sections = []
    for section in sections:
        files = []
        for f in section.attachments:
            data = f.read()
            files.append(
                {
                    "name": f.name,
                    "content_type": f.content_type,
                    "size": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "content_base64": base64.b64encode(data).decode("ascii"),
                }
            )
        out_sections.append(
            {
                "key": section.key,
                "title": section.title,
                "portable": section.portable,
                "note": section.note,
                "columns": dict(section.columns),
                "items": [machine(item, zone) for item in section.items],
                "attachments": files,
            }
        )
    return {
        "controller": clinic.name,
        "organisation_number": clinic.organisation_number,
        "time_zone": clinic.time_zone,
        "generated_at": machine(timezone.now(), zone),
        "language": clinic.language,
        "portability": _(
            "Sections marked portable hold the data you gave us yourself, under your consent "
            "or our agreement with you: the right to data portability (GDPR art. 20) covers "
            "them. The other sections are part of your copy (art. 15(3))."
        ),
        "sections": out_sections,
    }


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def as_csv(data: dict) -> str:
    """The export as CSV, one row per value: section, item, field, value. A section's own
    title and portability are rows with an empty item; a record inside a record (a line
    of an invoice) is the field ``lines.2.description``. Files are listed by name, type,
    size and SHA-256; their contents are in the JSON export and the PDF report."""
    out = io.StringIO()
    writer = csvsafe.writer(out)
    writer.writerow(["section", "item", "field", "value"])
    for key, value in data.items():
        if key != "sections":
            writer.writerow([key, "", "", _csv_value(value)])
    for section in data.get("sections", []):
        key = section["key"]
        writer.writerow([key, "", "title", section["title"]])
        writer.writerow([key, "", "portable", _csv_value(section["portable"])])
        for field, label in section["columns"].items():
            writer.writerow([key, "", f"label.{field}", label])
        for index, item in enumerate(section["items"], start=1):
            for field, value in _flat(item):
                writer.writerow([key, index, field, _csv_value(value)])
        for index, f in enumerate(section["attachments"], start=1):
            for field in ("name", "content_type", "size", "sha256"):
                writer.writerow([key, "", f"file.{index}.{field}", _csv_value(f[field])])
    return out.getvalue()


def _flat(item: dict, prefix: str = ""):
    for field, value in item.items():
        if isinstance(value, list) and any(isinstance(v, dict) for v in value):
            for n, record in enumerate(value, start=1):
                yield from _flat(record, f"{prefix}{field}.{n}.")
        elif isinstance(value, list):
            yield f"{prefix}{field}", "; ".join(_csv_value(v) for v in value)
        else:
            yield f"{prefix}{field}", value
