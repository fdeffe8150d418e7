"""The journal entry that prescribed an order, asked of the journal through functions the
composition layer registers (``praksis.site.wiring``; features do not import each other,
ARCHITECTURE.md):

- ``entry(clinic, entry_id)``: the clinic's entry of that id (its ``person_id`` and
  ``animal_id`` say whom it is about), or None;
- ``notes(clinic, person, limit)``: the notes about the person or their animals that an
  order may point at, newest first, with their date, signature, author and animal only
  (never their text).
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured

_source: dict[str, Callable] = {}


def register(*, entry: Callable, notes: Callable) -> None:
    """The journal's side (one: a later registration replaces the earlier)."""
    _source.update(entry=entry, notes=notes)


def _get(name: str) -> Callable:
    if name not in _source:
        raise ImproperlyConfigured("No journal source is registered for sales (praksis.site).")
    return _source[name]


def entry(clinic, entry_id: int | None):
    return _get("entry")(clinic, entry_id)


def notes(clinic, person, limit: int) -> list:
    return _get("notes")(clinic, person, limit)
