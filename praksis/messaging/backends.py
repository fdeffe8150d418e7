"""SMS providers behind one small interface: ``send(to, body, sender, reference=) -> id``.

``SMS_BACKEND`` names the class. ``FileSmsBackend`` (the default outside production) writes
each message as a JSON line under ``VAR_DIR/sms/`` for the demo; ``HttpSmsBackend`` posts
JSON to a provider's HTTP API. ``reference`` is the outbox row's uuid, the same on every
attempt: the provider gets it as its idempotency key, so a message sent again after a
lost answer can be recognised as the same one.

Backends raise :class:`TemporarySendError` when the provider itself is failing (timeouts,
refused connections, 5xx, 429, a refused token) and :class:`PermanentSendError` when it
refuses this message or number (other 4xx): the worker backs off the whole channel for
the first and gives up on the one message for the second. Their messages carry no
address and no text: they end up in ``OutboxMessage.last_error``, which staff read.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string


class SendError(Exception):
    """Sending failed. ``permanent`` says whether another attempt can succeed."""

    permanent = False


class TemporarySendError(SendError):
    """The provider is failing (or not configured): nothing about this message."""

    permanent = False


class PermanentSendError(SendError):
    """The provider refused this message or its recipient and will do so again."""

    permanent = True


# 4xx answers about the caller, not the message: a bad token or proxy, a timeout, a
# rate limit. The provider will take the message once this is fixed or has passed.
_NOT_ABOUT_THE_MESSAGE = {401, 403, 407, 408, 429}


class SmsBackend(Protocol):
    def send(self, to: str, body: str, sender: str, *, reference: str = "") -> str: ...


def get_sms_backend() -> SmsBackend:
    return import_string(settings.SMS_BACKEND)()


class FileSmsBackend:
    """Appends one JSON line per message to ``outbox.jsonl`` (demo and development)."""

    def __init__(self, directory: str | Path | None = None):
        self.directory = Path(directory or settings.SMS_FILE_PATH)

    @property
    def path(self) -> Path:
        return self.directory / "outbox.jsonl"

    def send(self, to: str, body: str, sender: str, *, reference: str = "") -> str:
        message_id = f"file-{uuid.uuid4().hex}"
        line = json.dumps(
            {
                "id": message_id,
                "reference": reference,
                "at": timezone.now().isoformat(),
                "to": to,
                "from": sender,
                "message": body,
            },
            ensure_ascii=False,
        )
        self.directory.mkdir(parents=True, exist_ok=True)
        # One write() on an O_APPEND descriptor: lines from several workers never interleave.
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)
        return message_id


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect would turn the POST into a GET; report it as an HTTP error instead."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class HttpSmsBackend:
    """POSTs ``{"to", "from", "message", "reference"}`` as JSON with a bearer token to
    ``SMS_API_URL``, with the reference also as the ``Idempotency-Key`` header.

    The provider's message id is read from the JSON answer (``id`` or ``message_id``).
    """

    def __init__(
        self, url: str | None = None, token: str | None = None, timeout: float | None = None
    ):
        self.url = url if url is not None else settings.SMS_API_URL
        self.token = token if token is not None else settings.SMS_API_TOKEN
        self.timeout = timeout if timeout is not None else settings.MESSAGING_SEND_TIMEOUT
        self._opener = urllib.request.build_opener(_NoRedirect)

    def send(self, to: str, body: str, sender: str, *, reference: str = "") -> str:
        if not self.url or not self.url.startswith(("http://", "https://")):
            # A configuration gap: keep the message waiting until SMS_API_URL is fixed.
            raise TemporarySendError("SMS_API_URL is not configured")
        fields = {"to": to, "from": sender, "message": body}
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": f"Bearer {self.token}",
        }
        if reference:
            fields["reference"] = reference
            headers["Idempotency-Key"] = reference
        request = urllib.request.Request(  # noqa: S310 (scheme checked above)
            self.url, data=json.dumps(fields).encode(), method="POST", headers=headers
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                answer = response.read(64 * 1024)
        except urllib.error.HTTPError as exc:
            # Never the response body: a provider may echo the number or the text.
            code = exc.code
            exc.close()
            if 400 <= code < 500 and code not in _NOT_ABOUT_THE_MESSAGE:
                raise PermanentSendError(f"HTTP {code}") from None
            raise TemporarySendError(f"HTTP {code}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            raise TemporarySendError(type(reason).__name__) from None
        return _provider_id(answer)


def _provider_id(answer: bytes) -> str:
    try:
        data = json.loads(answer or b"{}")
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    value = data.get("id") or data.get("message_id") or ""
    return str(value)[:200]
