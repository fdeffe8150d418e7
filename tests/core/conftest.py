"""Core tests: the real SMTP server fixture."""

from tests.smtp import smtp_server  # noqa: F401  (re-exported fixture)
