"""What the privacy engine asks of the features, through sources registered at start-up.

The engine sits below the features (ARCHITECTURE.md, "Layers") and names none of them;
the composition layer (``praksis.site.wiring``) registers here:

- the notice builder: the whole privacy notice in every language, from the record of
  processing (``processing``), and what the public notice page shows of a published
  version;
- the recipients sources: who received a person's data (``disclosures``), told of a
  rectification, erasure or restriction (Art. 19).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from praksis.clinics.models import Clinic

# ``build(clinic)``: {language: the notice's content}, as the record is now.
NoticeBuilder = Callable[[Clinic], dict[str, dict]]
# ``context(clinic, language, version)``: what the public notice page shows.
NoticeContext = Callable[[Clinic, str, Any], dict]
# ``recipients(clinic, person_ids)``: person id -> the recipients of the person's data.
RecipientsSource = Callable[[Clinic, Iterable[int]], dict[int, list]]

_notice_builder: list[NoticeBuilder] = []
_notice_context: list[NoticeContext] = []
_recipients: list[RecipientsSource] = []


def register_notice_builder(build: NoticeBuilder, *, context: NoticeContext) -> None:
    """The notice (one: a later registration replaces the earlier)."""
    _notice_builder[:] = [build]
    _notice_context[:] = [context]


def register_recipients_source(source: RecipientsSource) -> None:
    if source not in _recipients:
        _recipients.append(source)


def _notice(registry: list):
    if not registry:
        raise ImproperlyConfigured("No privacy notice builder is registered (praksis.site).")
    return registry[0]


def build_notice(clinic: Clinic) -> dict[str, dict]:
    """The whole notice in every language, from the record of processing as it is now."""
    return _notice(_notice_builder)(clinic)


def notice_context(clinic: Clinic, language: str, version=None) -> dict:
    """What the public notice page shows: a published version (the current one unless
    ``version`` names another; Http404 when there is no such version), in ``language``,
    and the list of all versions."""
    return _notice(_notice_context)(clinic, language, version)


def recipients_of_many(clinic: Clinic, person_ids: Iterable[int]) -> dict[int, list]:
    """Person id -> the distinct recipients of the person's data (most recent first)."""
    person_ids = list(person_ids)
    found: dict[int, list] = {}
    for source in _recipients:
        for person_id, recipients in source(clinic, person_ids).items():
            found.setdefault(person_id, []).extend(recipients)
    return found
