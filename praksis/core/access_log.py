"""The access log's vocabulary (what was done, to what, of whom) and its writer as the
app below the log reaches it.

The log itself (``praksis.audit``) names clinics, staff and roles, so it sits above the
clinics app in the layers of ARCHITECTURE.md. Clinics' own reads and writes (staff, API
tokens, set-up) are logged through the writer registered here when Django starts
(``praksis.site.wiring``); every app above the log calls ``praksis.audit.services``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    READ = "read", _("Read")
    SEARCH = "search", _("Search")
    LIST = "list", _("List")
    CREATE = "create", _("Create")
    UPDATE = "update", _("Update")
    DELETE = "delete", _("Delete")
    PRINT = "print", _("Print")
    EXPORT = "export", _("Export")
    DISCLOSE = "disclose", _("Disclose")


@dataclass(frozen=True)
class Access:
    """One access to record: what was done to which object of which person."""

    action: str
    object_type: str
    object_id: str | int = ""
    person_id: int | None = None
    purpose: str = ""
    detail: str = ""


_writer: list[Callable] = []


def register_writer(write: Callable) -> None:
    """``write(actor, accesses)`` appends the rows (``praksis.audit.services.log_accesses``)."""
    _writer[:] = [write]


def log_accesses(actor, accesses: Iterable[Access]) -> list:
    """Record the accesses in the actor's transaction (as ``audit.services.log_accesses``)."""
    if not _writer:
        raise ImproperlyConfigured("No access-log writer is registered (praksis.site).")
    return _writer[0](actor, list(accesses))


def log_access(actor, access: Access) -> None:
    log_accesses(actor, [access])
