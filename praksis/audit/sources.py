"""What the review of the log (REQ-22) learns from the apps above the log.

The access log sits below people, the privacy engine and the features (ARCHITECTURE.md,
"Layers"), so it names none of their models. Each fact the review needs is asked of the
sources registered here when Django starts (``praksis.site.wiring``):

- relations: why a user may have opened a person's data (a booking with them, an entry
  they wrote in the person's journal, a request the person made, ...);
- opening hours and closed days: when the clinic works;
- people: the names of the persons shown, and the persons who are the clinic's own staff.

Without a source the review still works: no relation beyond the log's own (the user
created the person), the default hours, no closed day, persons shown by number.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, time
from typing import Any

from praksis.clinics.models import Clinic

# ``relation(clinic, user, person)``: a condition (a Q or an Exists) on a log row, true
# where its user had a reason to open the person's data; ``user`` and ``person`` are the
# row's ``OuterRef("user_id")`` and ``OuterRef("person_id")``; it may name the row's
# columns (e.g. ``role``).
RelationSource = Callable[[Clinic, Any, Any], Any]
# ``hours(clinic)``: ``(weekday, opens, closes)`` spans (weekday 0 is Monday, local times).
HoursSource = Callable[[Clinic], Iterable[tuple[int, time, time]]]
# ``closed_days(clinic, first, last)``: the local dates the clinic is closed, both included.
ClosedDaysSource = Callable[[Clinic, date, date], Iterable[date]]
# ``names(clinic, person_ids)``: person id -> the name to show.
PersonNames = Callable[[Clinic, set[int]], dict[int, str]]
# ``matches(clinic, emails, name_keys, limit)``: ``(person id, upper-case e-mail, name key)``
# of the clinic's persons whose e-mail (upper case) or "first last" name key is one given.
PersonMatches = Callable[[Clinic, list[str], list[str], int], Iterable[tuple[int, str, str]]]

_relations: list[RelationSource] = []
_hours: list[HoursSource] = []
_closed_days: list[ClosedDaysSource] = []
_person_names: list[PersonNames] = []
_person_matches: list[PersonMatches] = []


def _add(registry: list, source) -> None:
    if source not in registry:
        registry.append(source)


def register_relation(source: RelationSource) -> None:
    _add(_relations, source)


def register_hours(source: HoursSource) -> None:
    _add(_hours, source)


def register_closed_days(source: ClosedDaysSource) -> None:
    _add(_closed_days, source)


def register_people(*, names: PersonNames, matches: PersonMatches) -> None:
    """The people directory (one: a later registration replaces the earlier)."""
    _person_names[:] = [names]
    _person_matches[:] = [matches]


def relations(clinic: Clinic, user, person) -> list:
    return [source(clinic, user, person) for source in _relations]


def hours(clinic: Clinic) -> dict[int, tuple[time, time]]:
    """Per weekday, the earliest opening and the latest closing any source gave."""
    found: dict[int, tuple[time, time]] = {}
    for source in _hours:
        for weekday, opens, closes in source(clinic):
            if weekday in found:
                first, last = found[weekday]
                opens, closes = min(first, opens), max(last, closes)
            found[weekday] = (opens, closes)
    return found


def closed_days(clinic: Clinic, first: date, last: date) -> list[date]:
    days: set[date] = set()
    for source in _closed_days:
        days.update(source(clinic, first, last))
    return sorted(days)


def person_names(clinic: Clinic, person_ids: set[int]) -> dict[int, str]:
    if not _person_names or not person_ids:
        return {}
    return _person_names[0](clinic, set(person_ids))


def person_matches(
    clinic: Clinic, emails: list[str], name_keys: list[str], limit: int
) -> list[tuple[int, str, str]]:
    if not _person_matches:
        return []
    return list(_person_matches[0](clinic, emails, name_keys, limit))
