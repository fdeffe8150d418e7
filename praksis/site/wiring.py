"""What the composition layer plugs into the apps' hooks at start-up."""

from praksis.site import clinic_setup


def connect() -> None:
    """Register every cross-app hook (idempotent: each registry keeps one of each)."""
    clinic_setup.connect()
