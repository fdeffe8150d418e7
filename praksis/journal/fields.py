"""Per-profile journal templates: which structured fields an entry has, and their rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from praksis.core.errors import ValidationFailed
from praksis.core.input import EARLIEST, LATEST


@dataclass(frozen=True)
class Field:
    name: str
    label: object
    kind: str = "text"  # text | longtext | diopter | axis | months | date | teeth | prescriptions
    help: object = ""
    # A date that is due (the next vaccination): not longer ago than ``past_days``, not
    # further ahead than ``future_days``. None: any date from 1850 to 2199.
    past_days: int | None = None
    future_days: int | None = None


# The next vaccination sets the recall's due date: a date written a little late (a visit
# recorded afterwards) may lie in the past, a date long gone is a typing error.
DUE_PAST_DAYS = 31
DUE_FUTURE_DAYS = 3652  # ten years


OPTICIAN = [
    Field("visual_acuity_right", _("Visual acuity, right eye")),
    Field("visual_acuity_left", _("Visual acuity, left eye")),
    Field("sphere_right", _("Sphere, right (D)"), "diopter"),
    Field("cylinder_right", _("Cylinder, right (D)"), "diopter"),
    Field("axis_right", _("Axis, right (°)"), "axis"),
    Field("sphere_left", _("Sphere, left (D)"), "diopter"),
    Field("cylinder_left", _("Cylinder, left (D)"), "diopter"),
    Field("axis_left", _("Axis, left (°)"), "axis"),
    Field("addition", _("Addition (D)"), "diopter"),
    Field("recommendation", _("Recommendation"), "longtext"),
    Field("recall_months", _("Recall interval (months)"), "months"),
]
DENTAL = [
    Field("findings", _("Findings"), "longtext"),
    Field("treatment", _("Treatment"), "longtext"),
    Field("teeth", _("Teeth (FDI numbers)"), "teeth", _("e.g. 16, 26, 36")),
    Field("recall_months", _("Recall interval (months)"), "months"),
]
VETERINARY = [
    Field("anamnesis", _("Anamnesis"), "longtext"),
    Field("findings", _("Findings"), "longtext"),
    Field("diagnosis", _("Diagnosis"), "longtext"),
    Field("treatment", _("Treatment"), "longtext"),
    Field(
        "prescriptions",
        _("Prescriptions"),
        "prescriptions",
        _("One per line: medicine; dose; withdrawal period in days"),
    ),
    Field(
        "next_vaccination",
        _("Next vaccination due"),
        "date",
        _("The recall's due date: the owner is reminded then."),
        past_days=DUE_PAST_DAYS,
        future_days=DUE_FUTURE_DAYS,
    ),
]
THERAPY = [
    Field("treatment_date", _("Treatment date"), "date"),
    Field("products_sold", _("Products sold")),
]
TEMPLATES: dict[str, list[Field]] = {
    "optician": OPTICIAN,
    "dental": DENTAL,
    "veterinary": VETERINARY,
    "therapy": THERAPY,
}

_FDI = {f"{q}{t}" for q in (1, 2, 3, 4) for t in range(1, 9)} | {
    f"{q}{t}" for q in (5, 6, 7, 8) for t in range(1, 6)
}


def fields_for(profile: str) -> list[Field]:
    return TEMPLATES.get(profile, [])


def _diopter(value) -> str:
    number = Decimal(str(value).replace(",", ".").replace("+", "").strip())
    if not (Decimal("-30") <= number <= Decimal("30")) or number % Decimal("0.25") != 0:
        raise ValueError
    return f"{number:+.2f}"


def _clean_one(field: Field, value):
    if value in (None, "", []):
        return None
    if field.kind in ("text", "longtext"):
        text = str(value).strip()
        limit = 200 if field.kind == "text" else 10000
        if len(text) > limit:
            raise ValueError
        return text
    if field.kind == "diopter":
        return _diopter(value)
    if field.kind == "axis":
        number = int(str(value).strip())
        if not 0 <= number <= 180:
            raise ValueError
        return number
    if field.kind == "months":
        number = int(str(value).strip())
        if not 1 <= number <= 120:
            raise ValueError
        return number
    if field.kind == "date":
        day = date.fromisoformat(str(value).strip())
        if not EARLIEST <= day <= LATEST:
            raise ValueError
        today = timezone.localdate()
        if field.past_days is not None and day < today - timedelta(days=field.past_days):
            raise _OutOfRange(_("The date is more than a month ago: enter the date it is due."))
        if field.future_days is not None and day > today + timedelta(days=field.future_days):
            raise _OutOfRange(_("Choose a date within ten years."))
        return day.isoformat()
    if field.kind == "teeth":
        items = value if isinstance(value, list) else str(value).replace(";", ",").split(",")
        teeth = sorted({str(t).strip() for t in items if str(t).strip()})
        if not teeth or not set(teeth) <= _FDI:
            raise ValueError
        return teeth
    if field.kind == "prescriptions":
        rows = value if isinstance(value, list) else str(value).splitlines()
        out = []
        for row in rows:
            if isinstance(row, dict):
                parts = [row.get("medicine", ""), row.get("dose", ""), row.get("withdrawal_days")]
            else:
                parts = [p.strip() for p in str(row).split(";")]
                if not any(parts):
                    continue
                parts += [""] * (3 - len(parts))
            medicine, dose, withdrawal = parts[0], parts[1], parts[2]
            if not str(medicine).strip():
                raise ValueError
            days = int(withdrawal) if str(withdrawal or "").strip() else None
            if days is not None and not 0 <= days <= 3650:
                raise ValueError
            out.append(
                {
                    "medicine": str(medicine).strip(),
                    "dose": str(dose).strip(),
                    "withdrawal_days": days,
                }
            )
        return out or None
    raise ValueError


class _OutOfRange(ValueError):
    """A well-formed value outside what the field accepts, with its own message."""

    def __init__(self, message):
        super().__init__()
        self.message = message


_MESSAGES = {
    "diopter": _("Enter a value in quarter dioptres between -30 and +30, e.g. -1.25."),
    "axis": _("Enter an axis between 0 and 180 degrees."),
    "months": _("Enter a number of months between 1 and 120."),
    "date": _("Enter a date as YYYY-MM-DD."),
    "teeth": _("Enter FDI tooth numbers, e.g. 16, 26, 36."),
    "prescriptions": _("Write each prescription as: medicine; dose; withdrawal days."),
    "text": _("Use at most 200 characters."),
    "longtext": _("Use at most 10,000 characters."),
}


def clean_fields(profile: str, data: dict | None) -> dict:
    """Validate template fields for a profile; unknown fields are refused, empty ones dropped."""
    data = data or {}
    if not isinstance(data, dict):
        raise ValidationFailed({"fields": [_("Fields must be an object of name: value.")]})
    known = {f.name: f for f in fields_for(profile)}
    errors: dict[str, list] = {}
    cleaned: dict = {}
    for name, value in data.items():
        field = known.get(name)
        if field is None:
            errors[f"fields.{name}"] = [_("This clinic's journal has no such field.")]
            continue
        try:
            result = _clean_one(field, value)
        except _OutOfRange as exc:
            errors[f"fields.{name}"] = [exc.message]
            continue
        except (ValueError, TypeError, InvalidOperation):
            errors[f"fields.{name}"] = [_MESSAGES[field.kind]]
            continue
        if result is not None:
            cleaned[name] = result
    if errors:
        raise ValidationFailed(errors)
    return cleaned
