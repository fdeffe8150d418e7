"""The notes Praksis itself writes on a version of the privacy notice, in every language.

A version's ``summary`` is free text the owner writes in the clinic's language, or one of
these notes, stored as its English message id and shown translated into the reader's
language (``{{ summary|version_note }}``). Notes stored in the clinic's language before
that are recognised too.
"""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop

FIRST_VERSION = gettext_noop("First version.")
FROM_RECORD = gettext_noop("Updated from the record of processing.")
PROCESSORS_REGISTERED = gettext_noop("The processors are registered.")

SYSTEM_NOTES = (FIRST_VERSION, FROM_RECORD, PROCESSORS_REGISTERED)
# Written in the clinic's language by earlier versions of the demo seed.
_EARLIER = {
    "Personuppgiftsbiträdena är registrerade.": PROCESSORS_REGISTERED,
    "Databehandlerne er registrert.": PROCESSORS_REGISTERED,
}


def version_note(summary: str) -> str:
    """The note in the active language: Praksis's own notes translated, the owner's as
    written."""
    summary = (summary or "").strip()
    note = _EARLIER.get(summary, summary)
    return gettext(note) if note in SYSTEM_NOTES else summary
