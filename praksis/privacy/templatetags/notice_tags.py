"""Filters of the public privacy notice."""

from __future__ import annotations

from django import template

from praksis.privacy.notice_notes import version_note as _version_note

register = template.Library()


@register.filter
def version_note(summary: str) -> str:
    """A version's note in the reader's language (Praksis's own notes are translated)."""
    return _version_note(summary)
