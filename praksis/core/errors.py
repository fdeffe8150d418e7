"""Errors that services raise and every surface (UI, API, commands) translates."""

from __future__ import annotations


class ValidationFailed(Exception):
    """Bad input, per field. Messages are (lazily) translated, never echo the input."""

    def __init__(self, errors: dict[str, list]):
        self.errors = {name: [str(m) for m in msgs] for name, msgs in errors.items()}
        super().__init__(", ".join(self.errors))

    @property
    def message(self) -> str:
        """All field messages in one line, for pages that show a single error."""
        return "; ".join(m for msgs in self.errors.values() for m in msgs)


class Conflict(Exception):
    """The request was valid but the state does not allow it (e.g. the slot is gone)."""

    def __init__(self, message: str, *, code: str = "conflict"):
        self.message = str(message)
        self.code = code
        super().__init__(self.message)


class RateLimited(Exception):
    """Too many requests from one address: try again after ``retry_after`` seconds."""

    def __init__(self, retry_after: int):
        self.retry_after = max(1, int(retry_after))
        super().__init__(self.retry_after)
