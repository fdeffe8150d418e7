"""Helpers shared by the retention tests: journal entries and sales at chosen times."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from praksis.journal.models import Attachment, JournalEntry
from praksis.people.vault import encrypt

UTC = ZoneInfo("UTC")


def at(year: int, month: int = 1, day: int = 1, hour: int = 12, zone: str = "UTC") -> datetime:
    return datetime(year, month, day, hour, tzinfo=ZoneInfo(zone))


def entry(actor, *, when: datetime, person=None, animal=None, concerns=None, attach=False):
    """A signed journal entry written at ``when`` (encrypted under the subject's key)."""
    subject = person or animal
    made = JournalEntry.objects.create(
        clinic=actor.clinic,
        person=person,
        animal=animal,
        kind="amendment" if concerns else "note",
        concerns=concerns,
        author_user_id=actor.user_id,
        author_name="Dr Test",
        created_at=when,
        updated_at=when,
        signed_at=None if attach else when,
        ciphertext=encrypt(subject, b'{"text": "SECRET-CONTENT"}', purpose="journal-entry"),
    )
    if attach:
        Attachment.objects.create(
            clinic=actor.clinic,
            entry=made,
            filename="xray.png",
            content_type="image/png",
            size=3,
            sha256="0" * 64,
            ciphertext=encrypt(subject, b"png", purpose="journal-attachment"),
            uploaded_by_user_id=actor.user_id,
            created_at=when,
        )
        JournalEntry.objects.filter(pk=made.pk).update(signed_at=when)  # signed after
    return made
