"""Cleaning person input: one place, used by the staff UI, the API and commands.

Messages are translated and never repeat what was typed (an identity number must not
travel back into logs or error reports).
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from datetime import date

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from praksis.clinics.models import Clinic, IdentityPolicy
from praksis.core.errors import ValidationFailed
from praksis.people.identity import IdentityNumberError, birth_date_only, parse_identity

PERSON_FIELDS = (
    "first_name",
    "last_name",
    "identity_number",
    "birth_date",
    "email",
    "phone",
    "address",
)

_IDENTITY_MESSAGES = {
    "SE": _("Enter a valid Swedish personal or coordination number (YYYYMMDD-NNNN)."),
    "NO": _("Enter a valid Norwegian national identity number or D-number (11 digits)."),
}


# Unicode categories never allowed in a name or an address: controls (NUL, tab, newline),
# format characters (bidi overrides and isolates, zero-width spaces and joiners, the BOM),
# private use, lone surrogates and line/paragraph separators. They let a name display as
# something else than what it is (on a page, in a PDF) or break what reads it.
FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Zl", "Zp"})
_MULTILINE_ALLOWED = frozenset("\n\r\t")
CHARACTERS_NOT_ALLOWED = _("This contains characters that are not allowed.")


def has_forbidden_characters(value: str, *, multiline: bool = False) -> bool:
    """Whether ``value`` holds a character of FORBIDDEN_CATEGORIES (line breaks and tabs
    are allowed in ``multiline`` text, e.g. an address)."""
    return any(
        unicodedata.category(ch) in FORBIDDEN_CATEGORIES
        and not (multiline and ch in _MULTILINE_ALLOWED)
        for ch in value
    )


class NameInvalid(ValueError):
    """A name that cannot be stored; ``message`` says why without repeating it."""

    def __init__(self, message):
        self.message = message
        super().__init__(str(message))


NAME_MAX_LENGTH = 100


def clean_name(value, *, required_message) -> str:
    """A name as stored: NFC, single-spaced, with letters, of every script.

    Spaces, hyphens and apostrophes are fine (Ærlig-Ødegård, O'Neil); controls, bidi
    overrides, zero-width and other invisible characters are refused, never dropped
    silently. Raises NameInvalid; the caller files the message under its field.
    """
    raw = unicodedata.normalize("NFC", "" if value is None else str(value))
    if has_forbidden_characters(raw):
        raise NameInvalid(CHARACTERS_NOT_ALLOWED)
    name = " ".join(raw.split())
    if not name:
        raise NameInvalid(required_message)
    if len(name) > NAME_MAX_LENGTH:
        raise NameInvalid(_("Use at most 100 characters."))
    if not any(ch.isalpha() for ch in name):
        raise NameInvalid(_("A name must contain letters."))
    return name


def name_key(value: str) -> str:
    """The search key of a name: case-folded, single-spaced."""
    return " ".join(value.casefold().split())


def normalise_phone(value: str, country: str) -> str:
    """E.164 form of ``value`` read in ``country``; raises ValueError when not a number."""
    try:
        number = phonenumbers.parse(value, country)
    except phonenumbers.NumberParseException as exc:
        raise ValueError from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


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

    if errors:
        raise ValidationFailed(dict(errors))
    return out
