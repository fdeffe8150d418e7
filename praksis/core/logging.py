"""A logging filter that keeps personal data out of log lines (STYLE.md §12)."""

from __future__ import annotations

import logging
import re

# 6-8 digit dates followed by 4-5 digits: Swedish and Norwegian identity numbers.
_IDENTITY = re.compile(r"\b(\d{6}|\d{8})[-+ ]?\d{4,5}\b")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_PHONE = re.compile(r"\+?\d[\d ]{7,}\d")


def scrub(text: str) -> str:
    text = _IDENTITY.sub("[identity]", text)
    text = _EMAIL.sub("[email]", text)
    return _PHONE.sub("[phone]", text)


class ScrubPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not break logging
            return True
        record.msg = scrub(message)
        record.args = None
        return True
