"""Cleaning person input: one place, used by the staff UI, the API and commands.

Messages are translated and never repeat what was typed (an identity number must not
travel back into logs or error reports).
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from praksis.clinics.models import Clinic, IdentityPolicy
from praksis.core.errors import ValidationFailed
from praksis.core.text import (  # the people app's names for them, as before
    CHARACTERS_NOT_ALLOWED,
    NameInvalid,
    clean_name,
    has_forbidden_characters,
    name_key,
    normalise_phone,
)
from praksis.people.identity import IdentityNumberError, birth_date_only, parse_identity
from praksis.people.models import PROTECTED_GRADES

PERSON_FIELDS = (
    "first_name",
    "last_name",
    "identity_number",
    "birth_date",
    "email",
    "phone",
    "address",
    "protected_identity",
)

_IDENTITY_MESSAGES = {
    "SE": _("Enter a valid Swedish personal or coordination number (YYYYMMDD-NNNN)."),
    "NO": _("Enter a valid Norwegian national identity number or D-number (11 digits)."),
}


def parse_birth_date(value: str, country: str) -> date | None:
    value = value.strip()
    try:
        return date.fromisoformat(value)
    except ValueError:
        return birth_date_only(value, country=country)


def clean_person(clinic: Clinic, data: dict, *, partial: bool = False) -> dict:
    """Validate ``data`` for ``clinic``; return the values to store, or raise ValidationFailed.

    ``partial``: only the fields present are checked (a PATCH).
    """
    errors: dict[str, list] = defaultdict(list)
    out: dict = {}
    present = {k: v for k, v in data.items() if k in PERSON_FIELDS}

    def text(name: str) -> str:
        value = present.get(name)
        return "" if value is None else str(value).strip()

    required_messages = {
        "first_name": _("Enter the first name."),
        "last_name": _("Enter the last name."),
    }
    for name, required_message in required_messages.items():
        if partial and name not in present:
            continue
        try:
            value = clean_name(present.get(name), required_message=required_message)
        except NameInvalid as exc:
            errors[name].append(exc.message)
        else:
            out[name] = value
            out[f"{name}_key"] = name_key(value)

    policy = clinic.identity_policy
    derived_birth: date | None = None
    if "identity_number" in present or not partial:
        raw = text("identity_number")
        if policy == IdentityPolicy.BIRTH_DATE_ONLY:
            # Data minimisation: keep at most the birth date, never the last digits.
            if raw:
                derived_birth = birth_date_only(raw, country=clinic.country)
                if derived_birth is None:
                    errors["identity_number"].append(
                        _("This clinic records the birth date only. Enter the birth date.")
                    )
            out["identity_number"] = None
            out["identity_kind"] = ""
        elif raw:
            try:
                identity = parse_identity(raw, country=clinic.country)
            except IdentityNumberError:
                errors["identity_number"].append(_IDENTITY_MESSAGES[clinic.country])
            else:
                out["identity_number"] = identity.number
                out["identity_kind"] = identity.kind
                if identity.birth_date_reliable:
                    derived_birth = identity.birth_date
        elif policy == IdentityPolicy.REQUIRED:
            errors["identity_number"].append(_("This clinic requires an identity number."))
        else:
            out["identity_number"] = None
            out["identity_kind"] = ""

    if "birth_date" in present or not partial:
        raw = text("birth_date")
        if raw:
            birth = parse_birth_date(raw, clinic.country)
            if birth is None:
                errors["birth_date"].append(_("Enter a valid date (YYYY-MM-DD)."))
            elif birth > timezone.localdate() or birth.year < 1880:
                errors["birth_date"].append(_("Enter a birth date that is not in the future."))
            else:
                out["birth_date"] = birth
        elif derived_birth is not None:
            out["birth_date"] = derived_birth
        elif not partial:
            out["birth_date"] = None
    elif derived_birth is not None:
        out["birth_date"] = derived_birth

    if policy == IdentityPolicy.BIRTH_DATE_ONLY and not partial and not out.get("birth_date"):
        if not errors.get("birth_date") and not errors.get("identity_number"):
            errors["birth_date"].append(_("Enter the birth date."))

    if "email" in present or not partial:
        raw = text("email")
        if raw:
            try:
                validate_email(raw)
            except ValidationError:
                errors["email"].append(_("Enter a valid e-mail address."))
            else:
                local, _at, domain = raw.rpartition("@")
                out["email"] = f"{local}@{domain.lower()}"
        else:
            out["email"] = ""

    if "phone" in present or not partial:
        raw = text("phone")
        if raw:
            try:
                out["phone"] = normalise_phone(raw, clinic.country)
            except ValueError:
                errors["phone"].append(_("Enter a valid phone number."))
        else:
            out["phone"] = ""

    if "address" in present or not partial:
        raw = unicodedata.normalize("NFC", text("address"))
        if has_forbidden_characters(raw, multiline=True):
            errors["address"].append(CHARACTERS_NOT_ALLOWED)
        elif len(raw) > 500:
            errors["address"].append(_("Use at most 500 characters."))
        else:
            out["address"] = raw

    if "protected_identity" in present:  # REQ-48: blank, or a grade of the clinic's country
        raw = text("protected_identity")
        if raw and raw not in PROTECTED_GRADES.get(clinic.country, ()):
            errors["protected_identity"].append(
                _("Choose a grade of protected identity used in this country, or none.")
            )
        else:
            out["protected_identity"] = raw

    if errors:
        raise ValidationFailed(dict(errors))
    return out


def parse_contact(clinic, contact: str) -> tuple[str, str]:
    """What a client typed to be found by (a public form): an e-mail address, or a mobile
    number in the clinic country's form; returns ``(email, phone)``, one of them empty."""
    contact = " ".join(str(contact or "").split())
    if "@" in contact and 3 <= len(contact) <= 254 and "\x00" not in contact:
        return contact, ""
    try:
        return "", normalise_phone(contact, clinic.country)
    except ValueError:
        raise ValidationFailed(
            {"contact": [_("Enter the e-mail address or mobile number you gave us.")]}
        ) from None
