"""What every input must be before it reaches a service or the database.

One place for the kinds of value no field can hold: a NUL character (PostgreSQL text
cannot store it, and it is never typed by a person), an integer outside 64 bits (no id or
count is that large), and a date outside the years a clinic works in (date arithmetic
past year 9999 overflows). Each is refused as bad input with a field error, never as a
server error.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils.translation import gettext_lazy as _

from praksis.core.errors import ValidationFailed

BODY_FIELD = "__all__"
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
# Dates a clinic may ever need: births a century and more ago, bookings a century ahead.
EARLIEST = date(1850, 1, 1)
LATEST = date(2199, 12, 31)
# The largest UTC offset in use anywhere is +14:00, the smallest -12:00.
MAX_OFFSET = timedelta(hours=14)

_NUL = _("Remove the control character from this field.")
_INT = _("Enter a smaller number.")
_DATE = _("Enter a date between 1850 and 2199.")


_FIELD_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_")


def field_name(key) -> str:
    """A field name for an error, from a key the caller sent: our own names pass, any
    other key becomes the body as a whole (an error never repeats what was typed)."""
    text = str(key)
    if 0 < len(text) <= 40 and text[0].isalpha() and set(text) <= _FIELD_CHARS:
        return text
    return BODY_FIELD


def check_value(value, field: str = BODY_FIELD) -> None:
    """Refuse NUL characters and out-of-range integers anywhere inside ``value``."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValidationFailed({field: [_NUL]})
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if not INT_MIN <= value <= INT_MAX:
            raise ValidationFailed({field: [_INT]})
    elif isinstance(value, dict):
        for key, item in value.items():
            check_value(key, field)
            check_value(item, field_name(key) if field == BODY_FIELD else field)
    elif isinstance(value, list | tuple):
        for item in value:
            check_value(item, field)


def has_nul(value: str | None) -> bool:
    return "\x00" in (value or "")


def parse_id(value) -> int | None:
    """A database id from user input (a query parameter, a form field), or None."""
    text = str(value or "").strip()
    if not text.isdigit() or len(text) > 18:
        return None
    return int(text)


def check_date(value: date | datetime, field: str) -> None:
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST <= day <= LATEST:
        raise ValidationFailed({field: [_DATE]})
    if isinstance(value, datetime) and value.utcoffset() is not None:
        if abs(value.utcoffset()) > MAX_OFFSET:
            raise ValidationFailed({field: [_("Enter a real time zone offset.")]})


def clamp_date(value: date) -> date:
    """For pages that navigate by date (a calendar week): stay within working years."""
    return min(max(value, EARLIEST), LATEST)


# --- The same rules for query strings and forms ------------------------------------------

_TOO_LONG_NUMBER = 19  # digits: more than any id, count or identity number has


def _bad_value(value: str) -> str | None:
    if "\x00" in value:
        return str(_NUL)
    digits = value.lstrip("-")
    if len(digits) >= _TOO_LONG_NUMBER and digits.isdigit():
        return str(_INT)
    return None


def request_errors(request) -> dict[str, list[str]]:
    """Field errors for query or form values no field can hold (files are not read)."""
    errors: dict[str, list[str]] = {}
    sources = [request.GET]
    if request.method == "POST" and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        sources.append(request.POST)
    for source in sources:
        for key, values in source.lists():
            for value in [key, *values]:
                message = _bad_value(value)
                if message:
                    errors.setdefault(field_name(key), []).append(message)
    return errors


class ImpossibleInputMiddleware:
    """Answer 422 to values no field can hold, before a view runs; and turn a value the
    database still refuses (out of range, NUL) into the same answer instead of a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        errors = request_errors(request)
        if errors:
            return self._refuse(request, errors)
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.db import DataError

        if isinstance(exception, OverflowError | DataError):
            return self._refuse(
                request,
                {
                    BODY_FIELD: [
                        str(_("A value is out of range or holds characters that are not allowed."))
                    ]
                },
            )
        return None

    @staticmethod
    def _refuse(request, errors):
        from django.http import JsonResponse
        from django.shortcuts import render

        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": str(_("Please correct the fields marked.")), "errors": errors},
                status=422,
            )
        return render(request, "bad_input.html", {"errors": errors}, status=422)
