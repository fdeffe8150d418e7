"""What the composition layer plugs into the apps' hooks at start-up."""

from praksis.audit.services import log_accesses
from praksis.core import access_log
from praksis.site import clinic_setup


def connect() -> None:
    """Register every cross-app hook (idempotent: each registry keeps one of each)."""
    access_log.register_writer(log_accesses)  # clinics logs through the ground's port
    clinic_setup.connect()
