"""Names, free text and telephone numbers as every app stores them: one set of rules for
a person's name, a member of staff's name and a clinic's, and the E.164 form of a number.
"""

from __future__ import annotations

import unicodedata

import phonenumbers
from django.utils.translation import gettext_lazy as _

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
