"""Cleaning what an operator or an owner types about a clinic and its staff: one place for
the command line, the staff pages and the API.

Each function returns the value to store or raises ``ValidationFailed`` with a
translated message under the field's name; a message never repeats what was typed.
"""

from __future__ import annotations

import re
import unicodedata
import zoneinfo
from functools import cache

from django.core.exceptions import ValidationError
from django.core.validators import validate_email, validate_slug
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_errors
from stdnum.no import orgnr as no_orgnr
from stdnum.se import orgnr as se_orgnr

from praksis.clinics.models import Clinic, Profile, Regime, Role
from praksis.core.errors import ValidationFailed
from praksis.core.text import (
    CHARACTERS_NOT_ALLOWED,
    NameInvalid,
    clean_name,
    has_forbidden_characters,
    normalise_phone,
)

COUNTRIES = ("SE", "NO")
LANGUAGES = ("sv", "nb", "en")
SLUG_MAX_LENGTH = 50
CLINIC_NAME_MAX_LENGTH = 200
ADDRESS_MAX_LENGTH = 500
TITLE_MAX_LENGTH = 100
LICENCE_MAX_LENGTH = 12
# Clinic slugs share the URL space with these prefixes.
RESERVED_SLUGS = frozenset(
    {"staff", "api", "i18n", "static", "healthz", "admin", "media", "sms", "feeds"}
)

# The regime (LAW.md) of each profile in each country. Therapy and massage are not
# licensed health care in either country: GDPR only (whether that holds is [U] in LAW.md).
REGIMES = {
    (Profile.OPTICIAN, "SE"): Regime.SE_HUMAN,
    (Profile.OPTICIAN, "NO"): Regime.NO_HUMAN,
    (Profile.DENTAL, "SE"): Regime.SE_HUMAN,
    (Profile.DENTAL, "NO"): Regime.NO_HUMAN,
    (Profile.VETERINARY, "SE"): Regime.SE_VET,
    (Profile.VETERINARY, "NO"): Regime.NO_VET,
    (Profile.THERAPY, "SE"): Regime.GDPR_ONLY,
    (Profile.THERAPY, "NO"): Regime.GDPR_ONLY,
}
DEFAULT_LANGUAGE = {"SE": "sv", "NO": "nb"}
DEFAULT_ZONE = {"SE": "Europe/Stockholm", "NO": "Europe/Oslo"}


def _text(value) -> str:
    return unicodedata.normalize("NFC", "" if value is None else str(value)).strip()


@cache
def time_zones() -> frozenset[str]:
    """The IANA time zone names this machine knows (tzdata)."""
    return frozenset(zoneinfo.available_timezones())


def clean_slug(value) -> str:
    slug = _text(value)
    if not slug:
        raise ValidationFailed({"slug": [_("Enter the clinic's address name (slug).")]})
    try:
        validate_slug(slug)
    except ValidationError:
        raise ValidationFailed(
            {"slug": [_("Use only letters, digits, hyphens and underscores.")]}
        ) from None
    if len(slug) > SLUG_MAX_LENGTH:
        raise ValidationFailed({"slug": [_("Use at most 50 characters.")]})
    if slug.lower() in RESERVED_SLUGS:
        raise ValidationFailed({"slug": [_("This address name is reserved. Choose another.")]})
    if Clinic.objects.filter(slug__iexact=slug).exists():
        raise ValidationFailed({"slug": [_("A clinic with this address name exists already.")]})
    return slug


def clean_clinic_name(value) -> str:
    raw = _text(value)
    if has_forbidden_characters(raw):
        raise ValidationFailed({"name": [CHARACTERS_NOT_ALLOWED]})
    name = " ".join(raw.split())
    if not name:
        raise ValidationFailed({"name": [_("Enter the clinic's name.")]})
    if len(name) > CLINIC_NAME_MAX_LENGTH:
        raise ValidationFailed({"name": [_("Use at most 200 characters.")]})
    return name


def clean_choice(field: str, value, choices) -> str:
    text = _text(value)
    if text not in choices:
        raise ValidationFailed(
            {field: [_("Choose one of: %(choices)s.") % {"choices": ", ".join(choices)}]}
        )
    return text


def clean_zone(value, field: str = "time_zone") -> str:
    zone = _text(value)
    if zone not in time_zones():
        raise ValidationFailed({field: [_("Enter a time zone such as Europe/Stockholm.")]})
    return zone


def clean_email(value, field: str = "email", *, required: bool = True) -> str:
    raw = _text(value)
    if not raw:
        if required:
            raise ValidationFailed({field: [_("Enter the e-mail address.")]})
        return ""
    try:
        validate_email(raw)
    except ValidationError:
        raise ValidationFailed({field: [_("Enter a valid e-mail address.")]}) from None
    return raw.lower()


def clean_organisation_number(value, country: str) -> str:
    """A Swedish organisationsnummer or a Norwegian organisasjonsnummer, formatted as the
    registers write it (556036-0793; 988 077 917); empty when none is given."""
    raw = _text(value)
    if not raw:
        return ""
    module = se_orgnr if country == "SE" else no_orgnr
    try:
        return module.format(module.validate(raw))
    except stdnum_errors.ValidationError:
        message = {
            "SE": _("Enter a valid Swedish organisation number (NNNNNN-NNNN)."),
            "NO": _("Enter a valid Norwegian organisation number (9 digits)."),
        }[country]
        raise ValidationFailed({"organisation_number": [message]}) from None


def clean_phone(value, country: str, field: str = "phone") -> str:
    raw = _text(value)
    if not raw:
        return ""
    try:
        return normalise_phone(raw, country)
    except ValueError:
        raise ValidationFailed({field: [_("Enter a valid phone number.")]}) from None


def clean_address(value) -> str:
    raw = _text(value)
    if has_forbidden_characters(raw, multiline=True):
        raise ValidationFailed({"address": [CHARACTERS_NOT_ALLOWED]})
    if len(raw) > ADDRESS_MAX_LENGTH:
        raise ValidationFailed({"address": [_("Use at most 500 characters.")]})
    return raw


def clean_month(value, field: str = "financial_year_start") -> int:
    text = _text(value)
    if isinstance(value, bool) or not text.isdigit() or not 1 <= int(text) <= 12:
        raise ValidationFailed({field: [_("Choose a month from 1 to 12.")]})
    return int(text)


# --- Staff ---------------------------------------------------------------------------


def clean_staff_name(value) -> str:
    try:
        return clean_name(value, required_message=_("Enter the name."))
    except NameInvalid as exc:
        raise ValidationFailed({"name": [exc.message]}) from None


def clean_role(value) -> str:
    return clean_choice("role", value, Role.values)


def clean_title(value) -> str:
    raw = _text(value)
    if has_forbidden_characters(raw):
        raise ValidationFailed({"title": [CHARACTERS_NOT_ALLOWED]})
    title = " ".join(raw.split())
    if len(title) > TITLE_MAX_LENGTH:
        raise ValidationFailed({"title": [_("Use at most 100 characters.")]})
    return title


_LICENCE = re.compile(r"[0-9A-Za-z]{1,12}")


def clean_licence(value, *, country: str = "") -> str:
    """A professional licence number: the Norwegian HPR number (digits only, in a
    Norwegian clinic: it is logged with every access, REQ-20) or the Swedish
    legitimation's number (letters and digits); spaces and hyphens dropped."""
    raw = re.sub(r"[\s-]", "", _text(value))
    if raw and country == "NO" and not (raw.isascii() and raw.isdigit() and len(raw) <= 12):
        raise ValidationFailed(
            {"licence": [_("Enter the HPR number as digits only (at most 12).")]}
        )
    if raw and not _LICENCE.fullmatch(raw):
        raise ValidationFailed(
            {"licence": [_("Enter the licence number as at most 12 letters and digits.")]}
        )
    return raw


def collect(checks: dict) -> dict:
    """Run ``{field: callable}``; return the cleaned values, or raise every field's error
    at once."""
    out, errors = {}, {}
    for field, check in checks.items():
        try:
            out[field] = check()
        except ValidationFailed as exc:
            for name, messages in exc.errors.items():
                errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationFailed(errors)
    return out
