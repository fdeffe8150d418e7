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
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from praksis.core import csvsafe, pdf
from praksis.core.personal_data import Rows, Section, Subject, contracts
from praksis.people.models import AnimalOwner

DASH = "–"
# A section is shown as a table when its records are short and flat; otherwise one block
# per record (the journal, messages) — both simple for the PDF layout.
TABLE_MAX_COLUMNS = 6
TABLE_MAX_TEXT = 80
TABLE_MAX_ROWS = 40
SEPARATOR = " · "
# About how many characters of the report's text fit across an A4 page.
TABLE_WIDTH_CHARS = 105
# A long report is typeset in parts of this many blocks (a journal entry is one or two),
# each from a new page, so its memory stays that of one part; a long list of lines is
# cut into blocks of LINES_PER_BLOCK for that.
PART_BLOCKS = 800
LINES_PER_BLOCK = 100


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
    if isinstance(section.items, Rows):
        return _rows_for_pdf(section, zone)
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


def _rows_for_pdf(section: Section, zone) -> dict:
    """A section read lazily (the whole log extract): short, flat records, one line each
    under a line of column names, in two passes over the rows (the columns that are ever
    filled, then the lines) — no copy of the records is kept, only the lines."""
    if len(section.items) <= TABLE_MAX_ROWS:
        return _for_pdf(replace(section, items=list(section.items)), zone)
    keys = [k for k in section.columns if "." not in k]
    filled: set[str] = set()
    for item in section.items:
        filled.update(k for k in keys if k not in filled and not _empty(item.get(k)))
        if len(filled) == len(keys):
            break
    flat = [k for k in keys if k in filled]
    return {
        "key": section.key,
        "title": section.title,
        "note": section.note,
        "portable": section.portable,
        "table": False,
        "shown": True,
        "files": [f.name for f in section.attachments],
        "headers": [section.columns[k] for k in flat],
        "lines": [SEPARATOR.join(shown(item.get(k), zone) for k in flat) for item in section.items],
    }


def _at(obj, key, default=""):
    """``obj.key`` as a template reads it: a dict's item or an attribute."""
    value = obj.get(key, default) if isinstance(obj, dict) else getattr(obj, key, default)
    return default if value is None else value


def _runs(*parts) -> list:
    """Rich text for the PDF: ``[style, text]`` runs, style "b" (bold), "i" (italic), "m"
    (muted) or ""; a newline in the text breaks the line."""
    return [[style, str(text)] for style, text in parts if text != ""]


def _plain(cell) -> str:
    return cell if isinstance(cell, str) else "".join(text for _style, text in cell)


def _table(headers: list, rows: list[list]) -> dict:
    """A table block with its column widths as the HTML table had them (CSS's automatic
    table layout, in characters): each column at its longest line when they all fit, else
    at its longest word plus a share of the rest in proportion to what it would want more."""
    columns = list(zip(headers, *rows, strict=True))
    longest = [
        max(len(line) for cell in col for line in _plain(cell).split("\n")) for col in columns
    ]
    word = [
        max((len(w) for cell in col for w in _plain(cell).split()), default=1) for col in columns
    ]
    room = TABLE_WIDTH_CHARS
    if sum(longest) <= room:
        widths = longest
    else:
        wants = [max(0, high - low) for high, low in zip(longest, word, strict=True)]
        spare = max(0, room - sum(word))
        widths = [
            low + spare * want / (sum(wants) or 1) for low, want in zip(word, wants, strict=True)
        ]
    return {"k": "table", "headers": headers, "rows": rows, "widths": [max(w, 1) for w in widths]}


def _static_blocks(context: dict) -> list[dict]:
    """Art. 15(1)(a)-(h): purposes, recipients, rights, sources, from the record."""
    record = context.get("record") or {}
    activities = _at(record, "activities", [])
    blocks: list[dict] = [
        {"k": "h2", "t": _("Why we process your data (purposes and legal basis)")},
        {"k": "p", "t": _("From our record of processing (Art. 30), as published in our "
                          "privacy notice:")},
    ]  # fmt: skip
    rows = []
    for a in activities:
        special = _at(a, "special")
        retention = "\n".join(str(_at(r, "text")) for r in _at(a, "retention", []))
        if _at(a, "retention_note"):
            retention = f"{retention} {_at(a, 'retention_note')}".lstrip(" ")
        rows.append(
            [
                _runs(("b", _at(a, "name")), ("", f"\n{_at(a, 'purpose')}")),
                "; ".join(str(b) for b in _at(a, "bases", []))
                + (f"; {special}" if special else ""),
                str(_at(a, "data_categories")),
                retention,
            ]
        )
    headers = [_("Purpose"), _("Legal basis"), _("What data"), _("How long we keep it")]
    blocks.append(_table(headers, rows))
    blocks.append({"k": "h2", "t": _("Recipients")})
    for a in activities:
        if _at(a, "recipients"):
            blocks.append(
                {
                    "k": "p",
                    "t": _runs(("b", f"{_at(a, 'name')}:"), ("", f" {_at(a, 'recipients')}")),
                }
            )
    blocks.append({"k": "p", "t": _("Processors who handle data on our behalf:")})
    rows = []
    for p in _at(record, "processors", []):
        if _at(p, "transfers"):
            transfer = f"{_at(p, 'third_countries')} — {_at(p, 'transfer_basis')}"
        else:
            transfer = _("No")
        rows.append([str(_at(p, "name")), str(_at(p, "service")), str(_at(p, "country")), transfer])
    headers = [_("Processor"), _("Service"), _("Where"), _("Transfer outside the EU/EEA")]
    blocks.append(_table(headers, rows or [[DASH, "", "", ""]]))
    blocks += [
        {"k": "p", "t": _("What we have disclosed about you is listed below, in the record of "
                          "disclosures.")},
        {"k": "h2", "t": _("Your rights")},
        {"k": "p", "t": _("You may have wrong data corrected, have data erased as far as the law "
                          "allows, restrict or object to processing, take your data with you, "
                          "and withdraw consents.")},
        {"k": "p", "t": _("You may complain to:")},
    ]  # fmt: skip
    authorities = [
        f"{_at(x, 'name')} ({_at(x, 'url')}): {_at(x, 'role')}"
        for x in _at(record, "authorities", [])
    ]
    blocks.append({"k": "ul", "items": authorities or [str(context.get("authority", ""))]})
    if context.get("rights"):
        blocks.append({"k": "p", "t": str(context["rights"])})
    blocks += [
        {"k": "h2", "t": _("Where the data comes from; automated decisions")},
        {"k": "p", "t": _("From you, and from the staff who care for you. We make no automated "
                          "decisions or profiling about you.")},
    ]  # fmt: skip
    return blocks


def _section_blocks(s: dict) -> list[dict]:
    """One section of "Your data", as _for_pdf laid it out."""
    title = _runs(("", s["title"]), ("m", f" ({_('portable')})" if s["portable"] else ""))
    blocks: list[dict] = [{"k": "h2", "t": title}]
    if s["note"]:
        blocks.append({"k": "p", "t": str(s["note"]), "muted": True})
    if s["table"]:
        if s.get("rows"):
            blocks.append(_table(s["headers"], s["rows"]))
        else:
            blocks.append({"k": "p", "t": _("Nothing recorded.")})
    elif s.get("lines"):
        blocks.append({"k": "p", "t": _runs(("b", " · ".join(s["headers"]))), "muted": True})
        lines = s["lines"]
        for start in range(0, len(lines), LINES_PER_BLOCK):
            more = start + LINES_PER_BLOCK < len(lines)
            blocks.append(
                {"k": "lines", "lines": lines[start : start + LINES_PER_BLOCK], "more": more}
            )
    else:
        for b in s["blocks"]:
            parts = [("", b["head"])]
            for label, value in b["texts"]:
                parts += [("", "\n"), ("i", f"{label}:"), ("", f" {value}")]
            blocks.append({"k": "rec", "t": _runs(*parts)})
            for sub in b["subs"]:
                lines = [("", f"\n{line}") for line in sub["lines"]]
                blocks.append({"k": "sub", "t": _runs(("i", sub["label"]), *lines)})
        if not s["blocks"]:
            blocks.append({"k": "p", "t": _("Nothing recorded.")})
    if s["files"]:
        blocks.append(
            {"k": "p", "t": f"{_('Embedded files:')} {', '.join(s['files'])}", "muted": True}
        )
    return blocks


def render_pdf(*, subject: Subject, sections: list[Section], context: dict) -> bytes:
    """The report as a PDF (Typst, ``privacy/access_report.typ``), the sections' files
    embedded in it. Call with the reader's language and the clinic's time zone active."""
    clinic = subject.clinic
    zone = clinic.zone
    person = subject.person
    files = [f for section in sections for f in section.attachments]
    organisation = f" ({clinic.organisation_number})" if clinic.organisation_number else ""
    intro = (
        f"{clinic.name}{organisation} · {_('Request received')} {context.get('received_at', '')}"
        f" · {_('Produced')} {shown(timezone.now(), zone)}"
    )
    yours = _(
        "Everything we hold about you and your animals, by kind of record. Sections marked "
        "portable hold the data you gave us yourself: the right to data portability covers "
        "them."
    )
    if files:
        yours += " " + ngettext(
            "%(counter)s attached file is embedded in this PDF; open your PDF reader's "
            "attachments to see it.",
            "%(counter)s attached files are embedded in this PDF; open your PDF reader's "
            "attachments to see them.",
            len(files),
        ) % {"counter": len(files)}
    blocks = [
        {"k": "h1", "t": f"{_('Access report')} — {person.first_name} {person.last_name}"},
        {"k": "p", "t": intro},
        {"k": "p", "t": _runs(("b", zone_sentence(clinic)))},
        *_static_blocks(context),
        {"k": "h2", "t": _("Your data")},
        {"k": "p", "t": yours},
    ]
    for section in sections:
        laid_out = _for_pdf(section, zone)
        if laid_out["shown"]:
            blocks += _section_blocks(laid_out)
    data = {
        "lang": translation.get_language() or clinic.language,
        "title": _("Access report"),
        "blocks": blocks,
    }
    embedded = [pdf.EmbeddedFile(name=f.name, data=f.read()) for f in files]
    return pdf.render(
        "privacy/access_report.typ", data, flow="blocks", part_size=PART_BLOCKS, files=embedded
    )


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
