"""The journal entries a disclosure sends along, asked of the journal through functions
the composition layer registers (``praksis.site.wiring``; features do not import each
other, ARCHITECTURE.md):

- ``chosen(clinic, ids, subject)``: the entries of those ids about the subject
  (``{"person": person}`` or ``{"animal": animal}``), each with its ``signed_at``;
- ``choices(clinic, person, animals, limit)``: the signed entries to choose from (of the
  animals at a clinic with animals, else of the person), as dicts of id, created_at,
  kind (its label), author and animal (its name), newest first; no content is read;
- ``journal(actor, subject, purpose)``: the subject's journal (``{"person_id": id}`` or
  ``{"animal_id": id}``) decrypted for printing, each entry with its follow-ups beside
  it (``id``, ``created_at``, ``followups``); the journal logs the read as a print;
- ``labels(clinic)``: the labels of the structured fields of the clinic's entries.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured

_source: dict[str, Callable] = {}


def register(*, chosen: Callable, choices: Callable, journal: Callable, labels: Callable) -> None:
    """The journal's side (one: a later registration replaces the earlier)."""
    _source.update(chosen=chosen, choices=choices, journal=journal, labels=labels)


def _get(name: str) -> Callable:
    if name not in _source:
        raise ImproperlyConfigured(
            "No journal source for disclosures is registered (praksis.site)."
        )
    return _source[name]


def chosen(clinic, ids, subject: dict) -> list:
    return _get("chosen")(clinic, ids, subject)


def choices(clinic, person, animals, limit: int) -> list[dict]:
    return _get("choices")(clinic, person, animals, limit)


def journal(actor, subject: dict, purpose: str) -> list:
    return _get("journal")(actor, subject, purpose)


def labels(clinic) -> dict[str, str]:
    return _get("labels")(clinic)
