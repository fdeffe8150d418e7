"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, with Django pointed at it.

Use it from any test folder's conftest::

    from tests.smtp import smtp_server  # noqa: F401

then take ``smtp_server`` in a test; it is an :class:`SmtpSink`. Messages arrive on the
server's own thread, so wait for them: ``smtp_server.wait_for(1)``.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller


class SmtpSink:
    """The aiosmtpd handler: collects what it receives as ``EmailMessage`` objects.

    ``refuse`` holds addresses whose RCPT TO is answered with a permanent 550 (which
    quotes the address, as real servers do, to prove that it never reaches our logs).
    ``data_reply``, when set, is called with each message and may return a reply that
    refuses it (``"554 5.3.0 ..."``); ``delay`` makes the server slow to answer DATA.
    """

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []  # (MAIL FROM, RCPT TOs)
        self.refuse: set[str] = set()
        self.data_reply = None
        self.data_refused = 0
        self.delay = 0.0
        self.host = "127.0.0.1"
        self.port = 0
        self._arrived = threading.Condition()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in {a.lower() for a in self.refuse}:
            return f"550 5.1.1 <{address}>: recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        message = BytesParser(policy=policy.default).parsebytes(raw)
        if self.delay:
            await asyncio.sleep(self.delay)
        reply = self.data_reply(message) if self.data_reply else None
        if reply:
            self.data_refused += 1
            return reply
        with self._arrived:
            self.messages.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 5.0) -> list[EmailMessage]:
        """All messages once at least ``count`` have arrived; AssertionError on timeout."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.messages) >= count, timeout):
                raise AssertionError(
                    f"expected {count} message(s) within {timeout}s, got {len(self.messages)}"
                )
            return list(self.messages)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """Start aiosmtpd on a free loopback port; Django's SMTP backend sends to it."""
    sink = SmtpSink()
    controller = None
    for _attempt in range(5):  # the free port can be taken between probe and bind
        sink.port = free_port()
        controller = Controller(
            sink, hostname=sink.host, port=sink.port, server_hostname="smtp.test"
        )
        try:
            controller.start()
            break
        except Exception:
            controller = None
    if controller is None:
        raise RuntimeError("could not start the test SMTP server")
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = sink.host
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    try:
        yield sink
    finally:
        controller.stop()
