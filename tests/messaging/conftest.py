"""Fixtures for messaging: the real SMTP server, and a fake SMS provider over real HTTP."""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.smtp import smtp_server  # noqa: F401  (re-exported fixture)


class FakeSmsProvider:
    """An HTTP server on 127.0.0.1 answering like an SMS API.

    Queue answers with :meth:`respond`; without one it answers 200 with a new id.
    Every request is kept as ``{"path", "headers", "json"}``.
    """

    def __init__(self):
        self.requests: list[dict] = []
        self.answers: deque[tuple[int, dict]] = deque()
        self.delay = 0.0
        self._lock = threading.Lock()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                with provider._lock:
                    provider.requests.append(
                        {"path": self.path, "headers": dict(self.headers), "json": body}
                    )
                    number = len(provider.requests)
                    status, answer = (
                        provider.answers.popleft()
                        if provider.answers
                        else (200, {"id": f"sms-{number}"})
                    )
                if provider.delay:
                    threading.Event().wait(provider.delay)
                data = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and left: that is the test

            def log_message(self, format, *args):  # keep the test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        host, port = self.server.server_address[:2]
        self.url = f"http://{host}:{port}/v1/messages"

    def respond(self, status: int, answer: dict | None = None) -> None:
        self.answers.append((status, answer or {}))


@pytest.fixture
def sms_provider(settings, monkeypatch):
    """The fake provider, with SMS_BACKEND = HttpSmsBackend pointed at it."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    provider = FakeSmsProvider()
    thread = threading.Thread(
        target=provider.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    settings.SMS_BACKEND = "praksis.messaging.backends.HttpSmsBackend"
    settings.SMS_API_URL = provider.url
    settings.SMS_API_TOKEN = "test-token"
    settings.SMS_SENDER = ""
    try:
        yield provider
    finally:
        provider.server.shutdown()
        provider.server.server_close()


ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Praksis//test//EN\r\nBEGIN:VEVENT\r\n"
    "UID:appointment-42@praksis.test\r\nDTSTART:20270105T090000Z\r\n"
    "DTEND:20270105T093000Z\r\nSUMMARY:Synundersökning\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


@pytest.fixture
def enqueue(clinic):
    """``message_enqueue`` for the test clinic with the arguments a booking would pass."""
    from praksis.messaging.services import message_enqueue

    def enqueue(**overrides):
        values = {
            "clinic": clinic,
            "channel": "email",
            "to": "greta.wikander@example.com",
            "subject": "Din bokning är bekräftad",
            "body": "Välkommen till Test Optik den 5 januari kl. 10.00.",
            "kind": "confirmation",
            **overrides,
        }
        return message_enqueue(**values)

    return enqueue


class RefusingSmtpServer:
    """A mail server that is down in the way real ones are: it accepts the connection,
    answers ``421 Service not available`` and hangs up. Counts the connections."""

    def __init__(self):
        self.connections = 0
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.1)
        self.port = self._socket.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                client, _address = self._socket.accept()
            except TimeoutError:
                continue
            self.connections += 1
            with client:
                client.sendall(b"421 4.3.2 smtp.test Service not available\r\n")

    def close(self):
        self._stop.set()
        self._thread.join(2)
        self._socket.close()


@pytest.fixture
def refusing_smtp(settings):
    server = RefusingSmtpServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield server
    finally:
        server.close()
