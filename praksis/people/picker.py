"""Choosing a person in a staff form: search as you type, then pick one from the list.

A form includes ``people/_person_picker.html`` with a field name (``person``). The
visible input ``{name}_q`` searches (htmx GET to ``staff:person-pick`` while typing); the
choices are radio buttons named ``{name}`` whose value is the person's id, so a chosen
person is submitted as before. Without JavaScript the typed text is submitted instead:
``picked_person`` then answers with the matches to choose from, and the form is shown
again as it was typed. Every search is the people search, logged as searches are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from praksis.clinics.access import Actor
from praksis.clinics.auth import staff_view
from praksis.core.input import parse_id
from praksis.people.models import Person
from praksis.people.selectors import person_get, person_search

CHOICES = 8
_FIELD = re.compile(r"[a-z][a-z_]{0,29}")


@dataclass
class Picked:
    """What a form's person field holds: an id chosen, or a search still to choose from."""

    name: str
    person_id: int | None = None
    query: str = ""
    chosen: Person | None = None
    choices: list[Person] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def must_choose(self) -> bool:
        """Text was typed but no one chosen: show the matches, save nothing."""
        return self.person_id is None and bool(self.query)


def search_choices(actor: Actor, query: str) -> list[Person]:
    query = " ".join(query.split())
    if not query:
        return []
    return person_search(actor=actor, query=query, limit=CHOICES).items


def picked_person(actor: Actor, data, name: str = "person", *, purpose: str = "") -> Picked:
    """Read ``name`` (an id) and ``{name}_q`` (a search) from a form's data."""
    picked = Picked(name=name, query=data.get(f"{name}_q", "").strip()[:200])
    picked.person_id = parse_id(data.get(name))
    if picked.person_id is not None:
        picked.chosen = _own(actor, picked.person_id, purpose)
        if picked.chosen is None:
            picked.errors.append(_("Choose the person from the list."))
    elif picked.query:
        picked.choices = search_choices(actor, picked.query)
        if picked.choices:
            picked.errors.append(_("Choose the person from the list."))
        else:
            picked.errors.append(_("No one matches that search."))
    return picked


def _own(actor: Actor, person_id: int, purpose: str) -> Person | None:
    """The person, if they belong to the actor's clinic (reading them is logged)."""
    try:
        return person_get(actor=actor, person_id=person_id, purpose=purpose or "form")
    except Http404:
        return None


@require_GET
@staff_view("person.read")
def person_pick(request):
    """The choices for what was typed so far (an htmx fragment)."""
    name = request.GET.get("field", "person")
    if not _FIELD.fullmatch(name):
        return HttpResponseBadRequest()
    query = request.GET.get(f"{name}_q", "").strip()[:200]
    picked = Picked(name=name, query=query, choices=search_choices(request.actor, query))
    return render(request, "people/_person_choices.html", {"picker": picked})
