"""What the composition layer plugs into the apps' hooks at start-up."""


def connect() -> None:
    """Register every cross-app hook (idempotent: each registry keeps one of each)."""
